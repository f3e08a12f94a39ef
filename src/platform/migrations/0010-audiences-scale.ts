import { sql, type Kysely } from 'kysely';

/**
 * Audiences at a million users (docs/scale.md):
 * - `events_ws_name_ts` becomes a covering index (workspace_id, name, ts) INCLUDE (user_id):
 *   the set-based behaviour conditions (`select user_id from events where workspace_id = $ and
 *   name = $ and ts >= $ group by user_id …`) then read only the index (index-only scan), never
 *   the 10M-row heap. Same key, so every query the old index served it serves too.
 * - `segment_snapshot_sets`: each snapshot's members as one compact value (sorted user ids,
 *   delta + LEB128 varint, ~1–2 bytes a member), so union / intersection / difference of saved
 *   snapshots are computed in memory from two small reads instead of joining 2 × 500k rows.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create index events_ws_name_ts_user on events (workspace_id, name, ts) include (user_id)`.execute(db);
  await sql`drop index events_ws_name_ts`.execute(db);
  await sql`
    create table segment_snapshot_sets (
      snapshot_id bigint primary key,
      workspace_id text not null,
      members integer not null,
      ids bytea not null
    )`.execute(db);
}
