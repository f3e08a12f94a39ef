import { sql, type Kysely } from 'kysely';
import { setUpSegmentSqlSandbox } from './0003-audiences.ts';

/**
 * `events` becomes hash-partitioned by user_id into EVENT_PARTITIONS tables (docs/scale.md §2):
 * every user's events sit in one partition, so a per-user aggregate (`group by user_id`, what
 * each behaviour condition of a segment is) is computed partition by partition
 * (enable_partitionwise_aggregate), with small sorts, and the partitions are shared between
 * parallel workers instead of one process grouping 2.3M rows. A single-user evaluation
 * (`user_id = $1`) reads one partition. It is the layout the events would have sharded by user
 * across machines.
 *
 * A unique index of a partitioned table must contain the partition key, so the messageId
 * dedup moves to its own table, `event_message_ids (workspace_id, message_id)`, written by
 * ingestion in the same statement as the events (customers.repo.ts). The primary key becomes
 * (id, user_id); ids still come from one sequence, in insertion order.
 *
 * The rows are copied within the migration: seconds for a few million events (the bench's
 * 10M took ~90 s with index builds); a large installation should schedule the upgrade.
 */
export const EVENT_PARTITIONS = 16;

/**
 * Autovacuum of a partition, by absolute numbers of new rows: the defaults (50 rows + 10 % for
 * analyze, 1,000 + 20 % for vacuum) count per partition, so sixteen small partitions were
 * analyzed every few thousand events during ingestion — CPU taken from the ingestion itself.
 * An insert-only partition is vacuumed after 50,000 + 5 % new rows (the visibility map then
 * lets the covering index be read without heap fetches; 20 % of a large partition is long to
 * wait) and analyzed after 50,000 + 10 %.
 */
export const EVENT_PARTITION_OPTIONS = 'autovacuum_vacuum_insert_threshold = 50000, autovacuum_vacuum_insert_scale_factor = 0.05, autovacuum_analyze_threshold = 50000';

export async function up(db: Kysely<unknown>): Promise<void> {
  const schema = (await sql<{ s: string }>`select current_schema() as s`.execute(db)).rows[0]!.s;
  await sql`
alter table events alter column id drop identity;
alter table events rename to events_unpartitioned;
alter index events_pkey rename to events_unpartitioned_pkey;
alter index events_ws_user_name_ts rename to events_unpartitioned_ws_user_name_ts;
alter index events_ws_name_ts_user rename to events_unpartitioned_ws_name_ts_user;
alter index events_ws_message_id rename to events_unpartitioned_ws_message_id;

create sequence events_id_seq as bigint;
select setval('events_id_seq', coalesce((select max(id) from events_unpartitioned), 0) + 1, false);
create table events (
  id bigint not null default nextval('events_id_seq'),
  workspace_id text not null,
  user_id bigint not null,
  name text not null,
  ts timestamptz not null,
  properties jsonb not null default '{}',
  message_id text,
  received_at timestamptz not null default now(),
  primary key (id, user_id)
) partition by hash (user_id);
alter sequence events_id_seq owned by events.id;

create table event_message_ids (
  workspace_id text not null,
  message_id text not null,
  primary key (workspace_id, message_id)
);
`.execute(db);
  for (let i = 0; i < EVENT_PARTITIONS; i++) {
    await sql`create table ${sql.id(partitionName(i))} partition of events for values with (modulus ${sql.lit(EVENT_PARTITIONS)}, remainder ${sql.lit(i)})
      with (${sql.raw(EVENT_PARTITION_OPTIONS)})`.execute(db);
  }
  await sql`
insert into events (id, workspace_id, user_id, name, ts, properties, message_id, received_at)
select id, workspace_id, user_id, name, ts, properties, message_id, received_at from events_unpartitioned;
insert into event_message_ids (workspace_id, message_id)
select workspace_id, message_id from events_unpartitioned where message_id is not null;
drop table events_unpartitioned;
create index events_ws_user_name_ts on events (workspace_id, user_id, name, ts);
create index events_ws_name_ts_user on events (workspace_id, name, ts) include (user_id);
analyze events;
`.execute(db);
  // Grants and row-level security of the SQL segment role, for the new table.
  await setUpSegmentSqlSandbox(db, schema);
}

export const partitionName = (i: number): string => `events_p${String(i).padStart(2, '0')}`;
