import { sql, type Kysely } from 'kysely';

/**
 * A lottery's counters (prize stock, per-user prize limits, daily draws) had no end: the
 * per-user ones are one Redis key or counters row per user who won, kept forever. A week after
 * the lottery ends a daily job drops them all (lotteries/lottery-counters-end.ts) and notes it
 * here; a PATCH that reopens the lottery rebuilds them from the draw ledger first.
 *
 * The partial index holds only the lotteries whose counters are still kept: the job's scan.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table lotteries add column counters_dropped_at timestamptz`.execute(db);
  await sql`create index lotteries_counters_kept on lotteries (end_at) where counters_dropped_at is null`.execute(db);
}
