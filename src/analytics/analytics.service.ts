import { DateTime } from 'luxon';
import type { Readable } from 'node:stream';
import type { Platform } from '../platform/context.ts';
import { copyOutCsv } from '../platform/copy-out.ts';
import * as campaigns from '../campaigns/campaigns.service.ts';
import * as customers from '../customers/customers.service.ts';
import * as delivery from '../delivery/delivery.service.ts';
import * as workspaces from '../workspaces/workspaces.service.ts';
import { can, type Principal } from '../workspaces/roles.ts';
import * as repo from './analytics.repo.ts';

/** Task report (API.md). Throws `not_found`. */
export const taskReport = (p: Platform, workspaceId: string, taskId: string) => delivery.taskReport(p, workspaceId, taskId);

export const userMessages = (p: Platform, workspaceId: string, externalId: string, limit: number, cursor?: string) => delivery.userMessages(p, workspaceId, externalId, limit, cursor);

/** Home page counts; "today" is the workspace's calendar day. */
export async function overview(p: Platform, workspaceId: string) {
  const ws = await workspaces.getWorkspace(p, workspaceId);
  const todayStart = DateTime.fromJSDate(p.clock.now(), { zone: ws.timezone }).startOf('day').toJSDate();
  const [counts, byStatus] = await Promise.all([customers.stats(p, workspaceId, todayStart), campaigns.statusCounts(p, workspaceId)]);
  return { users: counts.users, eventsToday: counts.eventsToday, campaignsRunning: byStatus.running ?? 0, campaignsByStatus: byStatus };
}

const n = (v: string | number | null | undefined) => Number(v ?? 0);
/** A rate of two counts, 4 decimals; 0 when nothing to divide. */
const rate = (num: number, den: number) => (den > 0 ? Math.round((num / den) * 10_000) / 10_000 : 0);

const TASKS_AT_ONCE = 4;

/**
 * What a campaign earned (API.md "Analytics"; docs/concepts.md "What a campaign earned"): the
 * funnel over users, the orders its touched users paid within the conversion window after
 * their first touch — split into first orders and repeat buyers — its coupons, the ROI of their
 * discounts, and each task's report (with its variants and control group, for A/B lift).
 * Throws `not_found`.
 */
export async function campaignReport(p: Platform, workspaceId: string, campaignId: string) {
  const c = await campaigns.getCampaign(p, workspaceId, campaignId);
  const taskIds = c.tasks.map((t) => t.id);
  // Independent statements, each on a connection of its own: on a big campaign they are scans
  // of the same messages, and together they keep both of PostgreSQL's cores busy (bench report).
  // Task reports go TASKS_AT_ONCE at a time, so a campaign of many tasks does not take the pool.
  const tasksReported = async () => {
    const out: Awaited<ReturnType<typeof delivery.taskReport>>[] = [];
    for (let i = 0; i < c.tasks.length; i += TASKS_AT_ONCE) {
      out.push(...(await Promise.all(c.tasks.slice(i, i + TASKS_AT_ONCE).map((t) => delivery.taskReport(p, workspaceId, t.id)))));
    }
    return out;
  };
  const [f, coupons, taskReports] = await Promise.all([
    repo.campaignFigures(p.db, workspaceId, taskIds, c.conversion),
    repo.campaignCoupons(p.db, workspaceId, campaignId, taskIds),
    tasksReported(),
  ]);
  const couponLines = coupons.map((r) => ({
    templateId: r.templateId, granted: n(r.granted), redeemed: n(r.redeemed), redeemRate: rate(n(r.redeemed), n(r.granted)),
    couponGmv: n(r.couponGmv), discount: n(r.discount),
  }));
  const couponDiscount = couponLines.reduce((s, l) => s + l.discount, 0);
  const gmv = n(f.gmv);
  const tasks = c.tasks.map((t, i) => {
    const r = taskReports[i]!;
    return {
      taskId: t.id, name: t.name, channel: t.channel, status: t.status, targeted: r.targeted, sent: r.sent, delivered: r.delivered, failed: r.failed,
      clicked: r.clicked, converted: r.converted, orders: r.orders, revenue: r.revenue, byVariant: r.byVariant,
    };
  });
  return {
    campaignId, conversion: c.conversion,
    funnel: { targeted: n(f.targeted), reached: n(f.reached), opened: n(f.opened), converted: n(f.converted) },
    payers: n(f.payers), orders: n(f.orders), gmv, couponDiscount,
    firstOrderUsers: n(f.firstOrderUsers), firstOrderGmv: n(f.firstOrderGmv), repeatUsers: n(f.repeatUsers), repeatGmv: n(f.repeatGmv),
    roi: couponDiscount > 0 ? Math.round((gmv / couponDiscount) * 100) / 100 : null,
    coupons: couponLines, tasks,
  };
}

export type CampaignExportType = 'messages' | 'conversions';

/**
 * A campaign's messages (one row each, in id order) or its conversions (the attributed orders)
 * as CSV, written and streamed by PostgreSQL (platform/copy-out.ts). Addresses are masked for
 * roles without the export right, as in segment exports. Throws `not_found`.
 */
export async function exportCampaign(p: Platform, who: Principal, campaignId: string, type: CampaignExportType): Promise<{ filename: string; masked: boolean; body: Readable }> {
  const c = await campaigns.getCampaign(p, who.workspaceId, campaignId);
  const taskIds = c.tasks.map((t) => t.id);
  const masked = !can(who.role, 'export');
  await workspaces.audit(p.db, who, 'campaign.export', 'campaign', campaignId, { type, masked }, p.clock.now());
  const query = type === 'messages' ? repo.messagesExportQuery(who.workspaceId, taskIds, masked) : repo.conversionsExportQuery(who.workspaceId, taskIds, c.conversion.windowDays);
  const body = await copyOutCsv(p.pool, query.compile(p.db), p.log, { campaignId, type });
  return { filename: `campaign-${campaignId}-${type}.csv`, masked, body };
}
