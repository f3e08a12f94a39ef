import { sql } from 'kysely';
import type { Tx } from '../db.ts';
import { copyField, copyRows } from '../copy.ts';
import type { BucketState } from './counters.plan.ts';

/** The SQL of the PostgreSQL counters adapter; rows are buckets (see 0004-counters.ts). */

const toDate = (ms: number | null): Date | null => (ms === null ? null : new Date(ms));

/**
 * The multi-bucket statements take their keys and values as one JSON parameter and return the
 * expiry as epoch milliseconds: a caps chunk of a delivery batch is 750 keys of ~80 characters,
 * and escaping them one by one into an array literal, with a Date formatted per value each way,
 * was a large share of the adapter's client CPU (bench/delivery.ts --cpu-prof).
 */
interface MsRow {
  key: string;
  used: string;
  ms: string | null;
}
const EXPIRY_MS = sql`(extract(epoch from expires_at) * 1000)::int8::text`;
const msState = (r: MsRow): BucketState => ({ used: Number(r.used), expiresAt: r.ms === null ? null : Number(r.ms) });
const isoOf = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
/** A tid[] literal: tuple ids are `(block,offset)`, quoted for the array syntax. */
const tidArray = (tids: readonly string[]): string => `{${tids.map((t) => `"${t}"`).join(',')}}`;

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
 * Buckets locked by this transaction, with the tuple id of each: writeBuckets finds them by
 * tuple id. Joining the new states to `counters` by key instead let the planner pick a hash
 * join over every bucket of the workspace whenever its statistics lagged behind the table (a
 * delivery batch's caps: 12,510 rows scanned to update 750, a growing cost per batch).
 */
export interface Locked {
  state: Map<string, BucketState>;
  tids: Map<string, string>;
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
export async function lockBuckets(tx: Tx, workspaceId: string, sortedKeys: readonly string[], now: Date): Promise<Locked> {
  const r = await sql<MsRow & { tid: string }>`/* prepared:counters.lock-buckets */
    insert into counters as c (workspace_id, key, used, expires_at)
    select ${workspaceId}, k, 0, ${now}::timestamptz from json_array_elements_text(${JSON.stringify(sortedKeys)}::json) with ordinality as t(k, i) order by i
    on conflict (workspace_id, key) do update set used = c.used
    returning key, used::text, ${EXPIRY_MS} as ms, ctid::text as tid`.execute(tx);
  return lockedOf(r.rows);
}

const lockedOf = (rows: (MsRow & { tid: string })[]): Locked => ({
  state: new Map(rows.map((row) => [row.key, msState(row)])),
  tids: new Map(rows.map((row) => [row.key, row.tid])),
});

/**
 * Reads buckets without locking them (absent ones are not in the map). The buckets of one key in
 * several windows — the older days of a sliding window — are read as one index range from the
 * oldest to the newest asked for (`key@first` … `key@last`, keys compare bytewise: migration 0016),
 * then filtered to the ones asked: a 7-day cap is one probe per recipient, not six. `offset 0`
 * keeps the lateral a probe per range: pulled up into a join, it let the planner, on lagging
 * statistics, filter every bucket of the workspace against every range (auto_explain: 1.3M rows
 * filtered for 250 ranges).
 */
export async function readBuckets(tx: Tx, workspaceId: string, keys: readonly string[]): Promise<Map<string, BucketState>> {
  const singles: string[] = [];
  const spans: { f: string; t: string }[] = [];
  // A window's buckets come one after another (a plan reads its key's days in order): a run of
  // keys with one base is one span, found without a map of every key.
  let run: { base: string; f: string; t: string; n: number } | null = null;
  const close = () => {
    if (!run) return;
    if (run.n === 1) singles.push(run.f);
    else spans.push({ f: run.f, t: run.t });
    run = null;
  };
  for (const k of keys) {
    const at = k.lastIndexOf('@');
    if (at < 0) { close(); singles.push(k); continue; }
    if (run && at === run.base.length && k.startsWith(run.base)) {
      if (k < run.f) run.f = k;
      if (k > run.t) run.t = k;
      run.n++;
      continue;
    }
    close();
    run = { base: k.slice(0, at), f: k, t: k, n: 1 };
  }
  close();
  const parts = [];
  if (singles.length > 0) parts.push(sql`select key, used::text, ${EXPIRY_MS} as ms from counters
    where workspace_id = ${workspaceId} and key = any(array(select json_array_elements_text(${JSON.stringify(singles)}::json)))`);
  if (spans.length > 0) parts.push(sql`select c.key, c.used::text, c.ms from json_to_recordset(${JSON.stringify(spans)}::json) as r(f text, t text)
    cross join lateral (select key, used, ${EXPIRY_MS} as ms from counters where workspace_id = ${workspaceId} and key between r.f and r.t offset 0) c`);
  const r = await sql<MsRow>`${sql.join(parts, sql` union all `)}`.execute(tx);
  const out = new Map<string, BucketState>();
  if (r.rows.length === 0) return out;
  const wanted = new Set(keys);
  for (const row of r.rows) if (wanted.has(row.key)) out.set(row.key, msState(row));
  return out;
}

/**
 * Locks the existing buckets among `sortedKeys`, in the order given (the caller sorts, as for
 * lockBuckets); absent ones need no lock, there is nothing in them. One index probe per key
 * (a lateral subquery with its own row lock is never turned into a join over the table).
 */
export async function lockExisting(tx: Tx, workspaceId: string, sortedKeys: readonly string[]): Promise<Locked> {
  // Prepared (platform/db.ts): its plan — an index probe per key — does not depend on the batch.
  const r = await sql<MsRow & { tid: string }>`/* prepared:counters.lock-existing */
    select l.key, l.used, l.ms, l.tid from json_array_elements_text(${JSON.stringify(sortedKeys)}::json) with ordinality as t(k, i)
    cross join lateral (
      select c.key, c.used::text as used, ${EXPIRY_MS} as ms, c.ctid::text as tid from counters c
      where c.workspace_id = ${workspaceId} and c.key = t.k for update
    ) l
    order by t.i`.execute(tx);
  return lockedOf(r.rows);
}

/**
 * Stores the new states of a step's buckets: those this transaction locked (lockBuckets,
 * lockExisting) found by tuple id; those it found missing inserted. Throws LostRace when one of
 * those was created by another transaction meanwhile (the transaction is then aborted; the
 * caller decides again in a new one).
 */
export async function writeBuckets(tx: Tx, workspaceId: string, writes: ReadonlyMap<string, BucketState>, tids: ReadonlyMap<string, string>): Promise<void> {
  if (writes.size === 0) return;
  const fresh: { k: string; u: number; e: string | null }[] = [];
  const held: { t: string; k: string; u: number; e: string | null }[] = [];
  // A step's buckets share a few expiries (the end of today, of a window): format each once.
  const iso = new Map<number | null, string | null>();
  const isoOnce = (ms: number | null) => {
    let v = iso.get(ms);
    if (v === undefined) iso.set(ms, (v = isoOf(ms)));
    return v;
  };
  for (const [k, v] of writes) {
    const t = tids.get(k);
    if (t === undefined) fresh.push({ k, u: v.used, e: isoOnce(v.expiresAt) });
    else held.push({ t, k, u: v.used, e: isoOnce(v.expiresAt) });
  }
  if (fresh.length > 0) {
    fresh.sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0));
    // A plain INSERT, not ON CONFLICT DO NOTHING: a conflict means the step was decided on a
    // state that no longer holds and must be thrown away anyway, and a plain insert spares the
    // speculative insertion ON CONFLICT makes for every row.
    try {
      // COPY in the adapter's own transactions (copyTransaction), in key order as the INSERT.
      const ws = `${copyField(workspaceId)}\t`;
      let text = '';
      for (const f of fresh) text += `${ws}${copyField(f.k)}\t${f.u}\t${f.e ?? '\\N'}\n`;
      if (!(await copyRows(tx, 'copy counters (workspace_id, key, used, expires_at) from stdin', text))) {
        await sql`
          insert into counters (workspace_id, key, used, expires_at)
          select ${workspaceId}, x.k, x.u, x.e
          from rows from (json_to_recordset(${JSON.stringify(fresh)}::json) as (k text, u int8, e timestamptz)) with ordinality as x(k, u, e, i) order by x.i`.execute(tx);
      }
    } catch (err) {
      if ((err as { code?: string }).code === '23505') throw new LostRace();
      throw err;
    }
  }
  if (held.length === 0) return;
  await sql`
    update counters c set used = v.u, expires_at = v.e, updated_at = now()
    from json_to_recordset(${JSON.stringify(held)}::json) as v(t tid, k text, u int8, e timestamptz)
    where c.ctid = any(${tidArray(held.map((h) => h.t))}::tid[]) and c.ctid = v.t and c.workspace_id = ${workspaceId} and c.key = v.k`.execute(tx);
}

/** A missing bucket another transaction created between an optimistic step's read and its insert. */
export class LostRace extends Error {
  constructor() {
    super('counters: a bucket was created concurrently');
  }
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

/**
 * Deletes up to `batch` buckets whose key lies in [from, to) — every key that starts with a
 * prefix, `to` being the prefix with its last character raised by one (keys compare bytewise,
 * migration 0016) — through the primary key's range; returns how many.
 */
export async function deleteKeyRange(tx: Tx, workspaceId: string, from: string, to: string, batch: number): Promise<number> {
  const r = await sql`
    delete from counters where ctid = any(array(
      select ctid from counters where workspace_id = ${workspaceId} and key >= ${from} and key < ${to} limit ${batch}))
    and workspace_id = ${workspaceId} and key >= ${from} and key < ${to}`.execute(tx);
  return Number(r.numAffectedRows ?? 0);
}
