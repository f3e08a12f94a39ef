import type { Dayjs } from 'dayjs';
import type { Channel, Schedule, Variant, WhereFilter } from '../api/types.ts';
import type { FieldPath } from '../common/api-errors.ts';

export type ScheduleType = Schedule['type'];
export const scheduleTypes: readonly ScheduleType[] = ['now', 'at', 'recurring', 'trigger'];

/** The task wizard's form values (one form across all steps). */
export interface TaskValues {
  name: string;
  channel: Channel;
  templateId?: string;
  segmentId?: string;
  scheduleType: ScheduleType;
  at?: Dayjs;
  cron?: string;
  from?: Dayjs | null;
  until?: Dayjs | null;
  triggerEvent?: string;
  where?: { prop?: string; op?: string; value?: string }[];
  delayMinutes?: number | null;
  frequencyOn: boolean;
  maxPerUser?: number;
  perDays?: number;
  variants?: Partial<Variant>[];
  controlPercent?: number | null;
  priority?: number | null;
  couponTemplateId?: string | null;
}

export const wizardSteps = ['basics', 'template', 'audience', 'schedule', 'caps'] as const;
export type WizardStep = (typeof wizardSteps)[number];

/** The form fields each step owns, validated before moving on. */
export const stepFields: Record<WizardStep, FieldPath[]> = {
  basics: [['name'], ['channel']],
  template: [['templateId']],
  audience: [['segmentId']],
  schedule: [['scheduleType'], ['at'], ['cron'], ['from'], ['until'], ['triggerEvent'], ['where'], ['delayMinutes']],
  caps: [['frequencyOn'], ['maxPerUser'], ['perDays'], ['variants'], ['controlPercent'], ['priority'], ['couponTemplateId']],
};

/** A `where` value typed as text: numbers and booleans are sent as such. */
function typedValue(v: string | undefined): unknown {
  const s = (v ?? '').trim();
  if (s === 'true' || s === 'false') return s === 'true';
  if (s !== '' && !Number.isNaN(Number(s))) return Number(s);
  return s;
}

/** The schedule the values describe, or null while it is incomplete (no preview then). */
export function scheduleOf(v: Partial<TaskValues>): Schedule | null {
  switch (v.scheduleType) {
    case 'now': return { type: 'now' };
    case 'at': return v.at ? { type: 'at', at: v.at.toISOString() } : null;
    case 'recurring': {
      const cron = v.cron?.trim();
      if (!cron) return null;
      return { type: 'recurring', cron, ...(v.from ? { from: v.from.toISOString() } : {}), ...(v.until ? { until: v.until.toISOString() } : {}) };
    }
    case 'trigger': {
      const event = v.triggerEvent?.trim();
      if (!event) return null;
      const where: WhereFilter[] = (v.where ?? []).filter((w) => w?.prop?.trim() && w.op).map((w) => ({ prop: w.prop!.trim(), op: w.op!, ...(w.op === 'exists' ? {} : { value: w.op === 'in' ? (w.value ?? '').split(',').map((x) => typedValue(x)) : typedValue(w.value) }) }));
      return { type: 'trigger', event, ...(where.length ? { where } : {}), ...(v.delayMinutes ? { delayMinutes: v.delayMinutes } : {}) };
    }
    default: return null;
  }
}

/** POST /v1/campaigns/{id}/tasks body; optional parts only when set. */
export function taskBody(v: TaskValues): Record<string, unknown> {
  const variants = (v.variants ?? []).filter((x) => x?.name?.trim() && x.templateId);
  return {
    name: v.name.trim(),
    channel: v.channel,
    templateId: v.templateId,
    // A trigger task may go without a segment: then everyone who does the event.
    ...(v.segmentId ? { audience: { segmentId: v.segmentId } } : {}),
    schedule: scheduleOf(v),
    ...(v.frequencyOn && v.maxPerUser && v.perDays ? { frequency: { maxPerUser: v.maxPerUser, perDays: v.perDays } } : {}),
    ...(variants.length ? { variants: variants.map((x) => ({ name: x.name!.trim(), templateId: x.templateId!, weight: x.weight ?? 1 })) } : {}),
    ...(v.controlPercent ? { controlPercent: v.controlPercent } : {}),
    ...(v.priority ? { priority: v.priority } : {}),
    ...(v.couponTemplateId ? { couponTemplateId: v.couponTemplateId } : {}),
  };
}

/** An API error path (`schedule.cron`, `variants[1].weight`) → the wizard field that shows it. */
export function taskFieldOf(path: FieldPath): FieldPath | null {
  const [top, sub, ...rest] = path;
  switch (top) {
    case 'name': case 'channel': case 'templateId': case 'controlPercent': case 'priority': case 'couponTemplateId':
      return [top];
    case 'audience': return ['segmentId'];
    case 'frequency': return sub === 'perDays' ? ['perDays'] : ['maxPerUser'];
    case 'variants': return typeof sub === 'number' && typeof rest[0] === 'string' ? ['variants', sub, rest[0]] : ['controlPercent'];
    case 'schedule':
      if (sub === 'at' || sub === 'cron' || sub === 'from' || sub === 'until' || sub === 'delayMinutes') return [sub];
      if (sub === 'event') return ['triggerEvent'];
      if (sub === 'where') return typeof rest[0] === 'number' ? ['where', rest[0], typeof rest[1] === 'string' ? rest[1] : 'prop'] : ['triggerEvent'];
      return ['scheduleType'];
    default: return null;
  }
}

/** The step holding a field, to open it when the server refuses the task. */
export function stepOfField(name: FieldPath): WizardStep {
  const top = name[0];
  for (const step of wizardSteps) if (stepFields[step].some((f) => f[0] === top)) return step;
  return 'basics';
}
