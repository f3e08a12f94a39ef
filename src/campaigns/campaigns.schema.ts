import { z } from 'zod';
import { channels } from '../channels/channels.schema.ts';
import { cronProblem } from './schedules.ts';
import { propCondition } from '../audiences/definition.schema.ts';

export const goals = ['acquisition', 'activation', 'retention', 'repurchase', 'other'] as const;
export const statuses = ['draft', 'pending_approval', 'approved', 'running', 'paused', 'ended'] as const;
export type CampaignStatus = (typeof statuses)[number];

const iso = z.iso.datetime({ offset: true });

export const createCampaignBody = z
  .strictObject({
    name: z.string().min(1).max(200),
    goal: z.enum(goals),
    startAt: iso,
    endAt: iso,
    budget: z.strictObject({ amount: z.number().int().min(0) }).optional(),
    conversion: z.strictObject({ event: z.string().min(1).max(200).default('order_paid'), windowDays: z.number().int().min(1).max(365).default(7) }).optional(),
    description: z.string().max(5000).optional(),
  })
  .refine((c) => new Date(c.endAt) > new Date(c.startAt), { path: ['endAt'], message: 'endAt must be after startAt.' });
export type CreateCampaignInput = z.infer<typeof createCampaignBody>;

export const campaignView = z.object({
  id: z.string(), name: z.string(), goal: z.enum(goals), status: z.enum(statuses),
  startAt: z.string(), endAt: z.string(), budget: z.object({ amount: z.number() }).nullable(),
  conversion: z.object({ event: z.string(), windowDays: z.number() }),
  rejectReason: z.string().nullable(), createdBy: z.string(), approvedBy: z.string().nullable(),
  createdAt: z.string(), updatedAt: z.string(),
});
export type CampaignView = z.infer<typeof campaignView>;

export const rejectBody = z.strictObject({ reason: z.string().min(1).max(2000) });

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM, 24-hour.');
export const scheduleSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('now') }),
  z.strictObject({ type: z.literal('at'), at: iso }),
  z.strictObject({
    type: z.literal('recurring'),
    cron: z.string().min(1).max(200).superRefine((c, ctx) => { const why = cronProblem(c); if (why) ctx.addIssue({ code: 'custom', message: why }); }),
    from: iso.optional(),
    until: iso.optional(),
  }).refine((r) => !r.from || !r.until || new Date(r.until) > new Date(r.from), { path: ['until'], message: 'until must be after from.' }),
  // Sent when a user does `event` (matching `where`, the typed operators of segment `where`), after `delayMinutes`.
  z.strictObject({
    type: z.literal('trigger'),
    event: z.string().min(1).max(200),
    where: z.array(propCondition).max(50).optional(),
    delayMinutes: z.number().int().min(0).max(60 * 24 * 30).optional(),
  }),
]);
export type Schedule = z.infer<typeof scheduleSchema>;
export { hhmm };

export const createTaskBody = z.strictObject({
  name: z.string().min(1).max(200),
  channel: z.enum(channels),
  templateId: z.string().min(1).max(100),
  /** Required, except for a trigger task (without one: everyone who does the event). */
  audience: z.strictObject({ segmentId: z.string().min(1).max(100) }).optional(),
  schedule: scheduleSchema,
  frequency: z.strictObject({ maxPerUser: z.number().int().min(1), perDays: z.number().int().min(1).max(365) }).optional(),
  priority: z.number().int().min(-1000).max(1000).optional(),
  variants: z.array(z.strictObject({
    name: z.string().min(1).max(50).refine((n) => n !== 'control', 'control names the control group.'),
    templateId: z.string().min(1).max(100),
    weight: z.number().int().min(1).max(10_000),
  })).min(1).max(10).refine((vs) => new Set(vs.map((v) => v.name)).size === vs.length, 'Variant names must be unique.').optional(),
  controlPercent: z.number().int().min(0).max(100).optional(),
  /** Each recipient is granted a coupon of this template before rendering (`{{ coupon.code }}`). */
  couponTemplateId: z.string().min(1).max(100).optional(),
}).refine((t) => t.audience || t.schedule.type === 'trigger', { path: ['audience'], message: 'A task needs an audience (only a trigger task may go without).' });
export type CreateTaskInput = z.infer<typeof createTaskBody>;

export const taskView = z.object({
  id: z.string(), campaignId: z.string(), name: z.string(), channel: z.enum(channels), templateId: z.string(),
  audience: z.object({ segmentId: z.string() }).nullable(), schedule: z.unknown(), frequency: z.unknown().nullable(),
  priority: z.number(), status: z.string(), createdAt: z.string(),
  variants: z.array(z.object({ name: z.string(), templateId: z.string(), weight: z.number() })).nullable(), controlPercent: z.number(),
  couponTemplateId: z.string().nullable(),
  /** Template versions the task sends (templateId → version), pinned when it launched; null before. */
  templateVersions: z.record(z.string(), z.number()).nullable(),
});
export type TaskView = z.infer<typeof taskView>;
