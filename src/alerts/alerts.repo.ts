import { sql } from 'kysely';
import type { Tx } from '../platform/db.ts';
import type { TimeCursor } from '../platform/cursor.ts';

export type AlertRow = NonNullable<Awaited<ReturnType<typeof alertById>>>;

/** Inserts an alert; with a dedup key, a second alert with the same key is dropped (returns undefined). */
export const insertAlert = (tx: Tx, workspaceId: string, a: { id: string; kind: string; severity: string; subjectType: string; subjectId: string; message: string; data: unknown; dedupKey: string | null; now: Date }) =>
  tx.insertInto('alerts').values({
    workspaceId, id: a.id, kind: a.kind, severity: a.severity, subjectType: a.subjectType, subjectId: a.subjectId, message: a.message,
    data: JSON.stringify(a.data ?? {}), dedupKey: a.dedupKey, createdAt: a.now,
  }).onConflict((oc) => oc.columns(['workspaceId', 'dedupKey']).where('dedupKey', 'is not', null).doNothing()).returningAll().executeTakeFirst();

export const alertById = (tx: Tx, workspaceId: string, id: string) =>
  tx.selectFrom('alerts').selectAll().where('workspaceId', '=', workspaceId).where('id', '=', id).executeTakeFirst();

export const listAlerts = (tx: Tx, workspaceId: string, limit: number, filter: { acked?: boolean; kind?: string }, before?: TimeCursor) =>
  tx.selectFrom('alerts').selectAll().where('workspaceId', '=', workspaceId)
    .$if(filter.acked === true, (q) => q.where('ackedAt', 'is not', null))
    .$if(filter.acked === false, (q) => q.where('ackedAt', 'is', null))
    .$if(!!filter.kind, (q) => q.where('kind', '=', filter.kind!))
    .$if(!!before, (q) => q.where((eb) => eb.or([eb('createdAt', '<', before!.createdAt), eb.and([eb('createdAt', '=', before!.createdAt), eb('id', '<', before!.id)])])))
    .orderBy('createdAt', 'desc').orderBy('id', 'desc').limit(limit + 1).execute();

export const ackAlert = (tx: Tx, workspaceId: string, id: string, actor: string, now: Date) =>
  tx.updateTable('alerts').set({ ackedBy: actor, ackedAt: now }).where('workspaceId', '=', workspaceId).where('id', '=', id).where('ackedAt', 'is', null).returningAll().executeTakeFirst();

export const markNotified = (tx: Tx, workspaceId: string, id: string, now: Date) =>
  tx.updateTable('alerts').set({ notifiedAt: now }).where('workspaceId', '=', workspaceId).where('id', '=', id).execute();

export const killSwitches = (tx: Tx, workspaceId: string) =>
  tx.selectFrom('killSwitches').selectAll().where('workspaceId', '=', workspaceId).orderBy('createdAt', 'desc').execute();

/** Where a page of kill switches resumes: the last row's key. */
export interface KillSwitchCursor { createdAt: Date; subjectType: string; subjectId: string }

/**
 * A page of kill switches, newest first. The table has no id: the keyset is (created_at desc,
 * subject_type desc, subject_id desc), its primary key within the workspace after the time.
 */
export const listKillSwitches = (tx: Tx, workspaceId: string, limit: number, before?: KillSwitchCursor) =>
  tx.selectFrom('killSwitches').selectAll().where('workspaceId', '=', workspaceId)
    .$if(!!before, (q) => q.where((eb) => eb.or([
      eb('createdAt', '<', before!.createdAt),
      eb.and([eb('createdAt', '=', before!.createdAt), eb.or([
        eb('subjectType', '<', before!.subjectType),
        eb.and([eb('subjectType', '=', before!.subjectType), eb('subjectId', '<', before!.subjectId)]),
      ])]),
    ])))
    .orderBy('createdAt', 'desc').orderBy('subjectType', 'desc').orderBy('subjectId', 'desc').limit(limit + 1).execute();

export const insertKillSwitch = (tx: Tx, workspaceId: string, k: { subjectType: string; subjectId: string; reason: string | null; createdBy: string; now: Date }) =>
  tx.insertInto('killSwitches').values({ workspaceId, subjectType: k.subjectType, subjectId: k.subjectId, reason: k.reason, createdBy: k.createdBy, createdAt: k.now })
    .onConflict((oc) => oc.columns(['workspaceId', 'subjectType', 'subjectId']).doNothing()).returningAll().executeTakeFirst();

export const deleteKillSwitch = (tx: Tx, workspaceId: string, subjectType: string, subjectId: string) =>
  tx.deleteFrom('killSwitches').where('workspaceId', '=', workspaceId).where('subjectType', '=', subjectType).where('subjectId', '=', subjectId).executeTakeFirst();

export const settings = (tx: Tx, workspaceId: string) =>
  tx.selectFrom('alertSettings').selectAll().where('workspaceId', '=', workspaceId).executeTakeFirst();

export const putSettings = (tx: Tx, workspaceId: string, s: { webhookUrl: string | null; allowPrivateNetworks: boolean; updatedBy: string; now: Date }) =>
  tx.insertInto('alertSettings').values({ workspaceId, webhookUrl: s.webhookUrl, allowPrivateNetworks: s.allowPrivateNetworks, updatedBy: s.updatedBy, updatedAt: s.now })
    .onConflict((oc) => oc.column('workspaceId').doUpdateSet({ webhookUrl: s.webhookUrl, allowPrivateNetworks: s.allowPrivateNetworks, updatedBy: s.updatedBy, updatedAt: s.now })).returningAll().executeTakeFirstOrThrow();

/**
 * Every workspace id, for the per-minute rate monitor (cross-workspace scan of the workspaces
 * domain's table: its service has no list of workspaces for jobs; read-only, ids only).
 */
export const allWorkspaceIds = async (tx: Tx) => (await sql<{ id: string }>`select id from workspaces`.execute(tx)).rows.map((r) => r.id);
