import { sql, type Kysely } from 'kysely';

/**
 * Counter keys compare bytewise, and the counters' expiry index becomes a BRIN index. purgeExpired is its only reader (`expires_at <
 * cut-off`, in batches, in the background), while every bucket a take creates paid for a B-tree
 * entry: a delivery batch creates one bucket per cap per recipient (three per message on a
 * typical policy). Buckets are created in about the order they expire, which is what a block
 * range index summarises well; measured on 60,000 caps-shaped inserts into a 300,000-row table,
 * 530–564 ms with the B-tree, 397–426 ms with BRIN (docs/benchmarks.md, Delivery). On
 * PostgreSQL 16 and later a BRIN-indexed column no longer blocks HOT updates either.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  // Keys are opaque identifiers: compared bytewise (collation "C") they order the same in every
  // database, whatever its locale — readBuckets reads a sliding window's days as one key range —
  // and compare faster than under a linguistic collation.
  await sql`alter table counters alter column key type text collate "C"`.execute(db);
  await sql`drop index if exists counters_expires`.execute(db);
  await sql`create index counters_expires on counters using brin (expires_at) with (autosummarize = on)`.execute(db);
}
