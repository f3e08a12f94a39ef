import type { Platform } from '../platform/context.ts';
import type { Tx } from '../platform/db.ts';
import { counterPrefix } from '../platform/counters/counters.keys.ts';
import { dropEndedCounters } from '../platform/counters/drop-ended.ts';
import { keys, type LotteryConfig } from './lottery-config.ts';
import * as repo from './lotteries.repo.ts';

/**
 * The end of a lottery's counters. Its per-user prize counters are one Redis key or counters
 * row per user who won, and nothing else ends them. An ended lottery refuses draws before any
 * counter (`not_running`) and reconciliation stops a day after the end (lottery-reconcile.ts),
 * so a week after the end the daily job drops every counter of the lottery — one prefix, its
 * hash tag — and notes it on the row.
 *
 * A PATCH whose endAt reopens the lottery rebuilds the prize stock and per-user counters from
 * the draw ledger before storing the new end (its daily-draw counters belong to days long gone).
 * The row lock (FOR UPDATE) makes the drop and the rebuild take turns.
 */
export const COUNTERS_KEPT_MS = 7 * 86_400_000;

/** The daily job. Returns how many lotteries it dropped the counters of. */
export function dropEndedLotteryCounters(p: Platform, batch = 100): Promise<number> {
  const cutoff = new Date(p.clock.now().getTime() - COUNTERS_KEPT_MS);
  return dropEndedCounters(p, {
    due: (limit) => repo.lotteriesToDropCounters(p.db, cutoff, limit),
    lock: (tx, o) => repo.lockLotteryToDropCounters(tx, o.workspaceId, o.id, cutoff),
    prefix: (o) => counterPrefix(o.workspaceId, `lot:${o.id}`, ''),
    mark: (tx, o) => repo.markCountersDropped(tx, o.workspaceId, o.id, p.clock.now()),
    what: 'an ended lottery',
  }, batch);
}

/** Called by a PATCH holding the lottery row when the new endAt reopens a lottery whose counters were dropped. Returns how many counters it set. */
export async function rebuildLotteryCounters(p: Platform, tx: Tx, l: LotteryConfig): Promise<number> {
  const ws = l.workspaceId;
  const wins = new Map<string, number>();
  for (const r of await repo.drawCounts(tx, ws, l.id)) if (r.prizeKey) wins.set(r.prizeKey, (wins.get(r.prizeKey) ?? 0) + Number(r.n));
  let set = 0;
  for (const prize of l.prizes) {
    if (prize.stock !== null) {
      await p.counters.set(keys.stock(ws, l.id, prize.key), wins.get(prize.key) ?? 0);
      set++;
    }
    if (prize.perUserLimit === null) continue;
    const perUser = await repo.winsPerUser(tx, ws, l.id, prize.key);
    for (let i = 0; i < perUser.length; i += 500) {
      await Promise.all(perUser.slice(i, i + 500).map((w) => p.counters.set(keys.perUser(ws, l.id, prize.key, String(w.userId)), Number(w.n))));
    }
    set += perUser.length;
  }
  return set;
}
