import { sql } from 'kysely';
import type { Tx } from '../db.ts';
import type { BucketState } from './counters.plan.ts';

/** The SQL of the PostgreSQL counters adapter; rows are buckets (see 0004-counters.ts). */

interface Row {
  key: string;
  used: string;
  expiresAt: Date | null;
}
const toState = (r: Row): BucketState => ({ used: Number(r.used), expiresAt: r.expiresAt ? r.expiresAt.getTime() : null });
const toDate = (ms: number | null): Date | null => (ms === null ? null : new Date(ms));

/**
 * `synchronous_commit = off` for the current transaction only (why: pg-counters.adapter.ts).
 * As a predicate it sets it inside a single autocommit statement, saving a round trip; the
 * setting is read when that statement's implicit transaction commits.
 */
const ASYNC_COMMIT = sql`set_config('synchronous_commit', 'off', true) = 'off'`;
export async function asyncCommit(tx: Tx): Promise<void> {
  await sql`set local synchronous_commit = off`.execute(tx);
}

/**
 * One bucket in one statement: the first use inserts, later ones add under the row lock, and
 * the WHERE refuses a take that would pass the limit (the row is left as it was). An expired
 * bucket counts from zero again. Returns `used` after the take, or null when it did not fit.
 * The caller has checked amount ≤ limit, so the insert branch cannot overflow.
 * Its autocommit transaction commits asynchronously, as asyncCommit's do (why: the adapter).
 */
export async function takeOne(tx: Tx, workspaceId: string, key: string, amount: number, limit: number, newExpiry: number | null, now: Date): Promise<number | null> {
  const r = await sql<{ used: string }>`
    insert into counters as c (workspace_id, key, used, expires_at)
    select ${workspaceId}, ${key}, ${amount}::int8, ${toDate(newExpiry)}::timestamptz
    where ${ASYNC_COMMIT}
    on conflict (workspace_id, key) do update set
      used = case when c.expires_at <= ${now} then excluded.used else c.used + excluded.used end,
      expires_at = case when c.expires_at is null or c.expires_at <= ${now} then excluded.expires_at else c.expires_at end,
      updated_at = now()
    where (case when c.expires_at <= ${now} then 0 else c.used end) + excluded.used <= ${limit}
    returning used`.execute(tx);
  const row = r.rows[0];
  return row ? Number(row.used) : null;
}

/**
 * Locks every bucket of a multi-bucket step, creating missing ones, in the order given — the
 * caller sorts, so two steps over overlapping keys always lock in the same order and cannot
 * deadlock. The no-op DO UPDATE is what takes the lock on an existing row within the same
 * single pass (ON CONFLICT DO NOTHING would not lock it, and a later SELECT … FOR UPDATE would
 * take the locks in a second pass, out of order with the rows this statement inserted).
 * A created row is born expired (at `now`), which reads exactly as absent: the buckets a step
 * only reads (the older days of a sliding window) then leave nothing that purgeExpired keeps.
 */
export async function lockBuckets(tx: Tx, workspaceId: string, sortedKeys: readonly string[], now: Date): Promise<Map<string, BucketState>> {
  const r = await sql<Row>`/* prepared:counters.lock-buckets */
    insert into counters as c (workspace_id, key, used, expires_at)
    select ${workspaceId}, k, 0, ${now}::timestamptz from unnest(${sortedKeys}::text[]) with ordinality as t(k, i) order by i
    on conflict (workspace_id, key) do update set used = c.used
    returning key, used, expires_at`.execute(tx);
  return new Map(r.rows.map((row) => [row.key, toState(row)]));
}

/** Reads buckets. `forUpdate` locks the existing ones in the order given (the caller sorts, as for lockBuckets); absent ones need no lock, there is nothing in them. */
export async function readBuckets(tx: Tx, workspaceId: string, sortedKeys: readonly string[], forUpdate = false): Promise<Map<string, BucketState>> {
  const r = forUpdate
    ? await sql<Row>`
        select c.key, c.used, c.expires_at from unnest(${sortedKeys}::text[]) with ordinality as t(k, i)
        join counters c on c.workspace_id = ${workspaceId} and c.key = t.k
        order by t.i for update of c`.execute(tx)
    : await sql<Row>`select key, used, expires_at from counters where workspace_id = ${workspaceId} and key = any(${sortedKeys}::text[])`.execute(tx);
  return new Map(r.rows.map((row) => [row.key, toState(row)]));
}

/**
 * Stores the new states of buckets locked earlier in the same transaction. Not prepared, unlike
 * lockBuckets: a generic plan of this join does not know the batch's size and scanned the
 * counters (pg_stat_statements: 6 × the execution time of the custom plan).
 */
export async function writeBuckets(tx: Tx, workspaceId: string, writes: ReadonlyMap<string, BucketState>): Promise<void> {
  if (writes.size === 0) return;
  const keys = [...writes.keys()];
  const used = keys.map((k) => writes.get(k)!.used);
  const exp = keys.map((k) => toDate(writes.get(k)!.expiresAt));
  await sql`
    update counters c set used = v.used, expires_at = v.exp, updated_at = now()
    from unnest(${keys}::text[], ${used}::int8[], ${exp}::timestamptz[]) as v(key, used, exp)
    where c.workspace_id = ${workspaceId} and c.key = v.key`.execute(tx);
}

/** Overwrites one bucket's `used`, keeping a live expiry, else giving it `newExpiry`. */
export async function setBucket(tx: Tx, workspaceId: string, key: string, used: number, newExpiry: number | null, now: Date): Promise<void> {
  await sql`
    insert into counters as c (workspace_id, key, used, expires_at)
    values (${workspaceId}, ${key}, ${used}, ${toDate(newExpiry)})
    on conflict (workspace_id, key) do update set
      used = excluded.used,
      expires_at = case when c.expires_at is null or c.expires_at <= ${now} then excluded.expires_at else c.expires_at end,
      updated_at = now()`.execute(tx);
}

export async function deleteBuckets(tx: Tx, workspaceId: string, keys: readonly string[]): Promise<void> {
  await sql`delete from counters where workspace_id = ${workspaceId} and key = any(${keys}::text[])`.execute(tx);
}

/** Deletes up to `batch` buckets that expired before `before`; returns how many. */
export async function purgeExpired(tx: Tx, before: Date, batch: number): Promise<number> {
  const r = await sql`
    delete from counters where ctid = any(array(
      select ctid from counters where expires_at < ${before} limit ${batch})) and expires_at < ${before}`.execute(tx);
  return Number(r.numAffectedRows ?? 0);
}
