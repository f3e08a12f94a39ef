import type { Platform } from '../platform/context.ts';
import { dayWindow } from '../platform/counters/counters.windows.ts';
import type { CounterKey } from '../platform/counters/counters.keys.ts';
import type { LedgerValue } from '../platform/counters/drop-ended.ts';
import type { FixedWindow } from '../platform/counters/counters.port.ts';
import * as alerts from '../alerts/alerts.service.ts';
import * as repo from './coupons.repo.ts';
import { keys, workspaceTimezone } from './coupons.service.ts';

/**
 * Reconciliation (docs/rewards.md): the counters are recomputed from the rows — stock used =
 * coupons of the template, per-user = that user's coupons of it, per-user-today = those granted
 * on today's workspace-local day, budget = sum of the campaign's ledger deltas — and every
 * counter that drifted (Redis lost its keys; a process died between a take and its write, or
 * between a write and its give-back) is `set` to the recomputed value, with an alert each.
 *
 * Known limit: a per-user counter taken for a user who then got no coupon row at all (the
 * process died in between) is only found for users who have at least one coupon of the
 * template; the port cannot list keys. Such a counter can only refuse that user too early,
 * never oversell.
 */
export interface Repair { key: string; was: number; now: number; subject: { type: 'coupon_template' | 'campaign'; id: string } }

export async function reconcileWorkspace(p: Platform, workspaceId: string): Promise<{ checked: number; repairs: Repair[] }> {
  const now = p.clock.now();
  const day = dayWindow(now, await workspaceTimezone(p, workspaceId));
  const repairs: Repair[] = [];
  let checked = 0;
  const check = async (key: CounterKey, want: number, subject: Repair['subject'], window?: FixedWindow) => {
    checked++;
    const have = await p.counters.get(key, window ? { window } : undefined);
    if (have === want) return;
    await p.counters.set(key, want, window ? { window } : undefined);
    repairs.push({ key, was: have, now: want, subject });
  };

  const templates = await repo.templatesOfWorkspace(p.db, workspaceId);
  const campaignIds = new Set<string>();
  for (const t of templates) {
    const subject = { type: 'coupon_template' as const, id: t.id };
    // A campaign's budget moves after its templates' claim windows end (releases, expiries): always checked.
    if (t.campaignId) campaignIds.add(t.campaignId);
    // Counters dropped a week after the claim window (coupons.user-counters.ts): nothing takes them, nothing to compare.
    if (t.userCountersDroppedAt) continue;
    for (const v of await templateLedger(p, workspaceId, t, day)) await check(v.key, v.value, subject, v.window);
  }
  for (const campaignId of campaignIds) {
    await check(keys.budget(workspaceId, campaignId), await repo.committedByLedger(p.db, workspaceId, campaignId), { type: 'campaign', id: campaignId });
  }
  for (const r of repairs) {
    await alerts.raiseAlert(p, {
      workspaceId, kind: 'counter_repaired', severity: 'warning', subject: r.subject,
      message: `Counter ${r.key} said ${r.was} but the ledger says ${r.now}; repaired.`, data: { key: r.key, was: r.was, now: r.now },
    });
  }
  if (repairs.length) p.log.warn({ workspaceId, repairs: repairs.length }, 'reconciliation repaired counters');
  return { checked, repairs };
}

/** A template's counters with what its coupon rows say: stock used, and each holder's per-user and per-user-today count. */
export async function templateLedger(p: Platform, workspaceId: string, t: repo.TemplateRow, day: FixedWindow): Promise<LedgerValue[]> {
  const out: LedgerValue[] = [{ key: keys.stock(workspaceId, t), value: await repo.stockUsed(p.db, workspaceId, t.id) }];
  for (const u of await repo.perUserCounts(p.db, workspaceId, t.id, day.id)) {
    out.push({ key: keys.user(workspaceId, t, u.userId), value: u.n }, { key: keys.userDay(workspaceId, t, u.userId), value: u.today, window: day });
  }
  return out;
}

export async function reconcileAll(p: Platform): Promise<void> {
  for (const ws of await repo.workspacesWithTemplates(p.db)) await reconcileWorkspace(p, ws);
}
