import type { Platform } from '../platform/context.ts';
import * as coupons from '../coupons/coupons.service.ts';

/**
 * A task's coupon for one message, through the coupons service (contracts.md): one coupon per
 * (template, 'task', the message's key — run, user, triggering event), so a retried batch gets
 * the same coupon back. Not the message id: a batch's new message rows are written in the batch's
 * transaction, so a batch that crashes after the grant (which commits on its own) comes back with
 * new message ids, but with the same key. Throws the coupons domain's AppError (out_of_stock,
 * user_limit_reached, budget_exhausted, …).
 */
export function grantTaskCoupon(p: Platform, workspaceId: string, templateId: string, userId: string, key: { runId: string; userId: string; triggerEventId: string }) {
  return coupons.grantCoupon(p, { workspaceId, templateId, userId, source: 'task', sourceRef: `run:${key.runId}:user:${key.userId}:event:${key.triggerEventId}` });
}
