import type { Platform } from '../platform/context.ts';
import type { Tx } from '../platform/db.ts';
import { AppError, notFound } from '../platform/errors.ts';
import { newId } from '../platform/ids.ts';
import { decodeCursor, page } from '../platform/cursor.ts';
import * as segments from '../audiences/segments.service.ts';
import * as templates from '../templates/templates.service.ts';
import * as delivery from '../delivery/delivery.service.ts';
import * as coupons from '../coupons/coupons.service.ts';
import type { Principal } from '../workspaces/roles.ts';
import * as workspaces from '../workspaces/workspaces.service.ts';
import * as repo from './campaigns.repo.ts';
import type { CampaignStatus, CampaignView, CreateCampaignInput, CreateTaskInput, Schedule, TaskView } from './campaigns.schema.ts';
import { occurrenceFrom } from './schedules.ts';
import { invalidateEventHooks } from '../customers/event-hooks.ts';
import { previewSchedule as preview } from './schedule-preview.ts';

type CampaignRow = NonNullable<Awaited<ReturnType<typeof repo.campaignById>>>;
type TaskRow = NonNullable<Awaited<ReturnType<typeof repo.taskById>>>;

const view = (c: CampaignRow): CampaignView => ({
  id: c.id, name: c.name, goal: c.goal as CampaignView['goal'], status: c.status as CampaignStatus,
  startAt: c.startAt.toISOString(), endAt: c.endAt.toISOString(), budget: c.budgetAmount === null ? null : { amount: Number(c.budgetAmount) },
  conversion: { event: c.conversionEvent, windowDays: c.conversionWindowDays }, rejectReason: c.rejectReason,
  createdBy: c.createdBy, approvedBy: c.approvedBy, createdAt: c.createdAt.toISOString(), updatedAt: c.updatedAt.toISOString(),
});

const taskView = (t: TaskRow): TaskView => ({
  id: t.id, campaignId: t.campaignId, name: t.name, channel: t.channel as TaskView['channel'], templateId: t.templateId,
  audience: t.segmentId ? { segmentId: t.segmentId } : null, schedule: t.schedule, frequency: t.frequency ?? null, priority: t.priority,
  status: t.status, createdAt: t.createdAt.toISOString(),
  variants: (t.variants as TaskView['variants']) ?? null, controlPercent: t.controlPercent,
  couponTemplateId: t.couponTemplateId, templateVersions: t.templateVersions ? Object.fromEntries(t.templateVersions.map((v) => [v.templateId, v.version])) : null,
});

/** Creates a draft campaign. */
export async function createCampaign(p: Platform, who: Principal, input: CreateCampaignInput): Promise<CampaignView> {
  return p.db.transaction().execute(async (tx) => {
    const now = p.clock.now();
    const row = await repo.insertCampaign(tx, who.workspaceId, {
      id: newId('cmp'), name: input.name, goal: input.goal, startAt: new Date(input.startAt), endAt: new Date(input.endAt),
      budgetAmount: input.budget?.amount ?? null, conversionEvent: input.conversion?.event ?? 'order_paid',
      conversionWindowDays: input.conversion?.windowDays ?? 7, createdBy: who.actor, now,
    });
    await workspaces.audit(tx, who, 'campaign.create', 'campaign', row.id, { name: input.name }, now);
    return view(row);
  });
}

export async function getCampaign(p: Platform, workspaceId: string, id: string): Promise<CampaignView & { tasks: TaskView[] }> {
  const c = await repo.campaignById(p.db, workspaceId, id);
  if (!c) throw notFound('Campaign');
  const tasks = await repo.tasksOfCampaign(p.db, workspaceId, id);
  return { ...view(c), tasks: tasks.map(taskView) };
}

export async function listCampaigns(p: Platform, workspaceId: string, limit: number, status?: string, cursor?: string) {
  return page(await repo.listCampaigns(p.db, workspaceId, limit, status, decodeCursor(cursor)), limit, view);
}

/** Task lifecycle as runs progress: scheduled → running → completed (one-off schedules). */
export async function setTaskStatus(tx: Tx, workspaceId: string, id: string, status: 'running' | 'completed', now: Date): Promise<void> {
  // A recurring task with its next run queued is not completed: it is scheduled again.
  const next = status === 'completed' && (await delivery.hasScheduledRun(tx, workspaceId, id)) ? 'scheduled' : status;
  await repo.setTaskStatus(tx, workspaceId, id, next, now);
}

export async function statusCounts(p: Platform, workspaceId: string): Promise<Record<string, number>> {
  const rows = await repo.countByStatus(p.db, workspaceId);
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}

/** Campaign fields delivery and analytics need (conversion window, status). Throws `not_found`. */
export async function campaignInfo(tx: Tx, workspaceId: string, id: string) {
  const c = await repo.campaignById(tx, workspaceId, id);
  if (!c) throw notFound('Campaign');
  return view(c);
}

export async function taskInfo(tx: Tx, workspaceId: string, id: string) {
  const t = await repo.taskById(tx, workspaceId, id);
  if (!t) throw notFound('Task');
  return taskView(t);
}

type Action = 'submit' | 'approve' | 'reject' | 'pause' | 'resume' | 'end';
const from: Record<Action, CampaignStatus[]> = {
  submit: ['draft'],
  approve: ['pending_approval'],
  reject: ['pending_approval'],
  pause: ['approved', 'running'],
  resume: ['paused'],
  end: ['draft', 'pending_approval', 'approved', 'running', 'paused'],
};

/**
 * Moves a campaign through its lifecycle. Approval: with `requireApproval` on, only an
 * `approver`/`admin` who is not the creator may approve; otherwise whoever may approve,
 * the creator included. Approving (and resuming) launches the tasks that are due, in the
 * same transaction. Throws `not_found`, `invalid_state`, `forbidden`, `approver_required`.
 */
export async function transition(p: Platform, who: Principal, id: string, action: Action, reason?: string): Promise<CampaignView> {
  return p.db.transaction().execute(async (tx) => {
    const now = p.clock.now();
    const c = await repo.campaignForUpdate(tx, who.workspaceId, id);
    if (!c) throw notFound('Campaign');
    if (!from[action].includes(c.status as CampaignStatus)) {
      throw new AppError('invalid_state', `Cannot ${action} a campaign that is ${c.status}.`);
    }
    if (action === 'approve' || action === 'reject') await checkApprover(tx, who, c);
    // With approval required, tasks cannot be added after submitting (createTask), so an empty
    // campaign could never send: refused. Without it, tasks may follow (a live campaign launches
    // them at once), so an empty campaign goes through its lifecycle like any other.
    if (action === 'submit' && (await repo.tasksOfCampaign(tx, who.workspaceId, id)).length === 0 && (await workspaces.settings(tx, who.workspaceId)).requireApproval) {
      throw new AppError('invalid_state', 'Add at least one task before submitting: this workspace requires approval, and tasks cannot be added to a submitted campaign.');
    }
    const next: Record<Action, CampaignStatus> = {
      submit: 'pending_approval', approve: 'approved', reject: 'draft', pause: 'paused',
      resume: (await delivery.hasStarted(tx, who.workspaceId, id)) ? 'running' : 'approved', end: 'ended',
    };
    const row = await repo.updateCampaign(tx, who.workspaceId, id, {
      status: next[action],
      ...(action === 'submit' ? { submittedBy: who.actor, rejectReason: null } : {}),
      ...(action === 'approve' ? { approvedBy: who.actor } : {}),
      ...(action === 'reject' ? { rejectReason: reason ?? null, approvedBy: null } : {}),
    }, now);
    if (action === 'approve') {
      for (const t of await repo.tasksOfCampaign(tx, who.workspaceId, id)) await launchTask(p, tx, row, t, now);
      await delivery.scheduleCampaignEnd(p, tx, who.workspaceId, id, row.endAt);
    }
    if (action === 'resume') await delivery.resumeCampaign(p, tx, who.workspaceId, id);
    if (action === 'end') await delivery.campaignEnded(p, tx, who.workspaceId, id);
    if (action === 'pause') invalidateEventHooks(who.workspaceId);
    await workspaces.audit(tx, who, `campaign.${action}`, 'campaign', id, reason ? { reason } : {}, now);
    return view(row);
  });
}

async function checkApprover(tx: Tx, who: Principal, c: CampaignRow): Promise<void> {
  const ws = await workspaces.settings(tx, who.workspaceId);
  if (!ws.requireApproval) return;
  if (who.role !== 'approver' && who.role !== 'admin') {
    throw new AppError('forbidden', 'This workspace requires an approver (role approver or admin) to approve campaigns.');
  }
  if (who.actor === c.createdBy || who.actor === c.submittedBy) {
    throw new AppError('approver_required', 'This workspace requires a second person: the creator or submitter cannot approve.');
  }
}

const templatesOf = (t: TaskRow): string[] => [t.templateId, ...(((t.variants ?? []) as { templateId: string }[]).map((v) => v.templateId))];

/**
 * Creates the task's run for its schedule, if the campaign is live. The first launch pins the
 * template versions the task sends (with review required: the approved ones, else
 * `template_not_approved` fails the approval); later edits of the templates do not change them.
 */
async function launchTask(p: Platform, tx: Tx, c: CampaignRow, t: TaskRow, now: Date): Promise<void> {
  if (c.status !== 'approved' && c.status !== 'running') return;
  if (!t.templateVersions) await repo.setTemplateVersions(tx, c.workspaceId, t.id, await templates.versionsForLaunch(tx, c.workspaceId, templatesOf(t)));
  if ((t.schedule as Schedule).type === 'trigger') {
    await delivery.openTriggerRun(p, tx, { workspaceId: c.workspaceId, taskId: t.id, campaignId: c.id, scheduledFor: c.startAt, priority: t.priority });
    await repo.setTaskStatus(tx, c.workspaceId, t.id, 'running', now);
    return;
  }
  if ((t.schedule as Schedule).type === 'recurring') {
    await scheduleNextRecurring(p, tx, c, t, now);
    return;
  }
  const schedule = t.schedule as { type: 'now' } | { type: 'at'; at: string };
  const wanted = schedule.type === 'at' ? new Date(schedule.at) : now;
  // A task never runs before its campaign starts, nor after it ends.
  const at = new Date(Math.max(wanted.getTime(), c.startAt.getTime()));
  if (at >= c.endAt) return;
  await delivery.scheduleRun(p, tx, { workspaceId: c.workspaceId, taskId: t.id, campaignId: c.id, scheduledFor: at, priority: t.priority });
  await repo.setTaskStatus(tx, c.workspaceId, t.id, 'scheduled', now);
}

/**
 * A recurring task has one future run at a time: launching creates the first, and each run,
 * when it starts, creates the next occurrence after max(now, its own time). A run that was due
 * during downtime or a pause therefore runs once when work resumes, not once per missed
 * occurrence, and (task, time) stays unique. Returns whether a run was created.
 */
async function scheduleNextRecurring(p: Platform, tx: Tx, c: CampaignRow, t: TaskRow, after: Date): Promise<boolean> {
  const schedule = t.schedule as Extract<Schedule, { type: 'recurring' }>;
  const tz = (await workspaces.settings(tx, c.workspaceId)).timezone;
  const from = Math.max(after.getTime(), c.startAt.getTime(), schedule.from ? new Date(schedule.from).getTime() : 0);
  const next = occurrenceFrom(schedule.cron, new Date(from), tz);
  const stop = Math.min(c.endAt.getTime(), schedule.until ? new Date(schedule.until).getTime() : Infinity);
  if (next.getTime() >= stop) return false;
  await delivery.scheduleRun(p, tx, { workspaceId: c.workspaceId, taskId: t.id, campaignId: c.id, scheduledFor: next, priority: t.priority });
  await repo.setTaskStatus(tx, c.workspaceId, t.id, 'scheduled', p.clock.now());
  return true;
}

/** Called by delivery when a run of a recurring task starts: queues the following run. */
export async function scheduleFollowingRun(p: Platform, tx: Tx, workspaceId: string, campaignId: string, taskId: string, after: Date): Promise<void> {
  const c = await repo.campaignById(tx, workspaceId, campaignId);
  const t = await repo.taskById(tx, workspaceId, taskId);
  if (!c || !t || (t.schedule as Schedule).type !== 'recurring') return;
  if (c.status !== 'approved' && c.status !== 'running') return;
  await scheduleNextRecurring(p, tx, c, t, new Date(after.getTime() + 1)); // strictly after: the current run holds `after`
}

/**
 * Adds a task. Template and segment must be of this workspace and the template's channel
 * must match. Added to a live campaign, it launches at once. Throws `not_found`,
 * `validation_failed`, `invalid_state`.
 */
export async function createTask(p: Platform, who: Principal, campaignId: string, input: CreateTaskInput): Promise<TaskView> {
  return p.db.transaction().execute(async (tx) => {
    const now = p.clock.now();
    const c = await repo.campaignForUpdate(tx, who.workspaceId, campaignId);
    if (!c) throw notFound('Campaign');
    if (c.status === 'ended') throw new AppError('invalid_state', 'The campaign has ended.');
    // What a second person approved must be all that is sent: with approval required, a task
    // joins a campaign only before its approval (draft, or pending, where the approver sees it).
    if (!['draft', 'pending_approval'].includes(c.status) && (await workspaces.settings(tx, who.workspaceId)).requireApproval) {
      throw new AppError('invalid_state', `This workspace requires approval: a task can be added while the campaign is a draft or pending approval, not when it is ${c.status}. Create another campaign for it.`);
    }
    const tpl = await templates.compiledTemplate(tx, who.workspaceId, input.templateId).catch(() => {
      throw new AppError('validation_failed', 'Unknown template.', [{ path: 'templateId', message: 'No such template in this workspace.' }]);
    });
    if (tpl.template.channel !== input.channel) {
      throw new AppError('validation_failed', 'Template and task channels differ.', [{ path: 'templateId', message: `The template is for ${tpl.template.channel}, the task for ${input.channel}.` }]);
    }
    for (const [i, v] of (input.variants ?? []).entries()) {
      const vt = await templates.compiledTemplate(tx, who.workspaceId, v.templateId).catch(() => {
        throw new AppError('validation_failed', 'Unknown template.', [{ path: `variants[${i}].templateId`, message: 'No such template in this workspace.' }]);
      });
      if (vt.template.channel !== input.channel) {
        throw new AppError('validation_failed', 'Template and task channels differ.', [{ path: `variants[${i}].templateId`, message: `The template is for ${vt.template.channel}, the task for ${input.channel}.` }]);
      }
    }
    if (input.audience) {
      await segments.assertExists(tx, who.workspaceId, input.audience.segmentId).catch(() => {
        throw new AppError('validation_failed', 'Unknown segment.', [{ path: 'audience.segmentId', message: 'No such segment in this workspace.' }]);
      });
    }
    if (input.couponTemplateId) {
      await coupons.getTemplate(p, who.workspaceId, input.couponTemplateId).catch(() => {
        throw new AppError('validation_failed', 'Unknown coupon template.', [{ path: 'couponTemplateId', message: 'No such coupon template in this workspace.' }]);
      });
    }
    // With review required, a task may only be built on templates that have an approved version.
    await templates.versionsForLaunch(tx, who.workspaceId, [input.templateId, ...(input.variants ?? []).map((v) => v.templateId)]);
    const t = await repo.insertTask(tx, who.workspaceId, {
      id: newId('tsk'), campaignId, name: input.name, channel: input.channel, templateId: input.templateId, segmentId: input.audience?.segmentId ?? null,
      schedule: input.schedule, frequency: input.frequency ?? null, priority: input.priority ?? 0, createdBy: who.actor, now,
      variants: input.variants ?? null, controlPercent: input.controlPercent ?? 0, couponTemplateId: input.couponTemplateId ?? null,
    });
    await launchTask(p, tx, c, t, now);
    await workspaces.audit(tx, who, 'task.create', 'task', t.id, { campaignId, name: input.name }, now);
    return taskView(t);
  });
}

export async function getTask(p: Platform, workspaceId: string, id: string): Promise<TaskView> {
  return taskInfo(p.db, workspaceId, id);
}

/** Trigger tasks of the workspace's live campaigns (the trigger hook's config). */
export async function liveTriggerTasks(tx: Tx, workspaceId: string): Promise<TaskView[]> {
  return (await repo.liveTriggerTasks(tx, workspaceId)).map(taskView);
}

/** Marks a campaign running when its first run starts (approved → running). */
export async function markRunning(tx: Tx, workspaceId: string, id: string, now: Date): Promise<void> {
  await tx.updateTable('campaigns').set({ status: 'running', updatedAt: now }).where('workspaceId', '=', workspaceId).where('id', '=', id).where('status', '=', 'approved').execute();
}

/** Ends a campaign at its endAt (the scheduled end job). */
export async function endIfDue(p: Platform, workspaceId: string, id: string): Promise<void> {
  await p.db.transaction().execute(async (tx) => {
    const c = await repo.campaignForUpdate(tx, workspaceId, id);
    if (!c || c.status === 'ended' || c.endAt > p.clock.now()) return;
    await repo.updateCampaign(tx, workspaceId, id, { status: 'ended' }, p.clock.now());
    await delivery.campaignEnded(p, tx, workspaceId, id);
    await workspaces.audit(tx, { workspaceId, actor: 'system', role: 'admin' }, 'campaign.end', 'campaign', id, { reason: 'endAt reached' }, p.clock.now());
  });
}

/** POST /v1/schedules/preview: the schedule in words and its next runs, in the workspace timezone. */
export async function previewSchedule(p: Platform, workspaceId: string, schedule: Schedule) {
  return preview(schedule, (await workspaces.settings(p.db, workspaceId)).timezone, p.clock.now());
}

/**
 * Cost estimate of an SMS task: audience count × segments of one message × the provider's unit
 * price. Segments are those of the task's template (its pinned version once launched) rendered
 * for the first member of the audience. Throws `not_found`, `validation_failed` (not SMS).
 */
export async function estimateTask(p: Platform, workspaceId: string, id: string) {
  const t = await taskInfo(p.db, workspaceId, id);
  if (t.channel !== 'sms') throw new AppError('validation_failed', 'Cost estimates are for SMS tasks.', [{ path: 'id', message: `This task sends ${t.channel}.` }]);
  const audience = t.audience ? (await segments.getSegment(p, workspaceId, t.audience.segmentId)).count ?? 0 : null;
  const first = t.audience ? (await segments.members(p, workspaceId, t.audience.segmentId, 1)).items[0] ?? null : null;
  const sms = await templates.smsEstimate(p, workspaceId, t.templateId, t.templateVersions?.[t.templateId] ?? null, first);
  return {
    taskId: t.id, channel: t.channel, audience, segmentsPerMessage: sms.smsSegments, encoding: sms.smsEncoding,
    unitPrice: sms.smsCost.unitPrice, currency: sms.smsCost.currency, perMessage: sms.smsCost.total,
    total: audience === null ? null : audience * sms.smsCost.total,
  };
}
