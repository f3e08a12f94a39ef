import type { Platform } from '../platform/context.ts';
import * as customers from '../customers/customers.service.ts';
import { PipelinedBatcher } from '../platform/pipelined-batcher.ts';
import * as repo from './coupons.repo.ts';

/**
 * Group commit of granted coupons. A grant's answer waits for its coupon to be durable (a coupon
 * the customer was shown must exist), but each grant committing alone made PostgreSQL's commit
 * the limit of the grant rate (one fsync and ~6 round trips each). Grants queue their rows; one
 * write at a time per workspace stores everything queued — coupon rows, budget `reserve` rows,
 * `$coupon_granted` events and their catalog counts, multi-row, in one statement that commits
 * alone whenever nothing else has to commit with it — and resolves each grant after COMMIT. While a
 * batch is being written the next one gathers, so under load a batch holds about as many grants
 * as are in flight, and alone a grant waits for no timer. The next batch's statement leaves from
 * inside the reply of the last one (platform/pipelined-batcher.ts), so PostgreSQL does not wait
 * for this process to answer the last batch's callers first.
 *
 * A failed batch rejects every grant in it (each gives its counters back and fails); a row whose
 * (template, source, sourceRef) already exists is reported as `exists` (the caller answers the
 * existing coupon), one whose user is on the blacklist now as `blacklisted`.
 */
export interface PendingCoupon extends repo.GrantedCouponRow {
  workspaceId: string;
}
/** A written grant: its coupon inserted, refused (its user is blacklisted now), or an earlier one with its (template, source, sourceRef) exists. */
export type WriteOutcome = 'inserted' | 'blacklisted' | 'exists';
/** What a `$coupon_granted` event carries (campaignId only when a campaign pays). */
const GRANTED_EVENT_SAMPLE = { couponId: '', templateId: '', campaignId: '', source: '', faceValue: 0 };

/**
 * One statement per batch of a workspace's grants — the coupons, reservations, events and their
 * catalog counts — when nothing else must commit with them (pipelined: compile); else one
 * transaction: that statement, then the events' bookkeeping (the property types of a first
 * batch, event hooks' jobs) (writeBatch, also for a batch whose hook lookup is not cached).
 */
export class CouponWriter {
  private readonly batcher: PipelinedBatcher<PendingCoupon, WriteOutcome>;

  constructor(private readonly p: Platform) {
    this.batcher = new PipelinedBatcher(p.pool, {
      compile: (ws, rows) => {
        // Synchronous, so it can run inside the last batch's reply; undefined/null: writeBatch decides.
        const counted = customers.inlineEventCountsNow(ws, '$coupon_granted', GRANTED_EVENT_SAMPLE, 'ev', rows[rows.length - 1]!.now);
        return counted ? repo.grantedCouponsStatement(ws, rows, counted).compile(p.db) : null;
      },
      parse: (rows, inputs) => outcomesOf(inputs, repo.grantedOf(rows[0] as repo.GrantedRow)),
      fallback: (ws, rows) => this.writeBatch(ws, rows),
    });
  }

  /** Resolves after COMMIT. */
  write(c: PendingCoupon): Promise<WriteOutcome> {
    return this.batcher.add(c.workspaceId, c);
  }

  private async writeBatch(ws: string, rows: PendingCoupon[]): Promise<WriteOutcome[]> {
    const outcomes = (r: { ids: Set<string>; blacklisted: Set<string> }) => outcomesOf(rows, r);
    const now = rows[rows.length - 1]!.now;
    const counted = await customers.inlineEventCounts(this.p, ws, '$coupon_granted', GRANTED_EVENT_SAMPLE, 'ev', now);
    if (counted) {
      // One statement that commits alone: one round trip per batch instead of four (BEGIN, the
      // insert, the counts, COMMIT), each of which waited a turn of the busy event loop — with
      // the writer one batch at a time, those waits were most of a batch's time (bench rewards).
      return outcomes(await repo.insertGrantedCoupons(this.p.db, ws, rows, counted));
    }
    return this.p.db.transaction().execute(async (tx) => {
      const written = await repo.insertGrantedCoupons(tx, ws, rows);
      // The events' property types, catalog counts and event hooks (delivery triggers, chance rules).
      await customers.platformEventsStored(this.p, tx, ws, '$coupon_granted', GRANTED_EVENT_SAMPLE, written.eventIds, now);
      return outcomes(written);
    });
  }
}

const outcomesOf = (rows: readonly PendingCoupon[], r: { ids: Set<string>; blacklisted: Set<string> }) =>
  rows.map((c): WriteOutcome => (r.ids.has(c.id) ? 'inserted' : r.blacklisted.has(c.id) ? 'blacklisted' : 'exists'));

const writers = new WeakMap<Platform, CouponWriter>();
/** One writer per platform (process), so concurrent grants share batches. */
export function couponWriter(p: Platform): CouponWriter {
  let w = writers.get(p);
  if (!w) writers.set(p, (w = new CouponWriter(p)));
  return w;
}
