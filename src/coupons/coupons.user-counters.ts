import type { Platform } from '../platform/context.ts';
import { counterPrefix, type CounterPrefix } from '../platform/counters/counters.keys.ts';
import { dropEndedCounters, setAll } from '../platform/counters/drop-ended.ts';
import { dayWindow } from '../platform/counters/counters.windows.ts';
import * as repo from './coupons.repo.ts';
import { scopeOf, workspaceTimezone } from './coupons.service.ts';
import { templateLedger } from './coupons.reconcile.ts';

/**
 * The end of a template's per-user counters (`tpl:<id>:user:<userId>`: how many coupons each
 * user holds, for the per-user limit). They are one Redis key or counters row per user who ever
 * claimed, and nothing else ends them (the per-user-per-day ones expire with their day). Once
 * the claim window has been over for USER_COUNTERS_KEPT_MS nothing takes them — a grant outside
 * the window is refused before its counters — so the daily job drops them.
 *
 * A PATCH that reopens the window (a claimEnd after the cut-off) rebuilds them from the coupon
 * rows before the new window is stored: the per-user limit holds across the gap. The template
 * row's lock (FOR UPDATE) makes the drop and the rebuild take turns. Reconciliation skips the
 * dropped templates' per-user counters (coupons.reconcile.ts): there is nothing to compare.
 */
export const USER_COUNTERS_KEPT_MS = 7 * 86_400_000;

/** Every per-user counter of a template: one prefix within the template's hash tag. */
export const userCountersPrefix = (ws: string, t: { id: string; campaignId: string | null }): CounterPrefix =>
  counterPrefix(ws, scopeOf(t), `tpl:${t.id}:user:`);

/** The daily job: drops the per-user counters of templates whose claim window ended a week ago or more. Returns how many templates. */
export function dropEndedUserCounters(p: Platform, batch = 100): Promise<number> {
  const cutoff = new Date(p.clock.now().getTime() - USER_COUNTERS_KEPT_MS);
  return dropEndedCounters(p, {
    due: (limit) => repo.templatesToDropUserCounters(p.db, cutoff, limit),
    lock: (tx, o) => repo.lockTemplateToDropUserCounters(tx, o.workspaceId, o.id, cutoff),
    prefix: (o, t) => userCountersPrefix(o.workspaceId, t),
    mark: (tx, o) => repo.markUserCountersDropped(tx, o.workspaceId, o.id, p.clock.now()),
    what: 'an ended coupon template (per-user)',
  }, batch);
}

/**
 * Called by a PATCH holding the template row (FOR UPDATE) when the new claimEnd reopens a
 * template whose per-user counters were dropped: every counter reconciliation would check —
 * the stock (no longer checked since the drop), each holder's per-user and per-user-today
 * count — set from the coupon rows. Returns how many counters.
 */
export async function rebuildUserCounters(p: Platform, ws: string, t: repo.TemplateRow): Promise<number> {
  const day = dayWindow(p.clock.now(), await workspaceTimezone(p, ws));
  return setAll(p.counters, await templateLedger(p, ws, t, day));
}
