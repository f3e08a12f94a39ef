import type { Platform } from '../platform/context.ts';
import { counterPrefix } from '../platform/counters/counters.keys.ts';
import { dropEndedCounters, setAll } from '../platform/counters/drop-ended.ts';
import { dayWindow } from '../platform/counters/counters.windows.ts';
import * as workspaces from '../workspaces/workspaces.service.ts';
import type { LotteryConfig } from './lottery-config.ts';
import { ledgerOf } from './lottery-reconcile.ts';
import * as repo from './lotteries.repo.ts';

/**
 * The end of a lottery's counters. Its per-user prize counters are one Redis key or counters
 * row per user who won, and nothing else ends them. An ended lottery refuses draws before any
 * counter (`not_running`) and reconciliation stops a day after the end (lottery-reconcile.ts),
 * so a week after the end the daily job drops every counter of the lottery — one prefix, its
 * hash tag — and notes it on the row.
 *
 * A PATCH whose endAt reopens the lottery rebuilds them from the draw ledger, as reconciliation
 * computes them (ledgerOf), before storing the new end.
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

/**
 * Called by a PATCH holding the lottery row when the new endAt reopens a lottery whose counters
 * were dropped: every counter reconciliation checks, set from the draw ledger. Returns how many.
 */
export async function rebuildLotteryCounters(p: Platform, l: LotteryConfig): Promise<number> {
  const today = dayWindow(p.clock.now(), (await workspaces.settings(p.db, l.workspaceId)).timezone);
  return setAll(p.counters, [...(await ledgerOf(p, l, today)).values()]);
}
