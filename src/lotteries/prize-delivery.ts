import type { Platform } from '../platform/context.ts';
import { AppError } from '../platform/errors.ts';
import * as points from '../points/points.service.ts';
import * as repo from './lotteries.repo.ts';
import * as peers from './reward-peers.ts';

/**
 * Delivering a won prize, exactly once. The draw transaction wrote the draw with delivery
 * `pending` and enqueued `lotteries.deliver-prize`; this runs inline right after the draw and
 * again from that job (retried with backoff) until it is no longer pending. Both grants are
 * idempotent on the draw id — `grantCoupon(source 'lottery', sourceRef drawId)` and the points
 * credit with refId `lottery:<drawId>` — so two runs at once (inline and job) or a rerun after
 * a crash between the grant and the status update still grant once.
 *
 * A refusal that retrying cannot change (the coupon template is out of stock, killed, outside
 * its claim window, …) ends the delivery as `failed` with an alert; anything else (the database,
 * the coupons service unavailable) is retried.
 */
export const PERMANENT = new Set(['out_of_stock', 'user_limit_reached', 'daily_limit_reached', 'outside_claim_window', 'blacklisted', 'budget_exhausted', 'not_eligible', 'killed', 'not_found']);

/** Test seam: the grant functions delivery calls (tests wrap them to fail on purpose; the real ones run otherwise). */
export const deliverers = {
  coupon: (p: Platform, input: peers.GrantCouponInput) => peers.grantCoupon(p, input),
};

export type DeliveryOutcome = { status: 'delivered'; couponCode?: string; points?: number } | { status: 'pending' | 'failed' | 'none' };

/** Delivers a draw's prize if it is pending. Throws on a failure worth retrying (the job's retry). */
export async function deliverPrize(p: Platform, workspaceId: string, drawId: string): Promise<DeliveryOutcome> {
  const draw = await repo.drawById(p.db, workspaceId, drawId);
  if (!draw) return { status: 'none' };
  if (draw.deliveryStatus === 'delivered') return { status: 'delivered', ...(draw.couponCode ? { couponCode: draw.couponCode } : {}), ...(draw.points ? { points: Number(draw.points) } : {}) };
  if (draw.deliveryStatus !== 'pending') return { status: draw.deliveryStatus as 'failed' | 'none' };
  const prize = (await repo.prizesOf(p.db, workspaceId, [draw.lotteryId])).find((x) => x.key === draw.prizeKey);
  const now = p.clock.now();
  try {
    if (draw.points !== null) {
      const amount = Number(draw.points);
      await p.db.transaction().execute(async (tx) => {
        const locked = await repo.lockDraw(tx, workspaceId, drawId);
        if (locked?.deliveryStatus !== 'pending') return;
        await points.creditIn(tx, workspaceId, { userId: String(draw.userId), amount, reason: `lottery prize ${draw.prizeKey}`, refId: `lottery:${drawId}`, now });
        await repo.markDelivery(tx, workspaceId, drawId, { deliveryStatus: 'delivered', deliveredAt: now, deliveryError: null });
      });
      return { status: 'delivered', points: amount };
    }
    if (!prize?.couponTemplateId) throw new AppError('not_found', `Prize ${draw.prizeKey} has no coupon template.`);
    const granted = await deliverers.coupon(p, { workspaceId, templateId: prize.couponTemplateId, userId: String(draw.userId), source: 'lottery', sourceRef: drawId });
    await repo.markDelivery(p.db, workspaceId, drawId, { deliveryStatus: 'delivered', couponId: granted.couponId, couponCode: granted.code, deliveredAt: now, deliveryError: null });
    return { status: 'delivered', couponCode: granted.code };
  } catch (err) {
    const code = err instanceof AppError ? err.code : 'internal_error';
    const message = err instanceof Error ? err.message : String(err);
    if (err instanceof AppError && PERMANENT.has(code)) {
      await repo.markDelivery(p.db, workspaceId, drawId, { deliveryStatus: 'failed', deliveryError: `${code}: ${message}` });
      await peers.raiseAlert(p, {
        workspaceId, kind: 'prize_delivery_failed', severity: 'warning', subject: { type: 'lottery', id: draw.lotteryId },
        message: `Prize ${draw.prizeKey} of draw ${drawId} could not be granted: ${code}.`, data: { drawId, prizeKey: draw.prizeKey, code },
      });
      return { status: 'failed' };
    }
    // Still pending: remember why, then let the caller (the job) retry.
    await repo.noteDeliveryError(p.db, workspaceId, drawId, `${code}: ${message}`);
    throw err;
  }
}
