import type { Platform } from '../platform/context.ts';
import * as alerts from '../alerts/alerts.service.ts';
import * as coupons from '../coupons/coupons.service.ts';

/**
 * The coupons and alerts services (contracts.md) as this domain and referrals use them, in one
 * place: grants for prizes and rewards, alerts for repairs and failed deliveries, the kill
 * switch, the draw rate source.
 */
export type GrantCouponInput = coupons.GrantInput;
export type GrantedCoupon = coupons.GrantResult;
export type AlertInput = alerts.AlertInput;

/** grantCoupon of contracts.md (idempotent per (templateId, source, sourceRef)); throws its AppErrors. */
export const grantCoupon = (p: Platform, input: GrantCouponInput): Promise<GrantedCoupon> => coupons.grantCoupon(p, input);

export const raiseAlert = (p: Platform, a: AlertInput): Promise<void> => alerts.raiseAlert(p, a);

/** Throws AppError('killed') when a kill switch stops one of the subjects. */
export const assertNotKilled = (p: Platform, workspaceId: string, subjects: { type: string; id: string }[]): Promise<void> => alerts.assertNotKilled(p, workspaceId, subjects);

export function registerRateSource(_p: Platform, name: string, fn: Parameters<typeof alerts.registerRateSource>[1]): void {
  alerts.registerRateSource(name, fn);
}
