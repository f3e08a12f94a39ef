import { sql, type Kysely } from 'kysely';

/**
 * A coupon template's per-user counters (`tpl:<id>:user:<userId>`, the per-user limit) had no
 * end: one Redis key or counters row per user who ever claimed, kept forever. Once the claim
 * window has been over for a week nothing takes them, so a daily job drops them
 * (coupons.service.ts dropEndedUserCounters) and notes it here; a PATCH that reopens the claim
 * window rebuilds them from the coupon rows first and clears the note.
 *
 * The partial index holds only the templates whose counters are still kept: the job's scan.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table coupon_templates add column user_counters_dropped_at timestamptz`.execute(db);
  await sql`create index coupon_templates_user_counters_kept on coupon_templates (claim_end) where user_counters_dropped_at is null`.execute(db);
}
