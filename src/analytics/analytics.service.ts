import { DateTime } from 'luxon';
import type { Readable } from 'node:stream';
import type { Platform } from '../platform/context.ts';
import { csvStream } from '../platform/csv-stream.ts';
import { cursorPages } from '../platform/sql-cursor.ts';
import * as campaigns from '../campaigns/campaigns.service.ts';
import * as customers from '../customers/customers.service.ts';
import * as delivery from '../delivery/delivery.service.ts';
import * as workspaces from '../workspaces/workspaces.service.ts';
import { maskEmail, maskPhone } from '../audiences/masking.ts';
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

/**
 * What a campaign earned (API.md "Analytics"; docs/analytics.md): the funnel over users, the
 * orders its touched users paid within the conversion window after their first touch — split
 * into first orders and repeat buyers — its coupons, the ROI of their discounts, and each
 * task's report (with its variants and control group, for A/B lift). Throws `not_found`.
 */
export async function campaignReport(p: Platform, workspaceId: string, campaignId: string) {
  const c = await campaigns.getCampaign(p, workspaceId, campaignId);
  const taskIds = c.tasks.map((t) => t.id);
  // Independent statements, each on a connection of its own: on a big campaign they are scans
  // of the same messages, and together they keep both of PostgreSQL's cores busy (bench report).
  const [f, coupons, taskReports] = await Promise.all([
    repo.campaignFigures(p.db, workspaceId, taskIds, c.conversion),
    repo.campaignCoupons(p.db, workspaceId, campaignId, taskIds),
    Promise.all(c.tasks.map((t) => delivery.taskReport(p, workspaceId, t.id))),
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

const messageColumns = ['messageId', 'taskId', 'channel', 'externalId', 'to', 'variant', 'status', 'reason', 'couponCode', 'createdAt', 'sentAt', 'deliveredAt', 'failedAt', 'firstClickedAt'];
const conversionColumns = ['orderId', 'externalId', 'amount', 'paidAt', 'touchedAt', 'firstOrder', 'couponCode'];

const iso = (d: Date | null) => (d ? d.toISOString() : '');
/** An address for a role without the export right: enough to recognise, not to contact. */
function maskAddress(channel: string, to: string): string {
  if (channel === 'sms') return maskPhone(to);
  if (channel === 'email') return maskEmail(to);
  return to.length > 4 ? `${to.slice(0, 4)}****` : '****';
}

/**
 * A campaign's messages (one row each, in id order) or its conversions (the attributed orders)
 * as CSV, streamed through a cursor. Addresses are masked for roles without the export right,
 * as in segment exports. Throws `not_found`.
 */
export async function exportCampaign(p: Platform, who: Principal, campaignId: string, type: CampaignExportType): Promise<{ filename: string; masked: boolean; body: Readable }> {
  const c = await campaigns.getCampaign(p, who.workspaceId, campaignId);
  const taskIds = c.tasks.map((t) => t.id);
  const masked = !can(who.role, 'export');
  await workspaces.audit(p.db, who, 'campaign.export', 'campaign', campaignId, { type, masked }, p.clock.now());
  type Row = Record<string, unknown>;
  const query = type === 'messages' ? repo.messagesExportQuery(who.workspaceId, taskIds) : repo.conversionsExportQuery(who.workspaceId, taskIds, c.conversion.windowDays);
  const cells = type === 'messages'
    ? (r: Row) => [r.message_id, r.task_id, r.channel, r.external_id, r.to_address === null ? '' : masked ? maskAddress(String(r.channel), String(r.to_address)) : r.to_address,
      r.variant ?? '', r.status, r.reason ?? '', r.coupon_code ?? '', iso(r.created_at as Date), iso(r.sent_at as Date | null), iso(r.delivered_at as Date | null),
      iso(r.failed_at as Date | null), iso(r.first_clicked_at as Date | null)]
    : (r: Row) => [r.order_id, r.external_id, r.amount, iso(r.paid_at as Date), iso(r.touched_at as Date), r.first_order ? 'true' : 'false', r.coupon_code ?? ''];
  async function* pages(): AsyncGenerator<unknown[][]> {
    for await (const page of cursorPages<Row>(p.pool, query.compile(p.db))) yield page.map(cells);
  }
  const body = csvStream(type === 'messages' ? messageColumns : conversionColumns, pages(), p.log, { campaignId, type });
  return { filename: `campaign-${campaignId}-${type}.csv`, masked, body };
}
