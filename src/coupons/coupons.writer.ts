import type { Platform } from '../platform/context.ts';
import * as customers from '../customers/customers.service.ts';

/**
 * Group commit of granted coupons. A grant's answer waits for its coupon to be durable (a coupon
 * the customer was shown must exist), but each grant committing alone made PostgreSQL's commit
 * the limit of the grant rate (one fsync and ~6 round trips each). Grants queue their rows; one
 * transaction at a time writes everything queued — coupon rows, budget `reserve` rows and
 * `$coupon_granted` events, multi-row — and resolves each grant after COMMIT. While a batch is
 * being written the next one gathers, so under load a batch holds about as many grants as are in
 * flight, and alone a grant waits for no timer.
 *
 * A failed batch rejects every grant in it (each gives its counters back and fails); a row whose
 * (template, source, sourceRef) already exists is reported as not inserted (the caller answers
 * the existing coupon).
 */
export interface PendingCoupon {
  workspaceId: string; id: string; code: string; templateId: string; campaignId: string | null; userId: string; source: string; sourceRef: string;
  faceValue: number; validFrom: Date; validTo: Date; now: Date; localDay: string; eventFaceValue: number;
}
type Item = { c: PendingCoupon; resolve: (inserted: boolean) => void; reject: (err: unknown) => void };

const MAX_BATCH = 500;

export class CouponWriter {
  private queue: Item[] = [];
  private running = false;

  constructor(private readonly p: Platform) {}

  write(c: PendingCoupon): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.queue.push({ c, resolve, reject });
      if (!this.running) {
        this.running = true;
        // Let the grants of this tick join before the first batch leaves.
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, MAX_BATCH);
        try {
          const inserted = await this.writeBatch(batch.map((i) => i.c));
          for (const i of batch) i.resolve(inserted.has(i.c.id));
        } catch (err) {
          for (const i of batch) i.reject(err);
        }
      }
    } finally {
      this.running = false;
    }
  }

  private async writeBatch(rows: PendingCoupon[]): Promise<Set<string>> {
    return this.p.db.transaction().execute(async (tx) => {
      const got = await tx.insertInto('coupons').values(rows.map((c) => ({
        workspaceId: c.workspaceId, id: c.id, code: c.code, templateId: c.templateId, campaignId: c.campaignId, userId: c.userId, source: c.source,
        sourceRef: c.sourceRef, status: 'granted', faceValue: c.faceValue, validFrom: c.validFrom, validTo: c.validTo, grantedAt: c.now, localDay: c.localDay, updatedAt: c.now,
      }))).onConflict((oc) => oc.columns(['workspaceId', 'templateId', 'source', 'sourceRef']).doNothing()).returning('id').execute();
      const ids = new Set(got.map((g) => g.id));
      const done = rows.filter((c) => ids.has(c.id));
      const reserves = done.filter((c) => c.campaignId && c.faceValue > 0);
      if (reserves.length) {
        await tx.insertInto('budgetLedger').values(reserves.map((c) => ({
          workspaceId: c.workspaceId, campaignId: c.campaignId!, kind: 'reserve', delta: c.faceValue, couponId: c.id, createdAt: c.now,
        }))).execute();
      }
      const byWs = new Map<string, PendingCoupon[]>();
      for (const c of done) byWs.set(c.workspaceId, [...(byWs.get(c.workspaceId) ?? []), c]);
      for (const [ws, cs] of byWs) {
        await customers.recordPlatformEvents(tx, ws, cs.map((c) => ({ userId: c.userId, name: '$coupon_granted' as const, ts: c.now, properties: {
          couponId: c.id, templateId: c.templateId, ...(c.campaignId ? { campaignId: c.campaignId } : {}), source: c.source, faceValue: c.eventFaceValue,
        } })));
      }
      return ids;
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
