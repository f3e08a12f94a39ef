import type { Platform } from '../platform/context.ts';
import * as coupons from '../coupons/coupons.service.ts';

/**
 * A task's coupon for one message, through the coupons service (contracts.md): one coupon per
 * (template, 'task', message id), so a retried batch gets the same coupon back. Throws the
 * coupons domain's AppError (out_of_stock, user_limit_reached, budget_exhausted, …).
 */
export function grantTaskCoupon(p: Platform, workspaceId: string, templateId: string, userId: string, messageId: string) {
  return coupons.grantCoupon(p, { workspaceId, templateId, userId, source: 'task', sourceRef: messageId });
}
