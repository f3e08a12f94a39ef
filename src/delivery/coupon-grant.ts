import type { Platform } from '../platform/context.ts';
import { AppError } from '../platform/errors.ts';

/**
 * The coupons service's `grantCoupon` (contracts.md), loaded when first needed: the coupons
 * domain lands separately, and a task without `couponTemplateId` must not depend on it.
 * One coupon per (template, 'task', message id): a retried batch gets the same coupon back.
 */
export interface GrantedCoupon { couponId: string; code: string; validFrom: Date; validTo: Date; repeated: boolean }
type GrantCoupon = (p: Platform, input: { workspaceId: string; templateId: string; userId: string; source: 'task'; sourceRef: string }) => Promise<GrantedCoupon>;

let grant: GrantCoupon | undefined;
const servicePath = '../coupons/coupons.service.ts';

export async function grantTaskCoupon(p: Platform, workspaceId: string, templateId: string, userId: string, messageId: string): Promise<GrantedCoupon> {
  if (!grant) {
    const mod = (await import(/* @vite-ignore */ servicePath).catch(() => null)) as { grantCoupon?: GrantCoupon } | null;
    if (!mod?.grantCoupon) throw new AppError('not_found', 'Coupons are not available in this build.');
    grant = mod.grantCoupon;
  }
  return grant(p, { workspaceId, templateId, userId, source: 'task', sourceRef: messageId });
}
