import type { Platform } from '../platform/context.ts';
import * as coupons from '../coupons/coupons.service.ts';
import * as lotteries from '../lotteries/lotteries.service.ts';
import * as points from '../points/points.service.ts';

/**
 * What the H5 pages need from the rewards domains, in one place, through their services
 * (contracts.md: coupons.service grantCoupon, lotteries.service drawForUser, getLotteryPublic,
 * chancesOf). Only what a user may see leaves here: no stock, budget or eligibility rule.
 */
export interface CouponOffer {
  id: string; name: string; type: string; value: number; minSpend: number; maxDiscount: number | null;
  claimStart: string; claimEnd: string; validity: unknown;
}
export interface UserCoupon { code: string; validFrom: string; validTo: string; status?: string }
export interface LotteryPublic {
  id: string; name: string; startAt: string; endAt: string; prizes: { key: string; name: string; probability: number }[];
  /** Chances one draw costs; points one chance costs (null: no exchange). */
  costPerDraw: number; pointsPerChance: number | null;
}
export interface Granted { couponId: string; code: string; validFrom: Date; validTo: Date; repeated: boolean }
export interface Drawn { drawId: string; prize: null | { key: string; name: string; couponCode?: string; points?: number } }

/** Throws `not_found`. */
export async function couponOffer(p: Platform, workspaceId: string, templateId: string): Promise<CouponOffer> {
  const t = await coupons.getTemplate(p, workspaceId, templateId);
  return { id: t.id, name: t.name, type: t.type, value: t.value, minSpend: t.minSpend, maxDiscount: t.maxDiscount, claimStart: t.claimStart, claimEnd: t.claimEnd, validity: t.validity };
}

/** The user's coupons of this template, newest first. */
export async function userCoupons(p: Platform, workspaceId: string, templateId: string, userId: string): Promise<UserCoupon[]> {
  const all = await coupons.couponsOfUser(p, workspaceId, userId, 200);
  return all.filter((c) => c.templateId === templateId).slice(0, 50).map((c) => ({ code: c.code, validFrom: c.validFrom, validTo: c.validTo, status: c.status }));
}

export function grant(p: Platform, input: { workspaceId: string; templateId: string; userId: string; sourceRef: string }): Promise<Granted> {
  return coupons.grantCoupon(p, { ...input, source: 'h5' });
}

/** Throws `not_found`. Given the user, the odds are those of the user's pool: what the page shows is what a draw uses. */
export async function lotteryPublic(p: Platform, workspaceId: string, lotteryId: string, userId?: string): Promise<LotteryPublic> {
  const l = await lotteries.getLotteryPublic(p, workspaceId, lotteryId, userId);
  return { id: l.id, name: l.name, startAt: l.startAt, endAt: l.endAt, prizes: l.prizes, costPerDraw: l.costPerDraw, pointsPerChance: l.pointsPerChance };
}

export const chances = (p: Platform, workspaceId: string, lotteryId: string, userId: string): Promise<number> =>
  lotteries.chancesOf(p, workspaceId, lotteryId, userId);

export async function draw(p: Platform, input: { workspaceId: string; lotteryId: string; userId: string; requestRef: string }): Promise<Drawn> {
  const d = await lotteries.drawForUser(p, input);
  if (!d.prize) return { drawId: d.drawId, prize: null };
  const { key, name, couponCode, points } = d.prize as { key: string; name: string; couponCode?: string | null; points?: number | null };
  return { drawId: d.drawId, prize: { key, name, ...(couponCode ? { couponCode } : {}), ...(points ? { points } : {}) } };
}

export const pointsBalance = (p: Platform, workspaceId: string, userId: string): Promise<number> => points.balanceOfUser(p.db, workspaceId, userId);

/**
 * The user's own points → chances at the lottery's rate (lotteries.exchange, one transaction,
 * idempotent on refId). The actor is the link (`h5:<tokenId>`): the token is the user's consent.
 * Throws invalid_state (no rate), not_running, insufficient_points.
 */
export async function exchange(p: Platform, input: { workspaceId: string; lotteryId: string; externalId: string; tokenId: string; chances: number; refId: string }) {
  const r = await lotteries.exchange(p, { workspaceId: input.workspaceId, role: 'operator', actor: `h5:${input.tokenId}` }, input.lotteryId, { externalId: input.externalId, chances: input.chances, refId: input.refId });
  return { chances: r.chances, pointsSpent: r.pointsSpent, pointsBalance: r.pointsBalance };
}
