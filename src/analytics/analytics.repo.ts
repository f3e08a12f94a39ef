import { sql, type RawBuilder } from 'kysely';
import type { Tx } from '../platform/db.ts';

/**
 * Analytics is the read side (DESIGN.md "analytics/ attribution, funnels, reports, exports"): its
 * SQL reads the tables other domains write — messages, inbox messages, orders, coupons — and
 * never writes them. Each group of figures (funnel and orders, coupons, a task's counts) is one
 * statement, so its figures agree with each other; the groups of one report run side by side.
 *
 * A campaign's messages are found through its tasks' ids (the `messages_task` index), and a
 * touched user's orders through `orders_ws_user_paid`.
 */

/** The attribution window after a user's first touch: the campaign's conversion window. */
const windowOf = (days: number) => sql`${days} * interval '1 day'`;

/** Touched users (a message of the campaign went out to them) and the time of their first touch. */
const touches = (workspaceId: string, taskIds: string[]) => sql`
  select user_id, min(sent_at) as t from messages
  where workspace_id = ${workspaceId} and task_id = any(${taskIds}::text[]) and sent_at is not null
  group by user_id`;

/** The orders a campaign earned: paid by touched users within the window after their first touch. */
const attributedOrders = (workspaceId: string, taskIds: string[], windowDays: number) => sql`
  select o.order_id, o.user_id, o.amount, o.paid_at, o.first_order, o.coupon_code, touch.t as touched_at
  from (${touches(workspaceId, taskIds)}) touch
  join orders o on o.workspace_id = ${workspaceId} and o.user_id = touch.user_id
    and o.paid_at >= touch.t and o.paid_at < touch.t + ${windowOf(windowDays)}`;

export interface FiguresRow {
  targeted: string; reached: string; opened: string; converted: string;
  payers: string; orders: string; gmv: string;
  firstOrderUsers: string; firstOrderGmv: string; repeatUsers: string; repeatGmv: string;
}

/**
 * The funnel and the orders a campaign earned, in one statement that groups the campaign's
 * messages by user once (three statements did it four times: 7 × a plain scan of them at 1M
 * messages, bench report).
 *
 * Funnel over users: targeted (a message row of the campaign: suppressed and control
 * included), reached (a message went out), opened (clicked a tracked link of a message, or read
 * one in the inbox), converted (a touched user did the conversion event within the window after
 * their first touch).
 *
 * Orders: paid by touched users within the window after their first touch. A first-order user's
 * attributed orders include their first paid order ever (so none came before it); a repeat
 * buyer paid before.
 */
export async function campaignFigures(tx: Tx, workspaceId: string, taskIds: string[], conversion: { event: string; windowDays: number }): Promise<FiguresRow> {
  const window = windowOf(conversion.windowDays);
  const converted: RawBuilder<unknown> = conversion.event === 'order_paid'
    ? sql`(select count(*) from buyers)`
    : sql`(select count(*) from u where u.t is not null and exists (
        select 1 from events e where e.workspace_id = ${workspaceId} and e.user_id = u.user_id and e.name = ${conversion.event}
          and e.ts >= u.t and e.ts < u.t + ${window}))`;
  const r = await sql<FiguresRow>`
    with u as materialized (
      select m.user_id, min(m.sent_at) as t,
        bool_or(m.first_clicked_at is not null or (m.channel = 'inbox' and exists (
          select 1 from inbox_messages i where i.message_id = m.id and i.read_at is not null))) as opened
      from messages m where m.workspace_id = ${workspaceId} and m.task_id = any(${taskIds}::text[])
      group by m.user_id
    ), buyers as materialized (
      select o.user_id, bool_or(o.first_order) as first, count(*) as n, sum(o.amount) as gmv
      from u join orders o on o.workspace_id = ${workspaceId} and o.user_id = u.user_id and o.paid_at >= u.t and o.paid_at < u.t + ${window}
      where u.t is not null
      group by o.user_id
    ), f as (
      select count(*) as targeted, count(t) as reached, count(*) filter (where opened) as opened from u
    ), o as (
      select count(*) as payers, coalesce(sum(n), 0) as orders, coalesce(sum(gmv), 0) as gmv,
        count(*) filter (where first) as first_order_users, coalesce(sum(gmv) filter (where first), 0) as first_order_gmv,
        count(*) filter (where not first) as repeat_users, coalesce(sum(gmv) filter (where not first), 0) as repeat_gmv
      from buyers
    )
    select f.*, ${converted} as converted, o.* from f, o`.execute(tx);
  return r.rows[0]!;
}

export interface CouponRow { templateId: string; granted: string; redeemed: string; couponGmv: string; discount: string }

/**
 * The campaign's coupons per template: those its budget pays (templates bound to the campaign)
 * and those its tasks granted with their messages. Redeemed ones count their order amount
 * (couponGmv) and discount.
 */
export async function campaignCoupons(tx: Tx, workspaceId: string, campaignId: string, taskIds: string[]): Promise<CouponRow[]> {
  const r = await sql<CouponRow>`
    with c as (
      select c.id, c.template_id, c.status, c.order_amount, c.discount from coupons c
      where c.workspace_id = ${workspaceId}
        and c.template_id in (select id from coupon_templates where workspace_id = ${workspaceId} and campaign_id = ${campaignId})
      union
      select c.id, c.template_id, c.status, c.order_amount, c.discount from coupons c
      where c.workspace_id = ${workspaceId} and c.code in (
        select coupon_code from messages where workspace_id = ${workspaceId} and task_id = any(${taskIds}::text[]) and coupon_code is not null)
    )
    select template_id, count(*) as granted, count(*) filter (where status = 'redeemed') as redeemed,
      coalesce(sum(order_amount) filter (where status = 'redeemed'), 0) as coupon_gmv,
      coalesce(sum(discount) filter (where status = 'redeemed'), 0) as discount
    from c group by template_id order by template_id`.execute(tx);
  return r.rows;
}

/** A timestamp as the API writes it everywhere (JS toISOString: UTC, milliseconds, `Z`). */
const iso = (column: RawBuilder<unknown>) => sql`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * An address as roles without the export right see it: the masks of audiences/masking.ts
 * (maskPhone for SMS, maskEmail for email, the first four characters otherwise), in SQL so the
 * export can be written by PostgreSQL. analytics.int.test.ts checks both give the same text.
 */
export const maskedAddress = (channel: RawBuilder<unknown>, to: RawBuilder<unknown>) => sql`case
  when ${to} is null then null
  when ${channel} = 'sms' then case when length(${to}) >= 8 then left(${to}, 3) || '****' || right(${to}, 4)
    when length(${to}) > 2 then '****' || right(${to}, 2) else '****' end
  when ${channel} = 'email' then case when strpos(${to}, '@') = 0 or length(${to}) - strpos(reverse(${to}), '@') < 1 then '***'
    else left(${to}, 1) || '***' || substr(${to}, length(${to}) - strpos(reverse(${to}), '@') + 1) end
  else case when length(${to}) > 4 then left(${to}, 4) || '****' else '****' end
end`;

/**
 * The exports, written as CSV by PostgreSQL (platform/copy-out.ts): every column is the text
 * the file shows, named as its header. The messages in id order; the conversions (attributed
 * orders) oldest first.
 */
export const messagesExportQuery = (workspaceId: string, taskIds: string[], masked: boolean) => sql`
  select m.id as "messageId", m.task_id as "taskId", m.channel, u.external_id as "externalId",
    ${masked ? maskedAddress(sql.ref('m.channel'), sql.ref('m.to_address')) : sql.ref('m.to_address')} as "to",
    m.variant, m.status, m.reason, m.coupon_code as "couponCode",
    ${iso(sql.ref('m.created_at'))} as "createdAt", ${iso(sql.ref('m.sent_at'))} as "sentAt", ${iso(sql.ref('m.delivered_at'))} as "deliveredAt",
    ${iso(sql.ref('m.failed_at'))} as "failedAt", ${iso(sql.ref('m.first_clicked_at'))} as "firstClickedAt"
  from messages m join users u on u.workspace_id = m.workspace_id and u.id = m.user_id
  where m.workspace_id = ${workspaceId} and m.task_id = any(${taskIds}::text[])
  order by m.id`;

export const conversionsExportQuery = (workspaceId: string, taskIds: string[], windowDays: number) => sql`
  select a.order_id as "orderId", u.external_id as "externalId", a.amount, ${iso(sql.ref('a.paid_at'))} as "paidAt",
    ${iso(sql.ref('a.touched_at'))} as "touchedAt", case when a.first_order then 'true' else 'false' end as "firstOrder", a.coupon_code as "couponCode"
  from (${attributedOrders(workspaceId, taskIds, windowDays)}) a join users u on u.workspace_id = ${workspaceId} and u.id = a.user_id
  order by a.paid_at, a.order_id`;
