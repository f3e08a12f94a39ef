import type { Platform } from '../platform/context.ts';
import type { Definition } from '../audiences/definition.schema.ts';
import * as segments from '../audiences/segments.service.ts';
import * as alerts from '../alerts/alerts.service.ts';
import * as repo from './coupons.repo.ts';
import { campaignBudgetLimit, grantRate } from './coupons.service.ts';

/**
 * Loss monitors of the coupons domain, run every minute by the alerts monitor job. None of
 * these can happen while the counters hold; each is the alarm for when they did not (drift,
 * a bug, a direct database edit). Alerts are deduplicated per problem so a standing one is
 * raised once, not every minute.
 */
const ELIGIBILITY_SAMPLE = 200;

export function registerCouponMonitors(): void {
  alerts.registerRateSource('coupon grants', grantRate);

  alerts.registerMonitor('coupon budgets', async (p, ws) => {
    const campaignIds = new Set((await repo.templatesOfWorkspace(p.db, ws)).map((t) => t.campaignId).filter((c): c is string => !!c));
    for (const cmp of campaignIds) {
      const limit = await campaignBudgetLimit(p, ws, cmp, true);
      const committed = await repo.committedByLedger(p.db, ws, cmp);
      if (committed <= limit) continue;
      await alerts.raiseAlert(p, {
        workspaceId: ws, kind: 'budget_overspent', severity: 'critical', subject: { type: 'campaign', id: cmp },
        message: `Campaign ${cmp} has committed ${committed} against a budget of ${limit}.`, data: { committed, limit }, dedupKey: `overspent:${cmp}:${committed}`,
      });
    }
  });

  alerts.registerMonitor('coupon user limits', async (p, ws) => {
    for (const o of await repo.usersOverLimit(p.db, ws)) {
      await alerts.raiseAlert(p, {
        workspaceId: ws, kind: 'user_over_limit', severity: 'critical', subject: { type: 'coupon_template', id: o.templateId },
        message: `User ${o.userId} holds ${o.n} coupons of ${o.templateId}; the limit is ${o.limit}.`, data: { userId: o.userId, count: Number(o.n), limit: o.limit },
        dedupKey: `over_limit:${o.templateId}:${o.userId}:${o.n}`,
      });
    }
  });

  alerts.registerMonitor('coupon eligibility', async (p, ws, now) => {
    // The last two minutes (overlap: a grant is never missed between runs; dedup keeps one alert per coupon).
    const grants = await repo.grantsSince(p.db, ws, new Date(now.getTime() - 120_000), now, ELIGIBILITY_SAMPLE);
    if (grants.length === 0) return;
    const templates = new Map((await repo.templatesOfWorkspace(p.db, ws)).map((t) => [t.id, t]));
    await checkEligibility(p, ws, grants, templates);
  });
}

async function checkEligibility(p: Platform, ws: string, grants: { id: string; templateId: string; userId: string }[], templates: Map<string, repo.TemplateRow>) {
  for (const g of grants) {
    const t = templates.get(g.templateId);
    if (!t?.eligibility) continue;
    if (await segments.userInDefinition(p, ws, g.userId, t.eligibility as Definition)) continue;
    await alerts.raiseAlert(p, {
      workspaceId: ws, kind: 'grant_outside_audience', severity: 'critical', subject: { type: 'coupon_template', id: t.id },
      message: `Coupon ${g.id} went to user ${g.userId}, who is not in the template's eligible audience.`, data: { couponId: g.id, userId: g.userId },
      dedupKey: `outside_audience:${g.id}`,
    });
  }
}
