import { sql, type Kysely } from 'kysely';

/**
 * A campaign's approved top-ups, read whenever the grant path's budget limit is refreshed
 * (coupons.repo.ts `toppedUp`). Without it the sum filtered every ledger row of the campaign —
 * one `reserve` row per coupon granted, so the read grew with the campaign: 40 ms at 60,000
 * grants (docs/benchmarks.md, Rewards). Top-ups are few; the partial index holds only them.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create index budget_ledger_top_ups on budget_ledger (workspace_id, campaign_id) include (amount) where kind = 'top_up'`.execute(db);
}
