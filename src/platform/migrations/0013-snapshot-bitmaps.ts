import { sql, type Kysely } from 'kysely';

/**
 * A snapshot's members also as the bitmap the set operations combine (src/audiences/
 * snapshot-sets.ts): `bitmap_base` (the first id's multiple of 32) and `bitmap_words` (the 32-bit
 * words, little-endian). Read back as a typed array over the bytes, so the first union of two
 * 500k-member snapshots after a restart no longer decodes a million varints (~50 ms of its
 * ~160 ms, docs/benchmarks.md). Null when the ids span too wide a range for a bitmap (the varint
 * `ids` serve then) and for snapshots stored before this migration. `storage external`: the
 * words are read whole, and compressing them would cost CPU on every read.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
alter table segment_snapshot_sets add column bitmap_base bigint, add column bitmap_words bytea;
alter table segment_snapshot_sets alter column bitmap_words set storage external;
`.execute(db);
}
