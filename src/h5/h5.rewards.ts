import type { Platform } from '../platform/context.ts';
import { AppError } from '../platform/errors.ts';

/**
 * What the H5 pages need from the rewards domains, in one place, called only through their
 * services (contracts: coupons.service grantCoupon, lotteries.service drawForUser,
 * getLotteryPublic, chancesOf).
 */
export interface CouponOffer {
  id: string; name: string; type: string; value: number; minSpend: number; maxDiscount: number | null;
  claimStart: string; claimEnd: string; validity: unknown;
}
export interface UserCoupon { code: string; validFrom: string; validTo: string; status?: string }
export interface LotteryPublic { id: string; name: string; startAt: string; endAt: string; prizes: { key: string; name: string; probability: number }[] }
export interface Granted { couponId: string; code: string; validFrom: Date; validTo: Date; repeated: boolean }
export interface Drawn { drawId: string; prize: null | { key: string; name: string; couponCode?: string; points?: number } }

const pending = (what: string) => new AppError('internal_error', `${what} is not available on this server yet.`);

export async function couponOffer(_p: Platform, _workspaceId: string, _templateId: string): Promise<CouponOffer> {
  throw pending('Coupon templates');
}
export async function userCoupons(_p: Platform, _workspaceId: string, _templateId: string, _userId: string): Promise<UserCoupon[]> {
  return [];
}
export async function grant(_p: Platform, _input: { workspaceId: string; templateId: string; userId: string; sourceRef: string }): Promise<Granted> {
  throw pending('Coupon grants');
}
export async function lotteryPublic(_p: Platform, _workspaceId: string, _lotteryId: string): Promise<LotteryPublic> {
  throw pending('Lotteries');
}
export async function chances(_p: Platform, _workspaceId: string, _lotteryId: string, _userId: string): Promise<number> {
  throw pending('Lotteries');
}
export async function draw(_p: Platform, _input: { workspaceId: string; lotteryId: string; userId: string; requestRef: string }): Promise<Drawn> {
  throw pending('Lottery draws');
}
