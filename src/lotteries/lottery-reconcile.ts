import type { Platform } from '../platform/context.ts';
import type { LedgerValue } from '../platform/counters/drop-ended.ts';
import type { FixedWindow } from '../platform/counters/counters.port.ts';
import { dayWindow } from '../platform/counters/counters.windows.ts';
import * as workspaces from '../workspaces/workspaces.service.ts';
import { keys, loadLotteries, type LotteryConfig } from './lottery-config.ts';
import * as repo from './lotteries.repo.ts';
import * as peers from './reward-peers.ts';

/**
 * Reconciliation of this domain's counters from the draw ledger (`lottery_draws` is the
 * record; the counters are the gate in front of it): each prize's stock counter must equal its
 * wins, each per-user prize counter the user's wins, each user's daily-draw counter today's
 * draws. Drift comes from Redis losing keys (counter below the ledger: the gate would let
 * through more than the stock) or a process dying between the take and the ledger write
 * (counter above: units that were never won).
 *
 * Repairs are additive (`take`/`give` of the difference), not `set`: a set would overwrite a
 * take made by a draw in flight between the read and the write, and could oversell.
 * - counter < ledger: always safe to raise at once (a draw in flight only ever makes the
 *   counter run ahead of the ledger, never behind).
 * - counter > ledger: may be a draw in flight (taken, not yet committed), so it is lowered only
 *   when a previous run saw the very same (counter, ledger) pair — nothing moved in between.
 * Every repair raises an alert. Returns the repairs made.
 */
const suspects = new Map<string, string>();
const MAX = Number.MAX_SAFE_INTEGER;
// Lotteries that ended within this window are still checked (late deliveries, audits).
const ENDED_GRACE_MS = 86_400_000;

export interface Repair { workspaceId: string; lotteryId: string; key: string; counter: number; ledger: number }

export async function reconcileLotteries(p: Platform, only?: { workspaceId: string; lotteryId: string }): Promise<Repair[]> {
  const now = p.clock.now();
  const rows = (await repo.lotteriesSince(p.db, new Date(now.getTime() - ENDED_GRACE_MS)))
    .filter((r) => !only || (r.workspaceId === only.workspaceId && r.id === only.lotteryId));
  const repairs: Repair[] = [];
  const byWs = new Map<string, typeof rows>();
  for (const r of rows) byWs.set(r.workspaceId, [...(byWs.get(r.workspaceId) ?? []), r]);
  for (const [ws, list] of byWs) {
    const tz = (await workspaces.settings(p.db, ws)).timezone;
    for (const l of await loadLotteries(p.db, ws, list)) repairs.push(...(await reconcileOne(p, l, dayWindow(now, tz))));
  }
  return repairs;
}

/** Every counter of a lottery with its ledger value, read from the draw ledger in one pass (reconciliation; the rebuild of a reopened lottery). */
export async function ledgerOf(p: Platform, l: LotteryConfig, today: FixedWindow): Promise<Map<string, LedgerValue>> {
  const ws = l.workspaceId;
  const out = new Map<string, LedgerValue>();
  const wins = new Map<string, number>();
  for (const r of await repo.drawCounts(p.db, ws, l.id)) if (r.prizeKey) wins.set(r.prizeKey, (wins.get(r.prizeKey) ?? 0) + Number(r.n));
  for (const prize of l.prizes) {
    if (prize.stock !== null) {
      const key = keys.stock(ws, l.id, prize.key);
      out.set(key, { key, value: wins.get(prize.key) ?? 0 });
    }
    if (prize.perUserLimit !== null) {
      for (const w of await repo.winsPerUser(p.db, ws, l.id, prize.key)) {
        const key = keys.perUser(ws, l.id, prize.key, String(w.userId));
        out.set(key, { key, value: Number(w.n) });
      }
    }
  }
  if (l.perUserDailyDraws) {
    for (const d of await repo.drawsPerUserOnDay(p.db, ws, l.id, today.id)) {
      const key = keys.dailyDraws(ws, l.id, String(d.userId));
      out.set(key, { key, value: Number(d.n), window: today });
    }
  }
  return out;
}

async function reconcileOne(p: Platform, l: LotteryConfig, today: FixedWindow): Promise<Repair[]> {
  const ws = l.workspaceId;
  const out: Repair[] = [];
  // Ledger, counters, ledger again: a counter whose ledger moved between the two reads had a
  // draw committing meanwhile; it is left for the next run.
  const before = await ledgerOf(p, l, today);
  const counters = new Map<string, number>();
  for (const [k, v] of before) counters.set(k, await p.counters.get(v.key, v.window ? { window: v.window } : {}));
  const after = await ledgerOf(p, l, today);
  for (const [k, v] of before) {
    const counter = counters.get(k)!;
    const ledger = v.value;
    const opts = v.window ? { window: v.window } : {};
    if (after.get(k)?.value !== ledger || counter === ledger) {
      suspects.delete(k);
      continue;
    }
    const mark = `${counter}:${ledger}`;
    if (counter < ledger) {
      await p.counters.take(v.key, { limit: MAX, amount: ledger - counter, ...opts });
    } else if (suspects.get(k) === mark) {
      await p.counters.give(v.key, counter - ledger, opts);
    } else {
      suspects.set(k, mark);
      continue;
    }
    suspects.delete(k);
    out.push({ workspaceId: ws, lotteryId: l.id, key: k, counter, ledger });
    await peers.raiseAlert(p, {
      workspaceId: ws, kind: 'counter_repaired', severity: 'warning', subject: { type: 'lottery', id: l.id },
      message: `Counter ${k} was ${counter}, the draw ledger says ${ledger}; repaired.`, data: { key: k, counter, ledger },
    });
  }
  return out;
}
