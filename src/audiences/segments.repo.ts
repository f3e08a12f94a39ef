import { sql, type RawBuilder } from 'kysely';
import type { Tx } from '../platform/db.ts';
import type { TimeCursor } from '../platform/cursor.ts';

/** SQL for segments, their snapshots and members. */

export interface NewSegmentRow {
  id: string;
  name: string;
  kind: string;
  definition: unknown;
  refresh: string;
  refreshAt: string;
  nextRefreshAt: Date | null;
  status: 'computing' | 'ready';
  createdBy: string;
  now: Date;
}

export const insertSegment = (tx: Tx, workspaceId: string, row: NewSegmentRow) =>
  tx.insertInto('segments').values({
    id: row.id, workspaceId, name: row.name, kind: row.kind, definition: JSON.stringify(row.definition), refresh: row.refresh,
    refreshAt: row.refreshAt, nextRefreshAt: row.nextRefreshAt, status: row.status, createdBy: row.createdBy, createdAt: row.now, updatedAt: row.now,
  }).returningAll().executeTakeFirstOrThrow();

export interface SegmentChanges {
  name?: string;
  kind?: string;
  definition?: unknown;
  refresh?: string;
  refreshAt?: string;
  nextRefreshAt?: Date | null;
  status?: string;
}

export const updateSegment = (tx: Tx, workspaceId: string, id: string, changes: SegmentChanges, now: Date) =>
  tx.updateTable('segments').set({
    ...changes, definition: changes.definition === undefined ? undefined : JSON.stringify(changes.definition), updatedAt: now,
    ...(changes.status === 'computing' ? { error: null } : {}),
  }).where('workspaceId', '=', workspaceId).where('id', '=', id).returningAll().executeTakeFirstOrThrow();

/** Locks the segment row: concurrent PATCHes of referencing segments are checked for cycles one at a time. */
export const segmentForUpdate = (tx: Tx, workspaceId: string, id: string) =>
  tx.selectFrom('segments').selectAll().where('workspaceId', '=', workspaceId).where('id', '=', id).forUpdate().executeTakeFirst();

/**
 * Serialises changes to the workspace's reference graph: two PATCHes that each add one half of
 * a cycle (A → B, B → A) would otherwise both see the other's old definition and pass.
 */
export const lockReferenceGraph = (tx: Tx, workspaceId: string) =>
  sql`select pg_advisory_xact_lock(hashtextextended(${`marketloop:segment-refs:${workspaceId}`}, 0))`.execute(tx);

/** Kind and definition of the given segments of this workspace (cycle detection walks references). */
export const definitionsOf = (tx: Tx, workspaceId: string, ids: string[]) =>
  ids.length === 0 ? Promise.resolve([]) : tx.selectFrom('segments').select(['id', 'kind', 'definition']).where('workspaceId', '=', workspaceId).where('id', 'in', ids).execute();

export const segmentById = (tx: Tx, workspaceId: string, id: string) =>
  tx.selectFrom('segments').selectAll().where('workspaceId', '=', workspaceId).where('id', '=', id).executeTakeFirst();

export const listSegments = (tx: Tx, workspaceId: string, limit: number, before?: TimeCursor) =>
  tx.selectFrom('segments').selectAll().where('workspaceId', '=', workspaceId)
    .$if(!!before, (q) => q.where((eb) => eb.or([eb('createdAt', '<', before!.createdAt), eb.and([eb('createdAt', '=', before!.createdAt), eb('id', '<', before!.id)])])))
    .orderBy('createdAt', 'desc').orderBy('id', 'desc').limit(limit + 1).execute();

export const setStatus = (tx: Tx, workspaceId: string, id: string, status: string, now: Date, error: string | null = null) =>
  tx.updateTable('segments').set({ status, error, updatedAt: now }).where('workspaceId', '=', workspaceId).where('id', '=', id).execute();

export const insertSnapshot = async (tx: Tx, workspaceId: string, segmentId: string, reason: string, now: Date, count = 0) =>
  (await tx.insertInto('segmentSnapshots').values({ workspaceId, segmentId, computedAt: now, count, reason }).returning('id').executeTakeFirstOrThrow()).id;

export const setSnapshotCount = (tx: Tx, workspaceId: string, snapshotId: string, count: number) =>
  tx.updateTable('segmentSnapshots').set({ count }).where('workspaceId', '=', workspaceId).where('id', '=', snapshotId).execute();

/**
 * Settings for one set-based computation (this transaction only).
 *
 * Memory: a behaviour condition under `any` or `not` is a subplan `u.id [not] in (…)`, which
 * PostgreSQL hashes only when the hash table fits in work_mem × hash_mem_multiplier; otherwise
 * it rescans the subquery's result for every user (quadratic). 256 MB holds ~10M user ids, so
 * the hashed form is kept at a million users; hash joins and sorts that need more spill to disk.
 *
 * Grouping by sorting: a count per user is a GROUP BY user_id with about as many groups as
 * rows (2.3M page views of 900k users in 30 days), where PostgreSQL's hash aggregate costs
 * ~500 ns a row in cache misses and allocations; sorting the ids and counting runs is about
 * twice as fast (1.6 → 0.8 s for that pass; the 14-day order_paid set 84 → 66 ms), and never
 * slower on the typical definitions of bench/segments.ts. The planner's costs favour hashing,
 * so it is switched off here; membership tests stay hashed (hashed subplans, hash joins).
 */
export const prepareSetComputation = (tx: Tx) =>
  sql`set local work_mem = '256MB'; set local enable_hashagg = off; set local enable_partitionwise_aggregate = on`.execute(tx);

/**
 * The ids of everyone matching `predicate` (an expression over users `u`), ascending, as
 * PostgreSQL's bigint[] text: one value, parsed without a row object per member. A plain
 * SELECT, so PostgreSQL may run it in parallel workers (an INSERT … SELECT never does): with
 * events partitioned by user, each worker groups whole partitions (docs/scale.md §1).
 */
export async function matchingIdsText(tx: Tx, workspaceId: string, predicate: RawBuilder<unknown>): Promise<string> {
  const r = await sql<{ ids: string }>`select coalesce(array_agg(u.id order by u.id), '{}')::text as ids
    from users u where u.workspace_id = ${workspaceId} and ${predicate}`.execute(tx);
  return r.rows[0]!.ids;
}

/** Writes a snapshot of the users in `idsText` (matchingIdsText's ascending ids of this workspace). */
export async function writeSnapshotOfMatching(tx: Tx, workspaceId: string, segmentId: string, idsText: string, count: number, reason: string, now: Date): Promise<{ id: string; count: number }> {
  const id = await insertSnapshot(tx, workspaceId, segmentId, reason, now, count);
  await sql`insert into segment_members (snapshot_id, user_id, workspace_id)
    select ${id}::bigint, m, ${workspaceId} from unnest(${idsText}::bigint[]) as m`.execute(tx);
  return { id, count };
}

/** Writes a snapshot of the given users (ids an SQL segment produced, already of this workspace). */
export async function writeSnapshotOfIds(tx: Tx, workspaceId: string, segmentId: string, userIds: string[], reason: string, now: Date): Promise<{ id: string; count: number }> {
  const id = await insertSnapshot(tx, workspaceId, segmentId, reason, now);
  // Joined with users again: the snapshot only ever holds users of this workspace.
  const r = await sql`insert into segment_members (snapshot_id, user_id, workspace_id)
    select ${id}::bigint, u.id, ${workspaceId} from users u where u.workspace_id = ${workspaceId} and u.id = any(${userIds}::bigint[])`.execute(tx);
  const count = Number(r.numAffectedRows ?? 0);
  await setSnapshotCount(tx, workspaceId, id, count);
  return { id, count };
}

/**
 * Adds the users named by `externalIds` to a list snapshot; returns the externalIds that are
 * users here (the caller reports the others). Repeated ids are members once.
 */
export async function addListMembers(tx: Tx, workspaceId: string, snapshotId: string, externalIds: string[]): Promise<Set<string>> {
  const r = await sql<{ externalId: string }>`
    with found as (
      select u.id, u.external_id from users u where u.workspace_id = ${workspaceId} and u.external_id = any(${externalIds}::text[])
    ), ins as (
      insert into segment_members (snapshot_id, user_id, workspace_id)
      select ${snapshotId}::bigint, id, ${workspaceId} from found on conflict do nothing
    )
    select external_id from found`.execute(tx);
  return new Set(r.rows.map((x) => x.externalId));
}

export async function countMembers(tx: Tx, workspaceId: string, snapshotId: string): Promise<number> {
  const r = await sql<{ n: number }>`select count(*)::int as n from segment_members where snapshot_id = ${snapshotId}::bigint and workspace_id = ${workspaceId}`.execute(tx);
  return r.rows[0]!.n;
}

/** A page of a snapshot's members with the profile fields an export can ask for, by user id. */
export const exportPage = (tx: Tx, workspaceId: string, snapshotId: string, afterUserId: string, limit: number) =>
  tx.selectFrom('segmentMembers as m').innerJoin('users as u', 'u.id', 'm.userId')
    .select(['u.id', 'u.externalId', 'u.phone', 'u.email', 'u.platform', 'u.createdAt', 'u.attributes'])
    .where('m.snapshotId', '=', snapshotId).where('m.workspaceId', '=', workspaceId).where('u.workspaceId', '=', workspaceId)
    .where('m.userId', '>', afterUserId).orderBy('m.userId').limit(limit).execute();

/**
 * Daily segments due now, across workspaces (the scheduler serves all of them), locked so two
 * scheduler runs never take the same one.
 */
export const dueDailySegments = (tx: Tx, now: Date, limit: number) =>
  tx.selectFrom('segments').select(['id', 'workspaceId', 'refreshAt', 'nextRefreshAt']).where('refresh', '=', 'daily')
    .where('nextRefreshAt', '<=', now)
    .orderBy('nextRefreshAt').limit(limit).forUpdate().skipLocked().execute();

export const markReady = (tx: Tx, workspaceId: string, id: string, snapshotId: string, count: number, now: Date) =>
  tx.updateTable('segments').set({ status: 'ready', count, computedAt: now, currentSnapshotId: snapshotId, error: null, updatedAt: now })
    .where('workspaceId', '=', workspaceId).where('id', '=', id).execute();

/** Current snapshot ids of these segments of the workspace (a segment not computed, or not here, is missing). */
export async function currentSnapshotIds(tx: Tx, workspaceId: string, segmentIds: string[]): Promise<Map<string, string>> {
  const rows = await tx.selectFrom('segments').select(['id', 'currentSnapshotId']).where('workspaceId', '=', workspaceId)
    .where('id', 'in', segmentIds).where('currentSnapshotId', 'is not', null).execute();
  return new Map(rows.map((r) => [r.id, r.currentSnapshotId!]));
}

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

/** A delivery batch's members in user order, as one array (one row to parse, not a thousand). */
export const memberIdsInRange = async (tx: Tx, workspaceId: string, snapshotId: string, from: string, to: string): Promise<string[]> =>
  (await sql<{ ids: string[] | null }>`select array_agg(user_id order by user_id)::text[] as ids from segment_members
    where snapshot_id = ${snapshotId}::bigint and workspace_id = ${workspaceId} and user_id >= ${from}::bigint and user_id <= ${to}::bigint`.execute(tx)).rows[0]?.ids ?? [];

export const snapshotCount = async (tx: Tx, workspaceId: string, snapshotId: string) =>
  (await tx.selectFrom('segmentSnapshots').select('count').where('workspaceId', '=', workspaceId).where('id', '=', snapshotId).executeTakeFirst())?.count ?? 0;

/** A page of a segment's snapshots, newest first: keyset (computed_at desc, id desc), rows before `before` (its createdAt is the computed_at). */
export const history = (tx: Tx, workspaceId: string, segmentId: string, limit: number, before?: TimeCursor) =>
  tx.selectFrom('segmentSnapshots').select(['id', 'computedAt', 'count', 'reason']).where('workspaceId', '=', workspaceId).where('segmentId', '=', segmentId)
    .$if(!!before, (q) => q.where((eb) => eb.or([eb('computedAt', '<', before!.createdAt), eb.and([eb('computedAt', '=', before!.createdAt), eb('id', '<', before!.id)])])))
    .orderBy('computedAt', 'desc').orderBy('id', 'desc').limit(limit + 1).execute();

/** The members of these snapshots as stored by saveSnapshotSet; a snapshot whose set is not built yet is missing. */
export async function snapshotSets(tx: Tx, workspaceId: string, snapshotIds: string[]) {
  // The varint ids only when there is no bitmap: one read, never both.
  const r = await sql<{ snapshotId: string; members: number; ids: Buffer | null; bitmapBase: string | null; bitmapWords: Buffer | null }>`
    select snapshot_id as "snapshotId", members, case when bitmap_words is null then ids end as ids, bitmap_base as "bitmapBase", bitmap_words as "bitmapWords"
    from segment_snapshot_sets where snapshot_id = any(${snapshotIds}::bigint[]) and workspace_id = ${workspaceId}`.execute(tx);
  return new Map(r.rows.map((x) => [String(x.snapshotId), x]));
}

/** A snapshot's member ids, ascending, as PostgreSQL's bigint[] text (one value, parsed without a row object per member). */
export async function snapshotIdsText(tx: Tx, workspaceId: string, snapshotId: string): Promise<string> {
  const r = await sql<{ ids: string }>`select coalesce(array_agg(user_id order by user_id), '{}')::text as ids
    from segment_members where snapshot_id = ${snapshotId}::bigint and workspace_id = ${workspaceId}`.execute(tx);
  return r.rows[0]!.ids;
}

/** Snapshots never change, so the first stored encoding stands. */
export const saveSnapshotSet = (tx: Tx, workspaceId: string, snapshotId: string, members: number, ids: Buffer, bitmap: { base: number; words: Buffer } | null) =>
  tx.insertInto('segmentSnapshotSets').values({ snapshotId, workspaceId, members, ids, bitmapBase: bitmap ? String(bitmap.base) : null, bitmapWords: bitmap?.words ?? null })
    .onConflict((oc) => oc.column('snapshotId').doNothing()).execute();

/** externalIds of the given users, by ascending id (a sample of a set computed in memory). */
export const externalIdsOf = async (tx: Tx, workspaceId: string, ids: number[]) =>
  ids.length === 0 ? [] : (await sql<{ externalId: string }>`select external_id from users where workspace_id = ${workspaceId} and id = any(${ids.map(String)}::bigint[]) order by id`.execute(tx)).rows.map((r) => r.externalId);
