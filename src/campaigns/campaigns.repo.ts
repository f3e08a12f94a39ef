import { sql } from 'kysely';
import type { Tx } from '../platform/db.ts';
import type { TimeCursor } from '../platform/cursor.ts';

/** SQL for campaigns, tasks and task runs. */

export const insertCampaign = (tx: Tx, workspaceId: string, row: {
  id: string; name: string; goal: string; startAt: Date; endAt: Date; budgetAmount: number | null;
  conversionEvent: string; conversionWindowDays: number; createdBy: string; now: Date;
}) => tx.insertInto('campaigns').values({
  id: row.id, workspaceId, name: row.name, goal: row.goal, startAt: row.startAt, endAt: row.endAt, budgetAmount: row.budgetAmount,
  conversionEvent: row.conversionEvent, conversionWindowDays: row.conversionWindowDays, status: 'draft', createdBy: row.createdBy,
  createdAt: row.now, updatedAt: row.now,
}).returningAll().executeTakeFirstOrThrow();

export const campaignById = (tx: Tx, workspaceId: string, id: string) =>
  tx.selectFrom('campaigns').selectAll().where('workspaceId', '=', workspaceId).where('id', '=', id).executeTakeFirst();

/** Row-locked read: lifecycle changes serialise on the campaign row. */
export const campaignForUpdate = (tx: Tx, workspaceId: string, id: string) =>
  tx.selectFrom('campaigns').selectAll().where('workspaceId', '=', workspaceId).where('id', '=', id).forUpdate().executeTakeFirst();

export const updateCampaign = (tx: Tx, workspaceId: string, id: string, set: { status?: string; rejectReason?: string | null; submittedBy?: string; approvedBy?: string | null }, now: Date) =>
  tx.updateTable('campaigns').set({ ...set, updatedAt: now }).where('workspaceId', '=', workspaceId).where('id', '=', id).returningAll().executeTakeFirstOrThrow();

export const listCampaigns = (tx: Tx, workspaceId: string, limit: number, status?: string, before?: TimeCursor) =>
  tx.selectFrom('campaigns').selectAll().where('workspaceId', '=', workspaceId).$if(!!status, (q) => q.where('status', '=', status!))
    .$if(!!before, (q) => q.where((eb) => eb.or([eb('createdAt', '<', before!.createdAt), eb.and([eb('createdAt', '=', before!.createdAt), eb('id', '<', before!.id)])])))
    .orderBy('createdAt', 'desc').orderBy('id', 'desc').limit(limit + 1).execute();

export const countByStatus = (tx: Tx, workspaceId: string) =>
  tx.selectFrom('campaigns').select(['status', (eb) => eb.fn.countAll<string>().as('n')]).where('workspaceId', '=', workspaceId).groupBy('status').execute();

export const insertTask = (tx: Tx, workspaceId: string, row: {
  id: string; campaignId: string; name: string; channel: string; templateId: string; segmentId: string | null; schedule: unknown;
  frequency: unknown; priority: number; createdBy: string; now: Date; variants?: unknown; controlPercent?: number; couponTemplateId?: string | null;
}) => tx.insertInto('tasks').values({
  // segment_id is nullable since 0009 (trigger tasks without an audience); the shared table type still says string.
  id: row.id, workspaceId, campaignId: row.campaignId, name: row.name, channel: row.channel, templateId: row.templateId, segmentId: row.segmentId as string,
  schedule: JSON.stringify(row.schedule), frequency: row.frequency ? JSON.stringify(row.frequency) : null, variants: row.variants ? JSON.stringify(row.variants) : null, controlPercent: row.controlPercent ?? 0,
  couponTemplateId: row.couponTemplateId ?? null, priority: row.priority, status: 'scheduled', createdBy: row.createdBy, createdAt: row.now, updatedAt: row.now,
}).returningAll().executeTakeFirstOrThrow();

export const taskById = (tx: Tx, workspaceId: string, id: string) =>
  tx.selectFrom('tasks').selectAll().where('workspaceId', '=', workspaceId).where('id', '=', id).executeTakeFirst();

export const tasksOfCampaign = (tx: Tx, workspaceId: string, campaignId: string) =>
  tx.selectFrom('tasks').selectAll().where('workspaceId', '=', workspaceId).where('campaignId', '=', campaignId).orderBy('createdAt').orderBy('id').execute();

export const setTaskStatus = (tx: Tx, workspaceId: string, id: string, status: string, now: Date) =>
  tx.updateTable('tasks').set({ status, updatedAt: now }).where('workspaceId', '=', workspaceId).where('id', '=', id).execute();


/** Pins the template versions a task sends (at launch). */
export const setTemplateVersions = (tx: Tx, workspaceId: string, id: string, versions: Record<string, number>) =>
  tx.updateTable('tasks').set({ templateVersions: JSON.stringify(Object.entries(versions).map(([templateId, version]) => ({ templateId, version }))) }).where('workspaceId', '=', workspaceId).where('id', '=', id).execute();

/** Trigger tasks of live campaigns in a workspace (what the trigger hook listens for). */
export const liveTriggerTasks = (tx: Tx, workspaceId: string) =>
  tx.selectFrom('tasks').innerJoin('campaigns', 'campaigns.id', 'tasks.campaignId').selectAll('tasks')
    .where('tasks.workspaceId', '=', workspaceId).where('campaigns.workspaceId', '=', workspaceId)
    .where('campaigns.status', 'in', ['approved', 'running']).where(sql<boolean>`tasks.schedule->>'type' = 'trigger'`).execute();
