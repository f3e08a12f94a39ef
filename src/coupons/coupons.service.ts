import { customAlphabet } from 'nanoid';
import { DateTime } from 'luxon';
import type { Platform } from '../platform/context.ts';
import type { Tx } from '../platform/db.ts';
import { AppError, notFound, pathString } from '../platform/errors.ts';
import { newId } from '../platform/ids.ts';
import { TtlCache } from '../platform/ttl-cache.ts';
import { decodeCursor, page } from '../platform/cursor.ts';
import { counterKey, type CounterKey } from '../platform/counters/counters.keys.ts';
import { dayWindow } from '../platform/counters/counters.windows.ts';
import type { FixedWindow, TakeItem } from '../platform/counters/counters.port.ts';
import type { Definition } from '../audiences/definition.schema.ts';
import * as segments from '../audiences/segments.service.ts';
import * as campaigns from '../campaigns/campaigns.service.ts';
import * as customers from '../customers/customers.service.ts';
import * as policies from '../policies/policies.service.ts';
import * as alerts from '../alerts/alerts.service.ts';
import type { Principal } from '../workspaces/roles.ts';
import * as workspaces from '../workspaces/workspaces.service.ts';
import * as repo from './coupons.repo.ts';
import { couponWriter, type WriteOutcome } from './coupons.writer.ts';
import { userLookup } from './coupons.user-lookup.ts';
import { rebuildUserCounters, USER_COUNTERS_KEPT_MS } from './coupons.user-counters.ts';
import { templateIssues, type CouponSource, type CouponType, type CreateTemplateInput, type PatchTemplateInput, type TemplateView, type Validity } from './coupons.schema.ts';

/**
 * Coupons and campaign budgets (docs/rewards.md). The counters (p.counters) are the fast gate
 * that never lets stock, a per-user limit, a per-user-per-day limit or a budget pass its limit;
 * the coupon rows and budget_ledger rows in PostgreSQL are the record, from which
 * reconciliation (coupons.reconcile.ts) repairs the counters.
 */

const UNLIMITED = Number.MAX_SAFE_INTEGER;

// ---- Templates --------------------------------------------------------------------------------

/** What the budget reserves at grant: threshold/direct their value, percent its cap (0 when uncapped and no budget pays). */
export const faceValueOf = (t: { type: string; value: number; maxDiscount: number | null }): number =>
  t.type === 'percent' ? (t.maxDiscount ?? 0) : t.value;

const tplView = (t: repo.TemplateRow, killed = false): TemplateView => ({
  id: t.id, name: t.name, type: t.type as CouponType, value: Number(t.value), minSpend: Number(t.minSpend), maxDiscount: t.maxDiscount === null ? null : Number(t.maxDiscount),
  faceValue: faceValueOf({ type: t.type, value: Number(t.value), maxDiscount: t.maxDiscount === null ? null : Number(t.maxDiscount) }),
  totalStock: Number(t.totalStock), perUserLimit: t.perUserLimit, perUserDailyLimit: t.perUserDailyLimit,
  claimStart: t.claimStart.toISOString(), claimEnd: t.claimEnd.toISOString(), validity: t.validity as Validity, campaignId: t.campaignId,
  eligibility: t.eligibility ?? null, killed, createdAt: t.createdAt.toISOString(), updatedAt: t.updatedAt.toISOString(),
});

/** Creates a template. Throws `validation_failed`, `not_found` (campaign). */
export async function createTemplate(p: Platform, who: Principal, input: CreateTemplateInput): Promise<TemplateView> {
  return p.db.transaction().execute(async (tx) => {
    if (input.campaignId) await campaigns.campaignInfo(tx, who.workspaceId, input.campaignId);
    const now = p.clock.now();
    const row = await repo.insertTemplate(tx, who.workspaceId, {
      id: newId('cpt'), name: input.name, type: input.type, value: input.value, minSpend: input.minSpend ?? 0, maxDiscount: input.maxDiscount ?? null,
      totalStock: input.totalStock, perUserLimit: input.perUserLimit ?? null, perUserDailyLimit: input.perUserDailyLimit ?? null,
      claimStart: new Date(input.claimStart), claimEnd: new Date(input.claimEnd), validity: input.validity, campaignId: input.campaignId ?? null,
      eligibility: input.eligibility ?? null, createdBy: who.actor, now,
    });
    await workspaces.audit(tx, who, 'coupon_template.create', 'coupon_template', row.id, { name: input.name, totalStock: input.totalStock }, now);
    return tplView(row);
  });
}

/** Stock top-up (or cut: never below what was granted), limits, claim window, validity for new grants, eligibility. */
export async function patchTemplate(p: Platform, who: Principal, id: string, patch: PatchTemplateInput): Promise<TemplateView> {
  const out = await p.db.transaction().execute(async (tx) => {
    const t = await repo.templateForUpdate(tx, who.workspaceId, id);
    if (!t) throw notFound('Coupon template');
    const merged = {
      type: t.type as CouponType, value: Number(t.value), maxDiscount: t.maxDiscount === null ? null : Number(t.maxDiscount), campaignId: t.campaignId,
      claimStart: patch.claimStart ?? t.claimStart.toISOString(), claimEnd: patch.claimEnd ?? t.claimEnd.toISOString(), validity: patch.validity ?? (t.validity as Validity),
    };
    const issues = templateIssues(merged);
    if (issues.length) throw new AppError('validation_failed', 'The template would not be valid.', issues.map((i) => ({ path: pathString(i.path), message: i.message })));
    if (patch.totalStock !== undefined) {
      const granted = await repo.stockUsed(tx, who.workspaceId, id);
      if (patch.totalStock < granted) throw new AppError('validation_failed', 'Stock cannot go below what was already granted.', [{ path: 'totalStock', message: `${granted} already granted` }]);
    }
    const set: Record<string, unknown> = {};
    for (const k of ['name', 'totalStock', 'perUserLimit', 'perUserDailyLimit'] as const) if (patch[k] !== undefined) set[k] = patch[k];
    if (patch.claimStart) set.claimStart = new Date(patch.claimStart);
    if (patch.claimEnd) set.claimEnd = new Date(patch.claimEnd);
    if (t.userCountersDroppedAt && new Date(merged.claimEnd).getTime() > p.clock.now().getTime() - USER_COUNTERS_KEPT_MS) {
      // Reopened after its per-user counters were dropped: rebuilt before the new window is stored (coupons.user-counters.ts).
      await rebuildUserCounters(p, who.workspaceId, t);
      set.userCountersDroppedAt = null;
    }
    if (patch.validity) set.validity = JSON.stringify(patch.validity);
    if (patch.eligibility !== undefined) set.eligibility = patch.eligibility === null ? null : JSON.stringify(patch.eligibility);
    const now = p.clock.now();
    const row = await repo.updateTemplate(tx, who.workspaceId, id, set, now);
    await workspaces.audit(tx, who, 'coupon_template.update', 'coupon_template', id, patch, now);
    return row!;
  });
  templateCache.delete(`${who.workspaceId}:${id}`);
  return tplView(out, await alerts.isKilled(p, who.workspaceId, { type: 'coupon_template', id }));
}

export async function getTemplate(p: Platform, workspaceId: string, id: string): Promise<TemplateView> {
  const t = await repo.templateById(p.db, workspaceId, id);
  if (!t) throw notFound('Coupon template');
  return tplView(t, await alerts.isKilled(p, workspaceId, { type: 'coupon_template', id }));
}

export async function listTemplates(p: Platform, workspaceId: string, limit: number, cursor?: string) {
  return page(await repo.listTemplates(p.db, workspaceId, limit, decodeCursor(cursor)), limit, (t) => tplView(t));
}

export async function templateStats(p: Platform, workspaceId: string, id: string) {
  const t = await repo.templateById(p.db, workspaceId, id);
  if (!t) throw notFound('Coupon template');
  const s = await repo.templateStats(p.db, workspaceId, id);
  return { totalStock: Number(t.totalStock), ...s, remaining: Math.max(0, Number(t.totalStock) - s.granted) };
}

// ---- Hot-path caches --------------------------------------------------------------------------
// The grant path reads the template, the workspace timezone and the budget limit on every call.
// Each is cached for about a second in the process: a PATCH through this process applies at
// once; another process sees it within CACHE_MS. The counters, not these caches, decide.
const CACHE_MS = 1000;
const templateCache = new TtlCache<repo.TemplateRow>(CACHE_MS);
const tzCache = new TtlCache<string>(60 * CACHE_MS);
const budgetCache = new TtlCache<number>(CACHE_MS);

function cachedTemplate(p: Platform, workspaceId: string, id: string): Promise<repo.TemplateRow> {
  return templateCache.get(`${workspaceId}:${id}`, async () => {
    const row = await repo.templateById(p.db, workspaceId, id);
    if (!row) throw notFound('Coupon template');
    return row;
  });
}

function timezoneOf(p: Platform, workspaceId: string): Promise<string> {
  return tzCache.get(workspaceId, async () => (await workspaces.settings(p.db, workspaceId)).timezone);
}

/** A campaign budget's limit: the campaign's budget plus approved top-ups; UNLIMITED when the campaign has no budget. */
function budgetLimit(p: Platform, workspaceId: string, campaignId: string, fresh = false): Promise<number> {
  const load = async () => {
    const c = await campaigns.campaignInfo(p.db, workspaceId, campaignId);
    return c.budget === null ? UNLIMITED : c.budget.amount + (await repo.toppedUp(p.db, workspaceId, campaignId));
  };
  const k = `${workspaceId}:${campaignId}`;
  return fresh ? budgetCache.refresh(k, load) : budgetCache.get(k, load);
}

// ---- Counter keys -----------------------------------------------------------------------------
// One hash tag per takeMany (docs/counters.md): the campaign when one pays (stock, limits and
// budget move together), else the template.
export const scopeOf = (t: { id: string; campaignId: string | null }) => (t.campaignId ? `cmp:${t.campaignId}` : `tpl:${t.id}`);
export const keys = {
  stock: (ws: string, t: { id: string; campaignId: string | null }): CounterKey => counterKey(ws, scopeOf(t), `tpl:${t.id}:stock`),
  user: (ws: string, t: { id: string; campaignId: string | null }, userId: string): CounterKey => counterKey(ws, scopeOf(t), `tpl:${t.id}:user:${userId}`),
  userDay: (ws: string, t: { id: string; campaignId: string | null }, userId: string): CounterKey => counterKey(ws, scopeOf(t), `tpl:${t.id}:uday:${userId}`),
  budget: (ws: string, campaignId: string): CounterKey => counterKey(ws, `cmp:${campaignId}`, 'budget'),
};

// ---- Grant ------------------------------------------------------------------------------------

export interface GrantInput {
  workspaceId: string; templateId: string; userId: string;
  source: CouponSource; sourceRef: string;
}
export interface GrantResult { couponId: string; code: string; validFrom: Date; validTo: Date; repeated: boolean }

/**
 * 12 characters of a 32-letter alphabet without look-alikes (60 bits). nanoid draws from a
 * pooled buffer of random bytes (a randomBytes call per grant was a syscall each) and masks
 * without bias (32 is a power of two).
 */
const newCouponCode = customAlphabet('ABCDEFGHJKLMNPQRSTUVWXYZ23456789', 12);

const refusal: Record<string, [string, string]> = {
  stock: ['out_of_stock', 'This coupon is out of stock.'],
  user: ['user_limit_reached', 'This user already has as many of this coupon as allowed.'],
  userDay: ['daily_limit_reached', 'This user has had as many of this coupon today as allowed.'],
  budget: ['budget_exhausted', "The campaign's budget cannot pay for another coupon."],
};

function validityWindow(v: Validity, now: Date): { validFrom: Date; validTo: Date } {
  if ('from' in v) return { validFrom: new Date(v.from), validTo: new Date(v.to) };
  return { validFrom: now, validTo: new Date(now.getTime() + v.days * 86_400_000) };
}

const resultOf = (c: { id: string; code: string; validFrom: Date; validTo: Date }, repeated: boolean): GrantResult =>
  ({ couponId: c.id, code: c.code, validFrom: c.validFrom, validTo: c.validTo, repeated });

/**
 * Grants one coupon of a template to a user (internal id). Idempotent on (templateId, source,
 * sourceRef): a repeat answers the same coupon with `repeated: true`. Checks, in order: killed
 * (template, campaign) → claim window → blacklist → eligibility → stock, per-user limit,
 * per-user-per-day limit (workspace-local day) and budget (face value) taken together by one
 * `takeMany` → the coupon row, its budget reservation and `$coupon_granted` in one transaction
 * (group-committed with concurrent grants: coupons.writer.ts); when that write fails the counters are given back. Throws out_of_stock | user_limit_reached |
 * daily_limit_reached | outside_claim_window | blacklisted | budget_exhausted | not_eligible |
 * killed | not_found.
 */
export async function grantCoupon(p: Platform, input: GrantInput): Promise<GrantResult> {
  return grant(p, input, {});
}

/**
 * What every grant of a template computes alike — face value, kill-switch subjects, the stock
 * and budget keys — once per cached template row (a row lives CACHE_MS in templateCache, so a
 * PATCH is seen with the row).
 */
interface TemplatePlan { face: number; subjects: alerts.Subject[]; stock: CounterKey; budget: CounterKey | null }
const templatePlans = new WeakMap<repo.TemplateRow, TemplatePlan>();
function planOf(ws: string, t: repo.TemplateRow): TemplatePlan {
  let plan = templatePlans.get(t);
  if (!plan) {
    const face = faceValueOf({ type: t.type, value: Number(t.value), maxDiscount: t.maxDiscount === null ? null : Number(t.maxDiscount) });
    plan = {
      face,
      subjects: t.campaignId ? [{ type: 'coupon_template', id: t.id }, { type: 'campaign', id: t.campaignId }] : [{ type: 'coupon_template', id: t.id }],
      stock: keys.stock(ws, t),
      budget: t.campaignId && face > 0 ? keys.budget(ws, t.campaignId) : null,
    };
    templatePlans.set(t, plan);
  }
  return plan;
}

/** The counters a grant takes, in this order (takeMany's failedIndex names the refusal). */
const TAKEN = ['stock', 'user', 'userDay', 'budget'] as const;

/** Gives a failed grant's counters back; a failure is logged and left to reconciliation. */
async function giveBack(p: Platform, items: readonly TakeItem[]): Promise<void> {
  for (const i of items) {
    await p.counters.give(i.key, i.amount ?? 1, i.window ? { window: i.window as FixedWindow } : undefined)
      .catch((err: unknown) => p.log.error({ err, key: i.key }, 'give back failed; reconciliation will repair'));
  }
}

/**
 * `known.user`: the caller already has the user and their blacklist entry (the API path: read
 * with the user, or from the blacklist snapshot — the write checks the row again either way);
 * `known.fresh`: the sourceRef was just generated, so no earlier grant can have it.
 * The hot path of the API grant: no closures or object copies per call (bench rewards).
 */
async function grant(p: Platform, input: GrantInput, known: { user?: { externalId: string; blacklisted: boolean }; fresh?: boolean }): Promise<GrantResult> {
  const ws = input.workspaceId;
  const t = await cachedTemplate(p, ws, input.templateId);
  if (!known.fresh) {
    const prior = await repo.couponBySource(p.db, ws, t.id, input.source, input.sourceRef);
    if (prior) return resultOf(prior, true);
  }

  const plan = planOf(ws, t);
  await alerts.assertNotKilled(p, ws, plan.subjects);
  const now = p.clock.now();
  if (now < t.claimStart || now >= t.claimEnd) throw new AppError('outside_claim_window', 'This coupon cannot be claimed now.', [{ path: 'claimStart', message: `${t.claimStart.toISOString()} to ${t.claimEnd.toISOString()}` }]);
  const user = known.user ?? (await repo.userForGrant(p.db, ws, input.userId));
  if (!user) throw notFound('User');
  if (user.blacklisted) throw new AppError('blacklisted', 'This user is blacklisted.');
  if (t.eligibility && !(await segments.userInDefinition(p, ws, input.userId, t.eligibility as Definition))) {
    throw new AppError('not_eligible', 'This user is not in the audience that may claim this coupon.');
  }

  const day = dayWindow(now, await timezoneOf(p, ws));
  const items: TakeItem[] = [
    { key: plan.stock, limit: Number(t.totalStock) },
    // Per-user counters run even without a limit, so a limit set later counts what was granted.
    { key: keys.user(ws, t, input.userId), limit: t.perUserLimit ?? UNLIMITED },
    { key: keys.userDay(ws, t, input.userId), limit: t.perUserDailyLimit ?? UNLIMITED, window: day },
  ];
  if (plan.budget) items.push({ key: plan.budget, limit: await budgetLimit(p, ws, t.campaignId!), amount: plan.face });
  const taken = await p.counters.takeMany(items);
  if (!taken.ok) {
    const [code, message] = refusal[TAKEN[taken.failedIndex]!]!;
    throw new AppError(code, message);
  }

  const { validFrom, validTo } = validityWindow(t.validity as Validity, now);
  const id = newId('cpn');
  const code = newCouponCode();
  let written: WriteOutcome;
  try {
    written = await couponWriter(p).write({
      workspaceId: ws, id, code, templateId: t.id, campaignId: t.campaignId, userId: input.userId, externalId: user.externalId, source: input.source, sourceRef: input.sourceRef,
      faceValue: t.campaignId ? plan.face : 0, validFrom, validTo, now, localDay: day.id, eventFaceValue: plan.face,
    });
  } catch (err) {
    await giveBack(p, items);
    throw err;
  }
  if (written === 'blacklisted') {
    // Blacklisted since the snapshot this grant was checked against (grantByExternalId).
    await giveBack(p, items);
    throw new AppError('blacklisted', 'This user is blacklisted.');
  }
  if (written === 'exists') {
    // A concurrent grant with the same (template, source, sourceRef) won: one coupon, ours is given back.
    await giveBack(p, items);
    const winner = await repo.couponBySource(p.db, ws, t.id, input.source, input.sourceRef);
    if (!winner) throw new AppError('internal_error', 'A concurrent grant vanished.');
    return resultOf(winner, true);
  }
  return { couponId: id, code, validFrom, validTo, repeated: false };
}

/**
 * The API's grant by externalId; sourceRef is the Idempotency-Key when given (so a retry finds
 * its coupon even after the key's stored answer expired). A user this process knows the id of
 * is checked against the workspace's blacklist snapshot (policies.service: at most a second old,
 * and the write checks the blacklist again), so the grant reads no row before its counters;
 * another is read with its blacklist entry, batched with concurrent grants.
 */
export async function grantByExternalId(p: Platform, who: Principal, templateId: string, externalId: string, idempotencyKey?: string) {
  const ws = who.workspaceId;
  const knownId = customers.knownUserId(ws, externalId);
  const blacklist = knownId ? await policies.blacklistSnapshot(p, ws) : null;
  let user: { id: string; externalId: string; blacklisted: boolean };
  if (knownId && blacklist) user = { id: knownId, externalId, blacklisted: blacklist.has(externalId) };
  else {
    const found = await userLookup(p).get(ws, externalId);
    if (!found) throw notFound('User');
    customers.rememberUserId(ws, externalId, found.id);
    user = { id: found.id, externalId, blacklisted: found.blacklisted };
  }
  const r = await grant(p, { workspaceId: ws, templateId, userId: user.id, source: 'api', sourceRef: idempotencyKey ? `key:${idempotencyKey}` : newId('req') },
    { user, fresh: !idempotencyKey });
  return { couponId: r.couponId, code: r.code, validFrom: r.validFrom.toISOString(), validTo: r.validTo.toISOString(), repeated: r.repeated };
}

// ---- Redeem, release, expiry ------------------------------------------------------------------

/** The discount of a coupon on an order, or null when the order does not qualify. */
export function discountFor(t: { type: string; value: number; minSpend: number; maxDiscount: number | null }, orderAmount: number): number | null {
  if (orderAmount < t.minSpend) return null;
  if (t.type === 'percent') {
    const d = Math.floor((orderAmount * t.value) / 100);
    return t.maxDiscount === null ? d : Math.min(d, t.maxDiscount);
  }
  // threshold (满减) and direct (直减): the value off, never below zero.
  return Math.min(t.value, orderAmount);
}

/**
 * Redeems a coupon on an order. Idempotent on orderId: the same order again answers the same;
 * another order gets already_redeemed. With a campaign budget, the reservation (face value)
 * is settled to the real discount and the difference returned. The coupon row is locked, so a
 * concurrent release of the same coupon waits. Throws not_found | not_owner | expired |
 * not_applicable | already_redeemed.
 */
export async function redeem(p: Platform, workspaceId: string, code: string, input: { externalId: string; orderId: string; orderAmount: number }) {
  const now = p.clock.now();
  const r = await p.db.transaction().execute(async (tx) => {
    const c = await repo.couponByCodeForUpdate(tx, workspaceId, code);
    if (!c) throw notFound('Coupon');
    const userId = await repo.userExternalId(tx, workspaceId, input.externalId);
    if (userId !== c.userId) throw new AppError('not_owner', 'This coupon belongs to another user.');
    const prior = await repo.redemption(tx, workspaceId, c.id, input.orderId);
    if (prior && !prior.releasedAt && c.status === 'redeemed' && c.orderId === input.orderId) {
      return { discount: Number(prior.discount), payable: Number(prior.orderAmount) - Number(prior.discount), give: 0, campaignId: null };
    }
    if (c.status === 'redeemed') throw new AppError('already_redeemed', 'This coupon was redeemed by another order.');
    if (c.status === 'expired' || now >= c.validTo) throw new AppError('expired', 'This coupon has expired.');
    if (c.status === 'void') throw new AppError('not_applicable', 'This coupon was voided.');
    if (now < c.validFrom) throw new AppError('not_applicable', 'This coupon is not valid yet.');
    const t = await repo.templateById(tx, workspaceId, c.templateId);
    const discount = discountFor({ type: t!.type, value: Number(t!.value), minSpend: Number(t!.minSpend), maxDiscount: t!.maxDiscount === null ? null : Number(t!.maxDiscount) }, input.orderAmount);
    if (discount === null) throw new AppError('not_applicable', `The order does not reach the minimum spend of ${Number(t!.minSpend)}.`);
    await repo.setCouponState(tx, workspaceId, c.id, { status: 'redeemed', orderId: input.orderId, orderAmount: input.orderAmount, discount, redeemedAt: now, now });
    await repo.upsertRedemption(tx, workspaceId, { couponId: c.id, orderId: input.orderId, orderAmount: input.orderAmount, discount, now });
    const face = Number(c.faceValue);
    // Settle: the budget keeps the real discount; the rest of the reservation comes back.
    const back = c.campaignId ? face - discount : 0;
    if (c.campaignId) await repo.insertLedger(tx, workspaceId, [{ campaignId: c.campaignId, kind: 'settle', delta: -back, amount: discount, couponId: c.id, now }]);
    await customers.recordPlatformEvents(tx, workspaceId, [{ userId: c.userId, name: '$coupon_redeemed', ts: now, properties: {
      couponId: c.id, templateId: c.templateId, ...(c.campaignId ? { campaignId: c.campaignId } : {}), orderId: input.orderId, orderAmount: input.orderAmount, discount,
    } }]);
    return { discount, payable: input.orderAmount - discount, give: back, campaignId: c.campaignId };
  });
  if (r.give > 0 && r.campaignId) await p.counters.give(keys.budget(workspaceId, r.campaignId), r.give);
  return { discount: r.discount, payable: r.payable };
}

/**
 * Undoes a redemption (refund, failed payment), once: a second release of the same order is a
 * no-op answering `released: false`. The coupon comes back to its owner while still valid, its
 * reservation re-taken from the budget; when it has expired meanwhile, or the budget cannot
 * take it back, it ends (expired / void) and the budget gets the discount back. Locks the row,
 * so it serialises with a concurrent redeem. Throws not_found.
 *
 * The budget re-take happens before the transaction (speculatively, from an unlocked read):
 * a counter call while holding the row lock would need a second pooled connection per release
 * and starve the pool under load. What the locked row decides against it is given back after.
 */
export async function release(p: Platform, workspaceId: string, code: string, orderId: string) {
  const now = p.clock.now();
  const pre = await repo.couponByCode(p.db, workspaceId, code);
  let reTaken = 0;
  if (pre?.campaignId && pre.status === 'redeemed' && pre.orderId === orderId && now < pre.validTo && pre.discount !== null) {
    const want = Number(pre.faceValue) - Number(pre.discount);
    if (want > 0) {
      const limit = await budgetLimit(p, workspaceId, pre.campaignId, true);
      if ((await p.counters.take(keys.budget(workspaceId, pre.campaignId), { limit, amount: want })).ok) reTaken = want;
    }
  }
  let out: { released: boolean; status: string; give: number; campaignId: string | null };
  try {
    out = await p.db.transaction().execute(async (tx) => {
      const c = await repo.couponByCodeForUpdate(tx, workspaceId, code);
      if (!c) throw notFound('Coupon');
      const red = await repo.redemption(tx, workspaceId, c.id, orderId);
      if (!red) throw new AppError('not_found', 'This coupon was not redeemed by this order.');
      if (red.releasedAt || c.status !== 'redeemed' || c.orderId !== orderId) return { released: false, status: c.status, give: reTaken, campaignId: c.campaignId };
      const discount = Number(red.discount);
      const face = Number(c.faceValue);
      let status = now >= c.validTo ? 'expired' : 'granted';
      let give = reTaken;
      if (c.campaignId) {
        const need = face - discount;
        if (status === 'granted' && need > 0 && reTaken !== need) status = 'void'; // the budget could not take the reservation back
        if (status === 'granted') {
          give = 0;
          await repo.insertLedger(tx, workspaceId, [{ campaignId: c.campaignId, kind: 'release', delta: need, amount: -discount, couponId: c.id, now }]);
        } else {
          give = reTaken + discount;
          await repo.insertLedger(tx, workspaceId, [{ campaignId: c.campaignId, kind: 'release', delta: -discount, amount: -discount, couponId: c.id, now }]);
        }
      }
      await repo.setCouponState(tx, workspaceId, c.id, { status, orderId: null, orderAmount: null, discount: null, redeemedAt: null, released: true, now });
      await repo.markReleased(tx, workspaceId, c.id, orderId, now);
      return { released: true, status, give, campaignId: c.campaignId };
    });
  } catch (err) {
    if (reTaken > 0 && pre?.campaignId) await p.counters.give(keys.budget(workspaceId, pre.campaignId), reTaken);
    throw err;
  }
  if (out.give > 0 && out.campaignId) await p.counters.give(keys.budget(workspaceId, out.campaignId), out.give);
  return { released: out.released, status: out.status };
}

/**
 * The expiry job: coupons past validTo that were never redeemed become `expired`, and their
 * reservation goes back to the campaign budget (a ledger row each, then the counter). Batches
 * of `size`, rows locked with SKIP LOCKED so a concurrent redeem is never blocked for long.
 */
export async function expireDue(p: Platform, size = 1000): Promise<number> {
  let total = 0;
  for (;;) {
    const now = p.clock.now();
    const rows = await p.db.transaction().execute(async (tx) => {
      const done = await repo.expireBatch(tx, now, size);
      const byWs = new Map<string, typeof done>();
      for (const r of done) byWs.set(r.workspaceId, [...(byWs.get(r.workspaceId) ?? []), r]);
      for (const [ws, rs] of byWs) {
        await repo.insertLedger(tx, ws, rs.filter((r) => r.campaignId && Number(r.faceValue) > 0).map((r) => ({ campaignId: r.campaignId!, kind: 'expire', delta: -Number(r.faceValue), couponId: r.id, now })));
      }
      return done;
    });
    const back = new Map<string, { ws: string; campaignId: string; n: number }>();
    for (const r of rows) {
      if (!r.campaignId || Number(r.faceValue) === 0) continue;
      const k = `${r.workspaceId}:${r.campaignId}`;
      const e = back.get(k) ?? { ws: r.workspaceId, campaignId: r.campaignId, n: 0 };
      e.n += Number(r.faceValue);
      back.set(k, e);
    }
    for (const e of back.values()) await p.counters.give(keys.budget(e.ws, e.campaignId), e.n);
    total += rows.length;
    if (rows.length < size) return total;
  }
}

// ---- Budgets ----------------------------------------------------------------------------------

/** An approver's top-up of a campaign budget: a ledger row raising the limit. Throws not_found, invalid_state (campaign without a budget). */
export async function topUpBudget(p: Platform, who: Principal, campaignId: string, input: { amount: number; reason: string }) {
  if (who.role !== 'approver' && who.role !== 'admin') throw new AppError('forbidden', 'Only an approver or admin may top up a budget.');
  await p.db.transaction().execute(async (tx) => {
    const c = await campaigns.campaignInfo(tx, who.workspaceId, campaignId);
    if (c.budget === null) throw new AppError('invalid_state', 'This campaign has no budget to top up (it is unlimited).');
    const now = p.clock.now();
    await repo.insertLedger(tx, who.workspaceId, [{ campaignId, kind: 'top_up', delta: 0, amount: input.amount, actor: who.actor, reason: input.reason, now }]);
    await workspaces.audit(tx, who, 'budget.top_up', 'campaign', campaignId, input, now);
  });
  budgetCache.delete(`${who.workspaceId}:${campaignId}`);
  return getBudget(p, who.workspaceId, campaignId, 50);
}

export async function getBudget(p: Platform, workspaceId: string, campaignId: string, limit: number, cursor?: string) {
  const c = await campaigns.campaignInfo(p.db, workspaceId, campaignId);
  const totals = await repo.budgetTotals(p.db, workspaceId, campaignId);
  const rows = await repo.ledgerPage(p.db, workspaceId, campaignId, limit, cursor && /^\d+$/.test(cursor) ? cursor : undefined);
  const items = rows.slice(0, limit);
  const initial = c.budget?.amount ?? 0;
  const amount = c.budget === null ? null : initial + totals.toppedUp;
  return {
    campaignId, amount: amount ?? 0, unlimited: c.budget === null, initial, toppedUp: totals.toppedUp, reserved: totals.reserved, spent: totals.spent, committed: totals.committed,
    remaining: amount === null ? 0 : Math.max(0, amount - totals.committed),
    ledger: items.map((r) => ({ id: r.id, kind: r.kind, delta: Number(r.delta), amount: Number(r.amount), couponId: r.couponId, actor: r.actor, reason: r.reason, createdAt: r.createdAt.toISOString() })),
    nextCursor: rows.length > limit ? items[items.length - 1]!.id : null,
  };
}

// ---- Reads for other domains and the console ----------------------------------------------------

export async function couponByCode(p: Platform, workspaceId: string, code: string) {
  const c = await repo.couponByCode(p.db, workspaceId, code);
  if (!c) throw notFound('Coupon');
  const ext = await repo.externalIdsOf(p.db, workspaceId, [c.userId]);
  return couponView(c, ext.get(c.userId) ?? null);
}

/** A user's coupons, newest first (the H5 "my coupons" list). */
export async function couponsOfUser(p: Platform, workspaceId: string, userId: string, limit = 50) {
  const rows = await repo.couponsOfUser(p.db, workspaceId, userId, limit);
  const ext = await repo.externalIdsOf(p.db, workspaceId, [userId]);
  return rows.map((c) => couponView(c, ext.get(userId) ?? null));
}

const couponView = (c: repo.CouponRow, externalId: string | null) => ({
  id: c.id, code: c.code, templateId: c.templateId, externalId, status: c.status, source: c.source, faceValue: Number(c.faceValue),
  validFrom: c.validFrom.toISOString(), validTo: c.validTo.toISOString(), grantedAt: c.grantedAt.toISOString(),
  orderId: c.orderId, discount: c.discount === null ? null : Number(c.discount), redeemedAt: c.redeemedAt?.toISOString() ?? null,
});

/** Grants per template in [from, to): the coupon grant rate source of the loss monitor. */
export async function grantRate(p: Platform, workspaceId: string, from: Date, to: Date) {
  return (await repo.grantCountsByTemplate(p.db, workspaceId, from, to)).map((r) => ({ subject: { type: 'coupon_template', id: r.templateId }, count: r.n }));
}

export const localDayId = (at: Date, tz: string): string => `d${DateTime.fromJSDate(at, { zone: tz }).toISODate()}`;
export { timezoneOf as workspaceTimezone, budgetLimit as campaignBudgetLimit };
export type { Tx };
