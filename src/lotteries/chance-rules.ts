import type { Platform } from '../platform/context.ts';
import { dayWindow } from '../platform/counters/counters.windows.ts';
import type { EventHook, IngestedEvent } from '../customers/event-hooks.ts';
import * as workspaces from '../workspaces/workspaces.service.ts';
import { loadLotteries } from './lottery-config.ts';
import * as repo from './lotteries.repo.ts';

/**
 * Chances from events: a lottery's `chanceRules` (`{"event":"check_in","chances":1,"maxPerDay":1}`)
 * grant chances when a matching event arrives while the lottery runs (by the event's time).
 * Idempotent per event: the ledger ref is `evt:<eventId>:<rule>`, so a rerun of the hook job
 * grants nothing twice. `maxPerDay` counts this rule's grants to the user on the event's
 * workspace-local day, under the user's balance row lock, so concurrent jobs cannot both pass it.
 */
export const chanceRulesHook: EventHook = {
  name: 'lotteries.chance-rules',
  async wants(p, workspaceId) {
    const names = new Set<string>();
    for (const l of await repo.runningLotteries(p.db, workspaceId, p.clock.now())) {
      for (const r of (l.chanceRules as { event?: unknown }[] | null) ?? []) if (typeof r.event === 'string') names.add(r.event);
    }
    return names;
  },
  async handle(p, events) {
    const byWs = new Map<string, IngestedEvent[]>();
    for (const e of events) byWs.set(e.workspaceId, [...(byWs.get(e.workspaceId) ?? []), e]);
    for (const [ws, list] of byWs) await grantForEvents(p, ws, list);
  },
};

async function grantForEvents(p: Platform, ws: string, events: IngestedEvent[]): Promise<void> {
  const lotteries = await loadLotteries(p.db, ws, await repo.runningLotteries(p.db, ws, p.clock.now()));
  if (lotteries.length === 0) return;
  const tz = (await workspaces.settings(p.db, ws)).timezone;
  for (const e of events) {
    const ts = new Date(e.ts);
    for (const l of lotteries) {
      if (ts < l.startAt || ts >= l.endAt) continue;
      for (const [i, rule] of l.chanceRules.entries()) {
        if (rule.event !== e.name) continue;
        const day = dayWindow(ts, tz).id;
        const ref = `evt:${e.id}:${i}`;
        await p.db.transaction().execute(async (tx) => {
          const now = p.clock.now();
          await repo.lockChances(tx, ws, l.id, e.userId, now);
          if (await repo.chanceEntryExists(tx, ws, l.id, ref)) return;
          if (rule.maxPerDay && (await repo.ruleGrantsOnDay(tx, ws, l.id, e.userId, i, day)) >= rule.maxPerDay) return;
          await repo.insertChanceEntry(tx, ws, { lotteryId: l.id, userId: e.userId, delta: rule.chances, reason: `event ${e.name}`, ref, rule: i, day, now });
          await repo.addChances(tx, ws, l.id, e.userId, rule.chances, now);
        });
      }
    }
  }
}
