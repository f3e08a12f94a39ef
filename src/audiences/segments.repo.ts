import { sql, type RawBuilder } from 'kysely';
import type { Tx } from '../platform/db.ts';
import type { TimeCursor } from '../platform/cursor.ts';

/** SQL for segments, their snapshots and members. */

export const insertSegment = (tx: Tx, workspaceId: string, row: { id: string; name: string; definition: unknown; refresh: string; createdBy: string; now: Date }) =>
  tx.insertInto('segments').values({
    id: row.id, workspaceId, name: row.name, definition: JSON.stringify(row.definition), refresh: row.refresh,
    status: 'computing', createdBy: row.createdBy, createdAt: row.now, updatedAt: row.now,
  }).returningAll().executeTakeFirstOrThrow();

export const segmentById = (tx: Tx, workspaceId: string, id: string) =>
  tx.selectFrom('segments').selectAll().where('workspaceId', '=', workspaceId).where('id', '=', id).executeTakeFirst();

export const listSegments = (tx: Tx, workspaceId: string, limit: number, before?: TimeCursor) =>
  tx.selectFrom('segments').selectAll().where('workspaceId', '=', workspaceId)
    .$if(!!before, (q) => q.where((eb) => eb.or([eb('createdAt', '<', before!.createdAt), eb.and([eb('createdAt', '=', before!.createdAt), eb('id', '<', before!.id)])])))
    .orderBy('createdAt', 'desc').orderBy('id', 'desc').limit(limit + 1).execute();

export const setStatus = (tx: Tx, workspaceId: string, id: string, status: string, now: Date, error: string | null = null) =>
  tx.updateTable('segments').set({ status, error, updatedAt: now }).where('workspaceId', '=', workspaceId).where('id', '=', id).execute();

/** Writes a snapshot of everyone matching `predicate` (an expression over users `u`). */
export async function writeSnapshot(tx: Tx, workspaceId: string, segmentId: string, predicate: RawBuilder<unknown>, reason: string, now: Date): Promise<{ id: string; count: number }> {
  const snap = await tx.insertInto('segmentSnapshots').values({ workspaceId, segmentId, computedAt: now, count: 0, reason }).returning('id').executeTakeFirstOrThrow();
  const r = await sql`insert into segment_members (snapshot_id, user_id, workspace_id)
    select ${snap.id}::bigint, u.id, ${workspaceId} from users u where u.workspace_id = ${workspaceId} and ${predicate}`.execute(tx);
  const count = Number(r.numAffectedRows ?? 0);
  await tx.updateTable('segmentSnapshots').set({ count }).where('id', '=', snap.id).execute();
  return { id: snap.id, count };
}

export const markReady = (tx: Tx, workspaceId: string, id: string, snapshotId: string, count: number, now: Date) =>
  tx.updateTable('segments').set({ status: 'ready', count, computedAt: now, currentSnapshotId: snapshotId, error: null, updatedAt: now })
    .where('workspaceId', '=', workspaceId).where('id', '=', id).execute();

export const snapshotIdOf = async (tx: Tx, workspaceId: string, segmentId: string) =>
  (await tx.selectFrom('segments').select('currentSnapshotId').where('workspaceId', '=', workspaceId).where('id', '=', segmentId).executeTakeFirst())?.currentSnapshotId ?? null;

export async function countMatching(tx: Tx, workspaceId: string, predicate: RawBuilder<unknown>, sampleSize: number) {
  const c = await sql<{ n: string }>`select count(*) as n from users u where u.workspace_id = ${workspaceId} and ${predicate}`.execute(tx);
  const s = await sql<{ externalId: string }>`select u.external_id from users u where u.workspace_id = ${workspaceId} and ${predicate} order by u.id limit ${sampleSize}`.execute(tx);
  return { count: Number(c.rows[0]!.n), sample: s.rows.map((r) => r.externalId) };
}

export async function userMatches(tx: Tx, workspaceId: string, userId: string, predicate: RawBuilder<unknown>): Promise<boolean> {
  const r = await sql<{ hit: boolean }>`select coalesce(${predicate}, false) as hit from users u where u.workspace_id = ${workspaceId} and u.id = ${userId}::bigint`.execute(tx);
  return r.rows[0]?.hit === true;
}

export const members = (tx: Tx, workspaceId: string, snapshotId: string, limit: number, afterUserId?: string) =>
  tx.selectFrom('segmentMembers as m').innerJoin('users as u', 'u.id', 'm.userId')
    .select(['m.userId', 'u.externalId']).where('m.snapshotId', '=', snapshotId).where('m.workspaceId', '=', workspaceId)
    .$if(afterUserId !== undefined, (q) => q.where('m.userId', '>', afterUserId!))
    .orderBy('m.userId').limit(limit + 1).execute();

/** Member user ids of a snapshot split into consecutive ranges of `size` (delivery batches). */
export async function memberRanges(tx: Tx, workspaceId: string, snapshotId: string, size: number): Promise<{ from: string; to: string; n: number }[]> {
  const r = await sql<{ from: string; to: string; n: number }>`
    select min(user_id) as from, max(user_id) as to, count(*)::int as n from (
      select user_id, (row_number() over (order by user_id) - 1) / ${size} as b
      from segment_members where snapshot_id = ${snapshotId}::bigint and workspace_id = ${workspaceId}
    ) x group by b order by b`.execute(tx);
  return r.rows;
}

export const memberIdsInRange = async (tx: Tx, workspaceId: string, snapshotId: string, from: string, to: string) =>
  (await tx.selectFrom('segmentMembers').select('userId').where('snapshotId', '=', snapshotId).where('workspaceId', '=', workspaceId)
    .where('userId', '>=', from).where('userId', '<=', to).orderBy('userId').execute()).map((r) => r.userId);

export const snapshotCount = async (tx: Tx, workspaceId: string, snapshotId: string) =>
  (await tx.selectFrom('segmentSnapshots').select('count').where('workspaceId', '=', workspaceId).where('id', '=', snapshotId).executeTakeFirst())?.count ?? 0;

export const history = (tx: Tx, workspaceId: string, segmentId: string, limit: number) =>
  tx.selectFrom('segmentSnapshots').select(['id', 'computedAt', 'count', 'reason']).where('workspaceId', '=', workspaceId).where('segmentId', '=', segmentId)
    .orderBy('computedAt', 'desc').limit(limit).execute();
