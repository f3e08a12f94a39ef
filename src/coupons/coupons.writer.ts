import type { Platform } from '../platform/context.ts';
import * as customers from '../customers/customers.service.ts';
import { KeyedBatcher } from '../platform/batcher.ts';
import * as repo from './coupons.repo.ts';

/**
 * Group commit of granted coupons. A grant's answer waits for its coupon to be durable (a coupon
 * the customer was shown must exist), but each grant committing alone made PostgreSQL's commit
 * the limit of the grant rate (one fsync and ~6 round trips each). Grants queue their rows; one
 * transaction at a time per workspace writes everything queued — coupon rows, budget `reserve`
 * rows and `$coupon_granted` events, multi-row — and resolves each grant after COMMIT. While a
 * batch is being written the next one gathers (platform/batcher.ts), so under load a batch holds
 * about as many grants as are in flight, and alone a grant waits for no timer.
 *
 * A failed batch rejects every grant in it (each gives its counters back and fails); a row whose
 * (template, source, sourceRef) already exists is reported as not inserted (the caller answers
 * the existing coupon).
 */
export interface PendingCoupon extends repo.GrantedCouponRow {
  workspaceId: string;
}
/** What a `$coupon_granted` event carries (campaignId only when a campaign pays). */
const GRANTED_EVENT_SAMPLE = { couponId: '', templateId: '', campaignId: '', source: '', faceValue: 0 };

/** One transaction per batch of a workspace's grants: the coupons, reservations and events in one statement, then the events' bookkeeping. */
export class CouponWriter {
  private readonly batcher = new KeyedBatcher<PendingCoupon, boolean>((ws, rows) => this.writeBatch(ws, rows));

  constructor(private readonly p: Platform) {}

  /** Resolves after COMMIT: true when inserted, false when the (template, source, sourceRef) existed. */
  write(c: PendingCoupon): Promise<boolean> {
    return this.batcher.add(c.workspaceId, c);
  }

  private async writeBatch(ws: string, rows: PendingCoupon[]): Promise<boolean[]> {
    return this.p.db.transaction().execute(async (tx) => {
      const { ids, eventIds } = await repo.insertGrantedCoupons(tx, ws, rows);
      // The events' property types, catalog counts and event hooks (delivery triggers, chance rules).
      await customers.platformEventsStored(this.p, tx, ws, '$coupon_granted', GRANTED_EVENT_SAMPLE, eventIds, rows[rows.length - 1]!.now);
      return rows.map((c) => ids.has(c.id));
    });
  }
}

const writers = new WeakMap<Platform, CouponWriter>();
/** One writer per platform (process), so concurrent grants share batches. */
export function couponWriter(p: Platform): CouponWriter {
  let w = writers.get(p);
  if (!w) writers.set(p, (w = new CouponWriter(p)));
  return w;
}
