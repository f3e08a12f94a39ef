import { sql, type RawBuilder } from 'kysely';
import type { Tx } from '../platform/db.ts';
import type { TimeCursor } from '../platform/cursor.ts';

/** The only place the coupons domain builds SQL. Every function takes `tx` and `workspaceId` first (cross-workspace scans for jobs say so). */

export type TemplateRow = NonNullable<Awaited<ReturnType<typeof templateById>>>;
export type CouponRow = NonNullable<Awaited<ReturnType<typeof couponByCode>>>;

export const insertTemplate = (tx: Tx, workspaceId: string, row: {
  id: string; name: string; type: string; value: number; minSpend: number; maxDiscount: number | null; totalStock: number;
  perUserLimit: number | null; perUserDailyLimit: number | null; claimStart: Date; claimEnd: Date; validity: unknown;
  campaignId: string | null; eligibility: unknown; createdBy: string; now: Date;
}) =>
  tx.insertInto('couponTemplates').values({
    workspaceId, id: row.id, name: row.name, type: row.type, value: row.value, minSpend: row.minSpend, maxDiscount: row.maxDiscount,
    totalStock: row.totalStock, perUserLimit: row.perUserLimit, perUserDailyLimit: row.perUserDailyLimit, claimStart: row.claimStart,
    claimEnd: row.claimEnd, validity: JSON.stringify(row.validity), campaignId: row.campaignId,
    eligibility: row.eligibility === null ? null : JSON.stringify(row.eligibility), createdBy: row.createdBy, createdAt: row.now, updatedAt: row.now,
  }).returningAll().executeTakeFirstOrThrow();

export const templateById = (tx: Tx, workspaceId: string, id: string) =>
  tx.selectFrom('couponTemplates').selectAll().where('workspaceId', '=', workspaceId).where('id', '=', id).executeTakeFirst();

/** The row locked (FOR UPDATE): a PATCH and the job that drops per-user counters take turns on it. */
export const templateForUpdate = (tx: Tx, workspaceId: string, id: string) =>
  tx.selectFrom('couponTemplates').selectAll().where('workspaceId', '=', workspaceId).where('id', '=', id).forUpdate().executeTakeFirst();

/** Templates of every workspace whose claim window ended by `cutoff` and whose per-user counters are still kept (the partial index of migration 0020). */
export const templatesToDropUserCounters = (tx: Tx, cutoff: Date, limit: number) =>
  tx.selectFrom('couponTemplates').select(['workspaceId', 'id']).where('claimEnd', '<=', cutoff).where('userCountersDroppedAt', 'is', null)
    .orderBy('claimEnd').limit(limit).execute();

/** Locks one of them again, skipping it when a PATCH holds it or it no longer qualifies (reopened, already dropped). */
export const lockTemplateToDropUserCounters = (tx: Tx, workspaceId: string, id: string, cutoff: Date) =>
  tx.selectFrom('couponTemplates').selectAll().where('workspaceId', '=', workspaceId).where('id', '=', id)
    .where('claimEnd', '<=', cutoff).where('userCountersDroppedAt', 'is', null).forUpdate().skipLocked().executeTakeFirst();

export const markUserCountersDropped = (tx: Tx, workspaceId: string, id: string, at: Date) =>
  tx.updateTable('couponTemplates').set({ userCountersDroppedAt: at }).where('workspaceId', '=', workspaceId).where('id', '=', id).execute();

export const templatesOfWorkspace = (tx: Tx, workspaceId: string) =>
  tx.selectFrom('couponTemplates').selectAll().where('workspaceId', '=', workspaceId).execute();

export const templatesOfCampaign = (tx: Tx, workspaceId: string, campaignId: string) =>
  tx.selectFrom('couponTemplates').selectAll().where('workspaceId', '=', workspaceId).where('campaignId', '=', campaignId).execute();

export const listTemplates = (tx: Tx, workspaceId: string, limit: number, before?: TimeCursor) =>
  tx.selectFrom('couponTemplates').selectAll().where('workspaceId', '=', workspaceId)
    .$if(!!before, (q) => q.where((eb) => eb.or([eb('createdAt', '<', before!.createdAt), eb.and([eb('createdAt', '=', before!.createdAt), eb('id', '<', before!.id)])])))
    .orderBy('createdAt', 'desc').orderBy('id', 'desc').limit(limit + 1).execute();

export const updateTemplate = (tx: Tx, workspaceId: string, id: string, patch: Record<string, unknown>, now: Date) =>
  tx.updateTable('couponTemplates').set({ ...patch, updatedAt: now }).where('workspaceId', '=', workspaceId).where('id', '=', id).returningAll().executeTakeFirst();

/** The internal id of a user and whether the blacklist (policies domain's table, keyed by externalId) holds them: one round trip on the grant path. */
export async function userForGrant(tx: Tx, workspaceId: string, userId: string): Promise<{ externalId: string; blacklisted: boolean } | undefined> {
  const r = await sql<{ externalId: string; blacklisted: boolean }>`
    select u.external_id, exists (select 1 from blacklist b where b.workspace_id = u.workspace_id and b.external_id = u.external_id) as blacklisted
    from users u where u.workspace_id = ${workspaceId} and u.id = ${userId}`.execute(tx);
  return r.rows[0];
}

/** The same for many externalIds of one workspace (the API path, batched by coupons.user-lookup.ts). */
export async function usersByExternalIdsForGrant(tx: Tx, workspaceId: string, externalIds: string[]): Promise<Map<string, { id: string; blacklisted: boolean }>> {
  const r = await sql<{ id: string; externalId: string; blacklisted: boolean }>`/* prepared:coupons.users-for-grant */
    select u.id, u.external_id, exists (select 1 from blacklist b where b.workspace_id = u.workspace_id and b.external_id = u.external_id) as blacklisted
    from users u where u.workspace_id = ${workspaceId} and u.external_id = any(${externalIds}::text[])`.execute(tx);
  return new Map(r.rows.map((u) => [u.externalId, { id: u.id, blacklisted: u.blacklisted }]));
}

export interface GrantedCouponRow {
  id: string; code: string; templateId: string; campaignId: string | null; userId: string;
  /** The user's externalId: the blacklist (keyed by it) is checked again as the row is written. */
  externalId: string;
  source: string; sourceRef: string;
  faceValue: number; validFrom: Date; validTo: Date; now: Date; localDay: string;
  /** The face value the `$coupon_granted` event reports (also when no budget pays and faceValue is 0). */
  eventFaceValue: number;
}

/**
 * Granted coupons, their budget reservations (`reserve` ledger rows, for a campaign's coupon
 * with a face value) and their `$coupon_granted` events in one statement — the events written
 * set-based here as the click folder writes `$link_clicked` (the caller then tells the
 * customers service: platformEventsStored). The batch goes as one JSON document of arrays with
 * times in epoch ms: objects with ISO dates were twice the bytes and ~3 × the client CPU, and
 * a multi-row VALUES of 7,000 parameters before that. A row whose (template, source,
 * sourceRef) exists is skipped, and gets no event. A row whose user is on the blacklist now
 * (the policies domain's table: the grant checked a snapshot of it, which may be a second old)
 * is skipped too and named in `blacklisted`. `countEvents`, the body of a CTE that may read
 * `ev` (the events inserted), counts them in the catalog in the same statement
 * (customers.service inlineEventCounts). Returns the coupon ids inserted, those refused as
 * blacklisted, and the event ids.
 */
export async function insertGrantedCoupons(tx: Tx, workspaceId: string, rows: readonly GrantedCouponRow[], countEvents?: RawBuilder<unknown>): Promise<{ ids: Set<string>; blacklisted: Set<string>; eventIds: string[] }> {
  const r = await grantedCouponsStatement(workspaceId, rows, countEvents).execute(tx);
  return grantedOf(r.rows[0]!);
}
/** The row grantedCouponsStatement answers (its names need no camel-casing, so kysely and node-postgres read it alike). */
export interface GrantedRow { ids: string[]; blacklisted: string[]; eventIds: string[] }
export const grantedOf = (row: GrantedRow) => ({ ids: new Set(row.ids), blacklisted: new Set(row.blacklisted), eventIds: row.eventIds });
/** insertGrantedCoupons' statement, built without running it (the grant writer sends it itself: coupons.writer.ts). */
export function grantedCouponsStatement(workspaceId: string, rows: readonly GrantedCouponRow[], countEvents?: RawBuilder<unknown>) {
  const json = JSON.stringify(rows.map((c) => [
    c.id, c.code, c.templateId, c.campaignId, c.userId, c.source, c.sourceRef, c.faceValue,
    c.validFrom.getTime(), c.validTo.getTime(), c.now.getTime(), c.localDay, c.eventFaceValue, c.externalId,
  ]));
  return sql<GrantedRow>`/* prepared:coupons.insert-granted */
    with d as (
      select x->>0 as id, x->>1 as code, x->>2 as template_id, x->>3 as campaign_id, (x->>4)::bigint as user_id, x->>5 as source, x->>6 as source_ref,
        (x->>7)::bigint as face_value, to_timestamp((x->>8)::bigint / 1000.0) as valid_from, to_timestamp((x->>9)::bigint / 1000.0) as valid_to,
        to_timestamp((x->>10)::bigint / 1000.0) as now, x->>11 as local_day, (x->>12)::bigint as event_face_value,
        exists (select 1 from blacklist b where b.workspace_id = ${workspaceId} and b.external_id = x->>13) as blacklisted
      from jsonb_array_elements(${json}::jsonb) as x
    ), ins as (
      insert into coupons (workspace_id, id, code, template_id, campaign_id, user_id, source, source_ref, status, face_value, valid_from, valid_to, granted_at, local_day, updated_at)
      select ${workspaceId}, id, code, template_id, campaign_id, user_id, source, source_ref, 'granted', face_value, valid_from, valid_to, now, local_day, now from d
      where not d.blacklisted
      on conflict (workspace_id, template_id, source, source_ref) do nothing
      returning id, campaign_id, face_value, granted_at
    ), reserve as (
      insert into budget_ledger (workspace_id, campaign_id, kind, delta, coupon_id, created_at)
      select ${workspaceId}, campaign_id, 'reserve', face_value, id, granted_at from ins where campaign_id is not null and face_value > 0
    ), ev as (
      insert into events (workspace_id, user_id, name, ts, properties)
      select ${workspaceId}, d.user_id, '$coupon_granted', d.now, jsonb_strip_nulls(jsonb_build_object(
        'couponId', d.id, 'templateId', d.template_id, 'campaignId', d.campaign_id, 'source', d.source, 'faceValue', d.event_face_value))
      from ins join d on d.id = ins.id
      returning id
    )${countEvents ? sql`, counted as (${countEvents})` : sql``}
    select (select coalesce(json_agg(id), '[]') from ins) as ids, (select coalesce(json_agg(id), '[]') from d where d.blacklisted) as blacklisted,
      (select coalesce(json_agg(id::text), '[]') from ev) as "eventIds"`;
}
export const couponBySource = (tx: Tx, workspaceId: string, templateId: string, source: string, sourceRef: string) =>
  tx.selectFrom('coupons').selectAll().where('workspaceId', '=', workspaceId).where('templateId', '=', templateId)
    .where('source', '=', source).where('sourceRef', '=', sourceRef).executeTakeFirst();

export const couponByCode = (tx: Tx, workspaceId: string, code: string) =>
  tx.selectFrom('coupons').selectAll().where('workspaceId', '=', workspaceId).where('code', '=', code).executeTakeFirst();

/** Row lock: redeem and release of one coupon take turns. */
export const couponByCodeForUpdate = (tx: Tx, workspaceId: string, code: string) =>
  tx.selectFrom('coupons').selectAll().where('workspaceId', '=', workspaceId).where('code', '=', code).forUpdate().executeTakeFirst();

export const userExternalId = async (tx: Tx, workspaceId: string, externalId: string) =>
  (await tx.selectFrom('users').select('id').where('workspaceId', '=', workspaceId).where('externalId', '=', externalId).executeTakeFirst())?.id;

export const redemption = (tx: Tx, workspaceId: string, couponId: string, orderId: string) =>
  tx.selectFrom('couponRedemptions').selectAll().where('workspaceId', '=', workspaceId).where('couponId', '=', couponId).where('orderId', '=', orderId).executeTakeFirst();

export const upsertRedemption = (tx: Tx, workspaceId: string, r: { couponId: string; orderId: string; orderAmount: number; discount: number; now: Date }) =>
  tx.insertInto('couponRedemptions').values({ workspaceId, couponId: r.couponId, orderId: r.orderId, orderAmount: r.orderAmount, discount: r.discount, redeemedAt: r.now, releasedAt: null })
    .onConflict((oc) => oc.columns(['workspaceId', 'couponId', 'orderId']).doUpdateSet({ orderAmount: r.orderAmount, discount: r.discount, redeemedAt: r.now, releasedAt: null }))
    .execute();

export const markReleased = (tx: Tx, workspaceId: string, couponId: string, orderId: string, now: Date) =>
  tx.updateTable('couponRedemptions').set({ releasedAt: now }).where('workspaceId', '=', workspaceId).where('couponId', '=', couponId).where('orderId', '=', orderId).execute();

export const setCouponState = (tx: Tx, workspaceId: string, id: string, s: {
  status: string; orderId: string | null; orderAmount: number | null; discount: number | null; redeemedAt: Date | null; released?: boolean; now: Date;
}) =>
  tx.updateTable('coupons').set((eb) => ({
    status: s.status, orderId: s.orderId, orderAmount: s.orderAmount, discount: s.discount, redeemedAt: s.redeemedAt, updatedAt: s.now,
    ...(s.released ? { releasedCount: eb('releasedCount', '+', 1) } : {}),
  })).where('workspaceId', '=', workspaceId).where('id', '=', id).execute();

export const insertLedger = (tx: Tx, workspaceId: string, rows: { campaignId: string; kind: string; delta: number; amount?: number; couponId?: string | null; actor?: string | null; reason?: string | null; now: Date }[]) =>
  rows.length === 0 ? Promise.resolve() : tx.insertInto('budgetLedger').values(rows.map((r) => ({
    workspaceId, campaignId: r.campaignId, kind: r.kind, delta: r.delta, amount: r.amount ?? 0, couponId: r.couponId ?? null, actor: r.actor ?? null, reason: r.reason ?? null, createdAt: r.now,
  }))).execute().then(() => undefined);

/** Committed (reserved + spent) by ledger, split for the budget view, and top-ups. */
export async function budgetTotals(tx: Tx, workspaceId: string, campaignId: string) {
  const r = await sql<{ committed: string; toppedUp: string }>`
    select coalesce(sum(delta), 0) as committed, coalesce(sum(amount) filter (where kind = 'top_up'), 0) as topped_up
    from budget_ledger where workspace_id = ${workspaceId} and campaign_id = ${campaignId}`.execute(tx);
  const s = await sql<{ reserved: string; spent: string }>`
    select coalesce(sum(face_value) filter (where status = 'granted'), 0) as reserved, coalesce(sum(discount) filter (where status = 'redeemed'), 0) as spent
    from coupons where workspace_id = ${workspaceId} and campaign_id = ${campaignId}`.execute(tx);
  return { committed: Number(r.rows[0]!.committed), toppedUp: Number(r.rows[0]!.toppedUp), reserved: Number(s.rows[0]!.reserved), spent: Number(s.rows[0]!.spent) };
}

export const toppedUp = async (tx: Tx, workspaceId: string, campaignId: string): Promise<number> =>
  Number((await sql<{ n: string }>`select coalesce(sum(amount), 0) as n from budget_ledger where workspace_id = ${workspaceId} and campaign_id = ${campaignId} and kind = 'top_up'`.execute(tx)).rows[0]!.n);

export const ledgerPage = (tx: Tx, workspaceId: string, campaignId: string, limit: number, beforeId?: string) =>
  tx.selectFrom('budgetLedger').selectAll().where('workspaceId', '=', workspaceId).where('campaignId', '=', campaignId)
    .$if(!!beforeId, (q) => q.where('id', '<', beforeId!)).orderBy('id', 'desc').limit(limit + 1).execute();

export async function templateStats(tx: Tx, workspaceId: string, templateId: string) {
  const r = await sql<{ granted: string; redeemed: string; expired: string; discountTotal: string; orderAmountTotal: string }>`
    select count(*) as granted, count(*) filter (where status = 'redeemed') as redeemed, count(*) filter (where status = 'expired') as expired,
      coalesce(sum(discount) filter (where status = 'redeemed'), 0) as discount_total, coalesce(sum(order_amount) filter (where status = 'redeemed'), 0) as order_amount_total
    from coupons where workspace_id = ${workspaceId} and template_id = ${templateId}`.execute(tx);
  const x = r.rows[0]!;
  return { granted: Number(x.granted), redeemed: Number(x.redeemed), expired: Number(x.expired), discountTotal: Number(x.discountTotal), orderAmountTotal: Number(x.orderAmountTotal) };
}

/** A user's coupons, newest first: a backward range of coupons_by_user, no sort (migration 0019). Exported unrun so a test can read its plan. */
export const couponsOfUserQuery = (tx: Tx, workspaceId: string, userId: string, limit: number) =>
  tx.selectFrom('coupons').selectAll().where('workspaceId', '=', workspaceId).where('userId', '=', userId).orderBy('grantedAt', 'desc').limit(limit);
export const couponsOfUser = (tx: Tx, workspaceId: string, userId: string, limit: number) => couponsOfUserQuery(tx, workspaceId, userId, limit).execute();

export const externalIdsOf = async (tx: Tx, workspaceId: string, userIds: string[]) =>
  new Map((userIds.length ? await tx.selectFrom('users').select(['id', 'externalId']).where('workspaceId', '=', workspaceId).where('id', 'in', userIds).execute() : []).map((u) => [u.id, u.externalId]));

/** Expiry (cross-workspace scan for the cron job): a batch of coupons past validTo, locked so a concurrent redeem waits or skips. */
export async function expireBatch(tx: Tx, now: Date, size: number) {
  const r = await sql<{ workspaceId: string; id: string; campaignId: string | null; faceValue: string }>`
    with due as (
      select workspace_id, id from coupons where status = 'granted' and valid_to <= ${now} order by valid_to limit ${size} for update skip locked
    )
    update coupons c set status = 'expired', updated_at = ${now} from due
    where c.workspace_id = due.workspace_id and c.id = due.id
    returning c.workspace_id, c.id, c.campaign_id, c.face_value`.execute(tx);
  return r.rows;
}

// Reconciliation reads: what the counters should say, recomputed from the rows.
export const stockUsed = async (tx: Tx, workspaceId: string, templateId: string) =>
  Number((await sql<{ n: string }>`select count(*) as n from coupons where workspace_id = ${workspaceId} and template_id = ${templateId}`.execute(tx)).rows[0]!.n);

export const perUserCounts = async (tx: Tx, workspaceId: string, templateId: string, localDay: string) =>
  (await sql<{ userId: string; n: string; today: string }>`
    select user_id, count(*) as n, count(*) filter (where local_day = ${localDay}) as today
    from coupons where workspace_id = ${workspaceId} and template_id = ${templateId} group by user_id`.execute(tx)).rows
    .map((r) => ({ userId: r.userId, n: Number(r.n), today: Number(r.today) }));

export const committedByLedger = async (tx: Tx, workspaceId: string, campaignId: string) =>
  Number((await sql<{ n: string }>`select coalesce(sum(delta), 0) as n from budget_ledger where workspace_id = ${workspaceId} and campaign_id = ${campaignId}`.execute(tx)).rows[0]!.n);

/** Workspaces with coupon templates (cross-workspace, for the reconciliation and monitor crons). */
export const workspacesWithTemplates = async (tx: Tx) =>
  (await sql<{ workspaceId: string }>`select distinct workspace_id from coupon_templates`.execute(tx)).rows.map((r) => r.workspaceId);

/** Users over a template's per-user limit (a loss monitor: never happens unless counters drifted). */
export const usersOverLimit = async (tx: Tx, workspaceId: string) =>
  (await sql<{ templateId: string; userId: string; n: string; limit: number }>`
    select c.template_id, c.user_id, count(*) as n, t.per_user_limit as limit
    from coupons c join coupon_templates t on t.workspace_id = c.workspace_id and t.id = c.template_id
    where c.workspace_id = ${workspaceId} and t.per_user_limit is not null
    group by c.template_id, c.user_id, t.per_user_limit having count(*) > t.per_user_limit limit 100`.execute(tx)).rows;

export const grantsSince = (tx: Tx, workspaceId: string, from: Date, to: Date, limit: number) =>
  tx.selectFrom('coupons').select(['id', 'templateId', 'userId', 'grantedAt']).where('workspaceId', '=', workspaceId)
    .where('grantedAt', '>=', from).where('grantedAt', '<', to).orderBy('grantedAt').limit(limit).execute();

export const grantCountsByTemplate = async (tx: Tx, workspaceId: string, from: Date, to: Date) =>
  (await sql<{ templateId: string; n: string }>`
    select template_id, count(*) as n from coupons where workspace_id = ${workspaceId} and granted_at >= ${from} and granted_at < ${to} group by template_id`.execute(tx)).rows
    .map((r) => ({ templateId: r.templateId, n: Number(r.n) }));
