import { sql, type Kysely } from 'kysely';

/**
 * Customers, part two: typed attributes, the catalog the segment builder reads, anonymous
 * identities, and tracked background jobs (CSV imports).
 *
 * Tables written on every ingest batch (event_property_types, event_counts, anonymous_ids)
 * carry no foreign key to workspaces, like events: a foreign key would take a KEY SHARE lock
 * on the workspace row in every ingest transaction for no protection the API does not already give.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
create table attribute_types (
  workspace_id text not null references workspaces(id),
  name text not null,
  type text not null check (type in ('string', 'number', 'boolean', 'date')),
  -- 'inferred' from the first value ingested, or 'declared' with PUT /v1/attributes/{name}.
  source text not null check (source in ('inferred', 'declared')),
  created_at timestamptz not null,
  updated_at timestamptz not null,
  primary key (workspace_id, name)
);

create table event_property_types (
  workspace_id text not null,
  event_name text not null,
  property text not null,
  type text not null check (type in ('string', 'number', 'boolean', 'date')),
  created_at timestamptz not null,
  primary key (workspace_id, event_name, property)
);

-- Events per name, kept at ingest so the catalog never counts the events table. Each batch
-- adds to one of 16 shards picked at random: concurrent batches rarely wait on the same row.
create table event_counts (
  workspace_id text not null,
  name text not null,
  shard smallint not null,
  count bigint not null,
  last_seen_at timestamptz not null,
  primary key (workspace_id, name, shard)
);

-- Every anonymous id seen, and the user that holds its history: its own anonymous profile
-- (users.external_id = '$anon:' || anonymous_id) until an alias merges it into a known user.
create table anonymous_ids (
  workspace_id text not null,
  anonymous_id text not null,
  user_id bigint not null,
  created_at timestamptz not null,
  merged_at timestamptz,
  primary key (workspace_id, anonymous_id)
);
create index anonymous_ids_user on anonymous_ids (workspace_id, user_id);

-- Long work a client follows with GET /v1/jobs/{id} (the queue itself is graphile-worker's).
create table background_jobs (
  id text primary key,
  workspace_id text not null references workspaces(id),
  type text not null,
  status text not null check (status in ('queued', 'running', 'done', 'failed')),
  -- SHA-256 of the input: the same upload in the same workspace is the same job.
  content_hash text,
  -- The uploaded file, as a PostgreSQL large object, so a worker on another machine can read
  -- it; unlinked when the job ends.
  input_oid oid,
  input_bytes bigint,
  input_name text,
  processed bigint not null default 0,
  failed bigint not null default 0,
  -- Last input line whose outcome is committed: a retried job resumes after it.
  checkpoint_line bigint not null default 0,
  errors jsonb not null default '[]',
  error text,
  created_by text not null,
  created_at timestamptz not null,
  started_at timestamptz,
  finished_at timestamptz
);
create unique index background_jobs_input on background_jobs (workspace_id, type, content_hash) where content_hash is not null;
create index background_jobs_ws on background_jobs (workspace_id, created_at desc);
`.execute(db);
  await backfillCatalog(db);
}

/**
 * Types and event counts for data ingested before this migration, as ingest would have kept
 * them: each name typed by its first value (lowest id), counts from the events table. Runs once,
 * inside the migration, while the new tables are still empty; `workspaceId` limits it (tests).
 */
export async function backfillCatalog(db: Kysely<unknown>, workspaceId: string | null = null): Promise<void> {
  const typeOf = (v: string) => sql.raw(`case jsonb_typeof(${v}) when 'number' then 'number' when 'boolean' then 'boolean'
    else case when (${v} #>> '{}') ~ '^\\d{4}-\\d{2}-\\d{2}([T ]\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,9})?)?(Z|[+-]\\d{2}(:?\\d{2})?)?)?$'
              and ml_try_timestamptz(${v} #>> '{}') is not null then 'date' else 'string' end end`);
  const scalar = sql.raw(`jsonb_typeof(kv.value) in ('string', 'number', 'boolean')`);
  await sql`
    insert into event_counts (workspace_id, name, shard, count, last_seen_at)
    select workspace_id, name, 0, count(*), max(ts) from events
    where ${workspaceId}::text is null or workspace_id = ${workspaceId}
    group by workspace_id, name`.execute(db);
  await sql`
    insert into event_property_types (workspace_id, event_name, property, type, created_at)
    select distinct on (e.workspace_id, e.name, kv.key) e.workspace_id, e.name, kv.key, ${typeOf('kv.value')}, now()
    from events e, jsonb_each(e.properties) kv
    where (${workspaceId}::text is null or e.workspace_id = ${workspaceId}) and ${scalar} and length(kv.key) <= 200
    order by e.workspace_id, e.name, kv.key, e.id`.execute(db);
  await sql`
    insert into attribute_types (workspace_id, name, type, source, created_at, updated_at)
    select distinct on (u.workspace_id, kv.key) u.workspace_id, kv.key, ${typeOf('kv.value')}, 'inferred', now(), now()
    from users u, jsonb_each(u.attributes) kv
    where (${workspaceId}::text is null or u.workspace_id = ${workspaceId}) and ${scalar}
      and kv.key not in ('externalId', 'phone', 'email', 'platform', 'createdAt', 'firstOrderAt', 'lastOrderAt', 'orderCount', 'orderTotal')
    order by u.workspace_id, kv.key, u.id`.execute(db);
}
