import type { Platform } from '../context.ts';
import type { Tx } from '../db.ts';
import type { CounterKey, CounterPrefix } from './counters.keys.ts';
import type { Counters, FixedWindow } from './counters.port.ts';

/** One owner of counters (a coupon template, a lottery) whose counters may go. */
export interface Owner { workspaceId: string; id: string }

export interface DropEnded<T> {
  /** Up to `limit` owners due, oldest first. */
  due(limit: number): Promise<Owner[]>;
  /** Locks the owner's row (FOR UPDATE SKIP LOCKED) if it is still due; undefined skips it. */
  lock(tx: Tx, o: Owner): Promise<T | undefined>;
  /** The counters to drop. */
  prefix(o: Owner, locked: T): CounterPrefix;
  /** Notes on the row that they went, in the same transaction. */
  mark(tx: Tx, o: Owner): Promise<unknown>;
  /** For the log line. */
  what: string;
}

/**
 * The daily jobs that end counters nothing takes any more (coupon templates' per-user counters,
 * ended lotteries' counters). Each owner in its own transaction, holding its row, so a PATCH
 * that reopens it waits (and then rebuilds them). Counters first, then the note: after a crash
 * between them the next run drops again, finding nothing. An owner a PATCH holds is skipped and
 * stops this run (it would come back first in the next query). Returns how many owners.
 */
export async function dropEndedCounters<T>(p: Platform, d: DropEnded<T>, batch = 100): Promise<number> {
  let done = 0;
  for (;;) {
    const due = await d.due(batch);
    let skipped = 0;
    for (const o of due) {
      const buckets = await p.db.transaction().execute(async (tx) => {
        const locked = await d.lock(tx, o);
        if (locked === undefined) return null;
        const n = await p.counters.resetPrefix(d.prefix(o, locked));
        await d.mark(tx, o);
        return n;
      });
      if (buckets === null) skipped++;
      else {
        done++;
        p.log.info({ workspaceId: o.workspaceId, id: o.id, buckets }, `dropped the counters of ${d.what}`);
      }
    }
    if (due.length < batch || skipped > 0) return done;
  }
}

/** A counter and the value its ledger gives it (what reconciliation compares, what a rebuild sets). */
export interface LedgerValue { key: CounterKey; value: number; window?: FixedWindow }

/**
 * Sets every counter to its ledger value: the rebuild when a PATCH reopens an owner whose
 * counters were dropped. CHUNK sets in flight at a time (one Redis pipeline, or a pool's worth
 * of statements). Returns how many.
 */
export async function setAll(counters: Counters, values: readonly LedgerValue[]): Promise<number> {
  const CHUNK = 500;
  for (let i = 0; i < values.length; i += CHUNK) {
    await Promise.all(values.slice(i, i + CHUNK).map((v) => counters.set(v.key, v.value, v.window ? { window: v.window } : undefined)));
  }
  return values.length;
}
