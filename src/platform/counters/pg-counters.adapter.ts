import type { Clock } from '../clock.ts';
import type pg from 'pg';
import type { Db, Tx } from '../db.ts';
import { copyTransaction } from '../copy.ts';
import { keyWorkspace, type CounterKey, type CounterPrefix } from './counters.keys.ts';
import { AppError } from '../errors.ts';
import { applyGive, applyTakes, count, live, planBuckets, planSet, planTake, planTakeMany, type BucketState, type PlannedTake } from './counters.plan.ts';
import type { Counters, GiveResult, SetOptions, TakeItem, TakeManyResult, TakeOptions, TakeResult, WindowOption } from './counters.port.ts';
import { KeyedBatcher } from '../batcher.ts';
import { asyncCommit, deleteBuckets, deleteKeyRange, lockBuckets, lockExisting, LostRace, purgeExpired, readBuckets, setBucket, takeOne, writeBuckets, type Locked } from './pg-counters.repo.ts';

/**
 * Counters in PostgreSQL (the default). A single-bucket take is one autocommit statement
 * (`INSERT … ON CONFLICT DO UPDATE … WHERE used + n <= limit RETURNING`): the row lock
 * serialises concurrent takers and the WHERE is evaluated on the latest row, so it cannot
 * oversell. Several buckets (takeMany, sliding windows, give) run in one transaction that locks
 * every row first, in one sorted key order, then decides with counters.plan.ts and writes.
 * Windows follow the injected clock.
 *
 * Takes and gives commit asynchronously (`synchronous_commit = off` for their transactions
 * only). The counters are not the record — the ledgers are — and a counter change is made
 * durable by the synchronous commit of the record that follows it: PostgreSQL flushes WAL in
 * order, so the grant, draw or send that a take allowed cannot be on disk without the take.
 * What a server crash can lose is a take whose record was never written (it answered nobody,
 * so the unit returns) or a give after its release was recorded (stock reads lower than it
 * is until reconciliation): never an oversell. It shortens the time a hot row stays locked
 * from a WAL flush to a few statements (docs/counters.md).
 */
export class PgCounters implements Counters {
  readonly kind = 'postgres' as const;
  /** Steps decided again after a lost race or a deadlock (see decide); a high rate means hot missing buckets. */
  redecided = 0;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    /** With the pool, steps run in copyTransaction, so their new buckets go in by COPY (platform/copy.ts). */
    private readonly pool?: pg.Pool,
  ) {}

  async take(key: CounterKey, opts: TakeOptions): Promise<TakeResult> {
    const now = this.clock.now();
    const ws = keyWorkspace(key);
    const plan = planTake({ key, ...opts }, now.getTime());
    if (plan.read.length === 1 && plan.amount <= plan.limit) {
      const r = await this.takeSingle(ws, plan, now.getTime());
      return { ok: r.ok, remaining: r.remaining[0]! };
    }
    const r = await this.step(ws, [plan], now.getTime());
    return { ok: r.ok, remaining: r.remaining[0]! };
  }

  /** One bucket, amount within the limit: one autocommit statement (takeOne). */
  private async takeSingle(ws: string, plan: PlannedTake, nowMs: number): Promise<TakeManyResult> {
    const bucket = plan.read[0]!;
    const used = await takeOne(this.db, ws, bucket, plan.amount, plan.limit, plan.newExpiry, new Date(nowMs));
    if (used !== null) return { ok: true, remaining: [Math.max(0, plan.limit - used)] };
    // Refused: report what is left (read after the fact; informative, not a promise).
    const cur = live((await readBuckets(this.db, ws, plan.read)).get(bucket), nowMs).used;
    return { ok: false, failedIndex: 0, remaining: [Math.max(0, plan.limit - cur)] };
  }

  /**
   * Concurrent calls are combined (KeyedBatcher): the calls that arrive while one
   * workspace's step is in flight leave together as one takeEach transaction. Every grant's
   * takeMany locks the same stock and budget rows, so one transaction per call made those two
   * rows the limit of the grant rate (one hot step at a time, five round trips each); one
   * transaction per batch locks them once for the whole batch. Alone, a call waits for no timer.
   */
  async takeMany(items: readonly TakeItem[]): Promise<TakeManyResult> {
    // Validated here, so a broken call fails alone instead of failing the batch it would join.
    planTakeMany(items, this.clock.now().getTime());
    return this.combiner.add(keyWorkspace(items[0]!.key), items);
  }

  private readonly combiner = new KeyedBatcher<readonly TakeItem[], TakeManyResult>(async (ws, batch) => {
    const nowMs = this.clock.now().getTime();
    const plans = batch.map((items) => planTakeMany(items, nowMs));
    if (plans.length > 1) return this.stepEach(ws, plans, nowMs);
    const only = plans[0]!;
    const single = only.length === 1 && only[0]!.read.length === 1 && only[0]!.amount <= only[0]!.limit;
    return [single ? await this.takeSingle(ws, only[0]!, nowMs) : await this.step(ws, only, nowMs)];
  });

  /**
   * One transaction for all groups: lock the union of their buckets once (sorted, as step
   * does), decide each group in order against the state the previous ones left, write the
   * final states once. Same guarantees as one step per group, two statements instead of one
   * transaction each.
   */
  async takeEach(groups: readonly (readonly TakeItem[])[]): Promise<TakeManyResult[]> {
    if (groups.length === 0) return [];
    const nowMs = this.clock.now().getTime();
    const plans = groups.map((g) => planTakeMany(g, nowMs));
    const ws = keyWorkspace(groups[0]![0]!.key);
    for (const g of groups) for (const it of g) if (keyWorkspace(it.key) !== ws) throw new AppError('internal_error', 'takeEach: every group must belong to one workspace.');
    return this.stepEach(ws, plans, nowMs);
  }

  private async stepEach(ws: string, plans: PlannedTake[][], nowMs: number): Promise<TakeManyResult[]> {
    return this.decide(ws, plans.flat(), (state) => {
      const writes = new Map<string, BucketState>();
      const results = plans.map((g) => {
        const r = applyTakes(g, state, nowMs);
        if (r.result.ok) for (const [k, v] of r.writes) { state.set(k, v); writes.set(k, v); }
        return r.result;
      });
      return { result: results, writes };
    }, nowMs);
  }

  /**
   * One step in one transaction: lock, decide (`plan`, pure), write. First optimistically —
   * the buckets that exist are locked (SELECT … FOR UPDATE, in sorted order) and the missing ones
   * are inserted with their final state, so each bucket is written once. A missing bucket another
   * transaction created in the meantime makes that insert skip it: the step was decided on a state
   * that no longer holds, so it is thrown away (nothing commits) and decided again pessimistically
   * (lockBuckets creates every missing bucket, locked, before deciding). Locking and inserting in
   * two passes can deadlock with a pessimistic step over the same keys; PostgreSQL then aborts one
   * and it is decided again too. A refused step (`NothingTaken`) rolls back what it locked.
   */
  private async decide<T>(ws: string, plans: readonly PlannedTake[], plan: (state: Map<string, BucketState>) => { result: T; writes: Map<string, BucketState> }, nowMs: number): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const optimistic = attempt === 0;
      try {
        const step = async (tx: Tx) => {
          await asyncCommit(tx);
          const { state, tids } = await lockTargets(tx, ws, plans, nowMs, optimistic);
          const { result, writes } = plan(state);
          await writeBuckets(tx, ws, writes, tids);
          return result;
        };
        return await (this.pool ? copyTransaction(this.pool, step) : this.db.transaction().execute(step));
      } catch (err) {
        if (attempt < 4 && (err instanceof LostRace || (err as { code?: string }).code === '40P01')) { this.redecided++; continue; }
        throw err;
      }
    }
  }

  async give(key: CounterKey, amount: number, opts: WindowOption = {}): Promise<GiveResult> {
    const nowMs = this.clock.now().getTime();
    const ws = keyWorkspace(key);
    count(amount, 'amount', 1);
    const { read } = planBuckets(key, opts.window, nowMs, false);
    return this.db.transaction().execute(async (tx) => {
      await asyncCommit(tx);
      const locked = await lockExisting(tx, ws, sorted(read));
      const { result, writes } = applyGive(read, amount, locked.state, nowMs);
      await writeBuckets(tx, ws, writes, locked.tids);
      return result;
    });
  }

  async get(key: CounterKey, opts: WindowOption = {}): Promise<number> {
    const nowMs = this.clock.now().getTime();
    const { read } = planBuckets(key, opts.window, nowMs, false);
    const stored = await readBuckets(this.db, keyWorkspace(key), read);
    return read.reduce((s, k) => s + live(stored.get(k), nowMs).used, 0);
  }

  async set(key: CounterKey, used: number, opts: SetOptions = {}): Promise<void> {
    const now = this.clock.now();
    const { read, newExpiry } = planSet(key, opts.window, now.getTime());
    await setBucket(this.db, keyWorkspace(key), read[0]!, count(used, 'used', 0), newExpiry, now);
  }

  async reset(key: CounterKey, opts: WindowOption = {}): Promise<void> {
    const { read } = planBuckets(key, opts.window, this.clock.now().getTime(), false);
    await deleteBuckets(this.db, keyWorkspace(key), read);
  }

  /** Deletes the prefix's key range in batches of 10,000 rows, each its own short transaction. */
  async resetPrefix(prefix: CounterPrefix): Promise<number> {
    const ws = keyWorkspace(prefix);
    const to = afterPrefix(prefix);
    let total = 0;
    for (;;) {
      const n = await deleteKeyRange(this.db, ws, prefix, to, 10_000);
      total += n;
      if (n < 10_000) return total;
    }
  }

  /**
   * Deletes buckets that expired before `before` (default: an hour ago by the clock), in
   * batches; an expired bucket already reads as empty, so this only reclaims space.
   */
  async purgeExpired(before = new Date(this.clock.now().getTime() - 3_600_000), batch = 10_000): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await purgeExpired(this.db, before, batch);
      total += n;
      if (n < batch) return total;
    }
  }

  async close(): Promise<void> {
    // The pool belongs to the runtime, which closes it after this.
  }

  /** Locks every bucket in sorted order, decides, writes; rolls back when anything would overflow. */
  private async step(ws: string, plans: PlannedTake[], nowMs: number): Promise<TakeManyResult> {
    try {
      return await this.decide(ws, plans, (state) => {
        const r = applyTakes(plans, state, nowMs);
        // Rolling back also drops the empty rows a pessimistic lockBuckets created.
        if (!r.result.ok) throw new NothingTaken(r.result);
        return r;
      }, nowMs);
    } catch (err) {
      if (err instanceof NothingTaken) return err.result;
      throw err;
    }
  }
}

/**
 * The buckets a step decides on: the ones it may write (each plan's current bucket, the last
 * it reads) locked, in one sorted order; the older buckets of a sliding window only read.
 * Those are never added to by a take (a take writes the current bucket only), only lowered by a
 * give or an expiry, so reading them unlocked can only over-count, never let a take pass its
 * limit — and it spares a row per past day per user (a 7-day cap was 7 inserted rows per
 * recipient; docs/counters.md). Optimistic: only the existing targets are locked, the missing
 * ones read as empty (writeBuckets inserts them); pessimistic: lockBuckets creates them locked.
 */
async function lockTargets(tx: Tx, ws: string, plans: readonly PlannedTake[], nowMs: number, optimistic: boolean): Promise<Locked> {
  const targets = sorted(plans.map((p) => p.read[p.read.length - 1]!));
  const locked = new Set(targets);
  // The read-only buckets take no lock, so they need no order (sorting thousands of long keys
  // with a shared prefix was a visible share of a caps chunk's CPU), and repeats do no harm.
  const others: string[] = [];
  for (const p of plans) for (let i = 0; i < p.read.length - 1; i++) if (!locked.has(p.read[i]!)) others.push(p.read[i]!);
  const l = optimistic ? await lockExisting(tx, ws, targets) : await lockBuckets(tx, ws, targets, new Date(nowMs));
  if (others.length > 0) for (const [k, v] of await readBuckets(tx, ws, others)) l.state.set(k, v);
  return l;
}

/** Carries a refused step out of the transaction callback so Kysely rolls it back. */
class NothingTaken extends Error {
  constructor(readonly result: TakeManyResult) {
    super('nothing taken');
  }
}

/** One total order for lock acquisition in every process: JavaScript's code-unit order over unique keys. */
const sorted = (keys: readonly string[]): string[] => {
  const out = [...keys].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  // Unique by dropping adjacent repeats (cheaper than a Set of long keys, ~1,000 per caps chunk).
  let n = 0;
  for (let i = 0; i < out.length; i++) if (i === 0 || out[i] !== out[n - 1]) out[n++] = out[i]!;
  out.length = n;
  return out;
};

/** The first string after every string that starts with `prefix`, bytewise (UTF-8 order is code point order): its last character raised by one. */
function afterPrefix(prefix: string): string {
  const chars = Array.from(prefix);
  const last = chars.pop()!.codePointAt(0)!;
  return chars.join('') + String.fromCodePoint(last === 0xd7ff ? 0xe000 : last + 1); // surrogates are not characters
}
