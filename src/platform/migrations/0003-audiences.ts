import { sql, type Kysely } from 'kysely';

/**
 * Audiences, part two: segment kinds (definition, SQL, uploaded list), the daily refresh time,
 * typed reads of JSON values for the compiler, and the sandbox SQL segments run in.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const schema = (await sql<{ s: string }>`select current_schema() as s`.execute(db)).rows[0]!.s;
  await sql`
alter table segments
  add column kind text not null default 'definition' check (kind in ('definition', 'sql', 'list')),
  -- Workspace-local "HH:MM" of the daily recomputation, and the instant it is next due.
  add column refresh_at text not null default '02:00',
  add column next_refresh_at timestamptz;
create index segments_daily_due on segments (next_refresh_at) where refresh = 'daily';
-- Daily segments from before this migration are due at once, then daily at the default time.
update segments set next_refresh_at = now() where refresh = 'daily';

-- Typed reads of attribute and event property values (definition-values.compiler.ts). Plain SQL
-- functions, so the planner inlines them; the casts only run on input the patterns accept, so a
-- malformed value reads as NULL instead of aborting a whole segment computation.
create function ml_jsonb_numeric(v jsonb) returns numeric language sql immutable parallel safe as $f$
  select case jsonb_typeof(v)
    when 'number' then v::numeric
    when 'string' then case when (v #>> '{}') ~ '^[+-]?([0-9]{1,100}\.?[0-9]{0,100}|\.[0-9]{1,100})([eE][+-]?[0-9]{1,3})?$' then (v #>> '{}')::numeric end
  end $f$;

create function ml_jsonb_boolean(v jsonb) returns boolean language sql immutable parallel safe as $f$
  select case jsonb_typeof(v)
    when 'boolean' then v::boolean
    when 'string' then case v #>> '{}' when 'true' then true when 'TRUE' then true when 'True' then true
                                       when 'false' then false when 'FALSE' then false when 'False' then false end
  end $f$;

-- An ISO date or date-time; a date, or a time without an offset, is read in the timezone tz
-- (the workspace's), as the definition language reads days.
create function ml_local_timestamptz(v text, tz text) returns timestamptz language sql stable parallel safe as $f$
  select case
    when v is null or v !~ '^[1-9][0-9]{3}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])([T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,9})?)?([Zz]|[+-]([01][0-9]|2[0-3])(:?[0-5][0-9])?)?)?$' then null
    when substr(v, 9, 2)::int > extract(day from make_date(substr(v, 1, 4)::int, substr(v, 6, 2)::int, 1) + interval '1 month - 1 day') then null
    when length(v) = 10 then v::date::timestamp at time zone tz
    when substr(v, 12) ~ '([Zz]|[+-][0-9]{2}(:?[0-9]{2})?)$' then v::timestamptz
    else v::timestamp at time zone tz
  end $f$;

create function ml_jsonb_timestamptz(v jsonb, tz text) returns timestamptz language sql stable parallel safe as $f$
  select case when jsonb_typeof(v) = 'string' then ml_local_timestamptz(v #>> '{}', tz) end
  $f$;

-- SQL segments run as marketloop_segment_sql, which sees only the rows of one workspace. The
-- workspace is bound by a row the computing transaction writes here (never committed) AND the
-- setting marketloop.workspace_id: a query cannot change the row, so calling set_config() to
-- another workspace's id only makes it see nothing.
create table segment_sql_context (
  pid integer primary key,
  xid xid8 not null,
  workspace_id text not null
);
create function ml_segment_sql_workspace() returns text language sql stable security definer
  set search_path = pg_catalog as $f$
  select c.workspace_id from ${sql.id(schema)}.segment_sql_context c
  where c.pid = pg_backend_pid() and c.xid = pg_current_xact_id()
    and c.workspace_id = current_setting('marketloop.workspace_id', true)
  $f$;
revoke all on function ml_segment_sql_workspace() from public;
`.execute(db);

  await setUpSegmentSqlSandbox(db, schema);
}

/**
 * The role SQL segments run as, its grants and row-level security. Idempotent: roles belong to
 * the cluster, not the database, so another database of the same server (a test run, a second
 * install) may have created the role already, and an operator may run this again after
 * granting the rights it lacked. Without those rights nothing changes (all or nothing) and SQL
 * segments answer segment_sql_unavailable; everything else works.
 */
export async function setUpSegmentSqlSandbox(db: Kysely<unknown>, schema: string): Promise<void> {
  await sql`
do $d$ begin
  create role marketloop_segment_sql nologin;
exception
  when duplicate_object or unique_violation then null;
  when insufficient_privilege then raise notice 'cannot create role marketloop_segment_sql: SQL segments are unavailable';
end $d$;`.execute(db);

  // When it changes a table (row-level security, policies) the block locks users, events and
  // orders one after another, while the app may be writing them in another order: it can be a
  // deadlock's victim (it was, in CI, beside other test files' writes). The block is all or
  // nothing and idempotent, so it runs again. Inside a transaction (a migration) the
  // transaction is lost with it: that error is the caller's.
  for (let attempt = 1; ; attempt++) {
    try {
      await sandboxGrantsAndPolicies(db, schema);
      return;
    } catch (err) {
      if (db.isTransaction || attempt >= DEADLOCK_ATTEMPTS || (err as { code?: unknown }).code !== '40P01') throw err;
    }
  }
}
const DEADLOCK_ATTEMPTS = 5;

/** The policies' version, kept as their comment: change it with their definition, and the next setup re-creates them. */
const POLICY_VERSION = 'marketloop segment sql policy v1';

const sandboxGrantsAndPolicies = (db: Kysely<unknown>, schema: string) => sql`
do $d$ declare
  s text := ${sql.lit(schema)};
  t text;
begin
  if not exists (select 1 from pg_roles where rolname = 'marketloop_segment_sql') then return; end if;
  execute format('grant usage on schema %I to marketloop_segment_sql', s);
  execute format('grant select on %I.users, %I.events, %I.orders to marketloop_segment_sql', s, s, s);
  execute format('grant execute on function %I.ml_segment_sql_workspace() to marketloop_segment_sql', s);
  -- The app switches to the role with SET LOCAL ROLE; a superuser always may, others need membership.
  if not (select rolsuper from pg_roles where rolname = current_user) then
    execute format('grant marketloop_segment_sql to %I', current_user);
  end if;
  -- set_config() could SET ROLE back to the session user (the app) from inside a query, or
  -- point marketloop.workspace_id elsewhere: no role but the app may call it. The sandbox
  -- checks this before every query and refuses to run while the role still may.
  revoke execute on function pg_catalog.set_config(text, text, boolean) from public;
  if not (select rolsuper from pg_roles where rolname = current_user) then
    execute format('grant execute on function pg_catalog.set_config(text, text, boolean) to %I', current_user);
  end if;
  -- The owner (the app) bypasses row-level security; only the sandbox role is filtered.
  -- (select …) makes the workspace an InitPlan, computed once per query rather than per row.
  -- Each table is altered only when it is not as wanted yet (the policy's comment names its
  -- version): both take an ACCESS EXCLUSIVE lock on a table the app writes all the time, so a
  -- re-run on a live database must not, unless something changes.
  foreach t in array array['users', 'events', 'orders'] loop
    if not (select c.relrowsecurity from pg_class c where c.oid = format('%I.%I', s, t)::regclass) then
      execute format('alter table %I.%I enable row level security', s, t);
    end if;
    if not exists (select 1 from pg_policy p where p.polrelid = format('%I.%I', s, t)::regclass and p.polname = 'segment_sql_workspace'
                   and obj_description(p.oid, 'pg_policy') = ${sql.lit(POLICY_VERSION)}) then
      execute format('drop policy if exists segment_sql_workspace on %I.%I', s, t);
      execute format('create policy segment_sql_workspace on %I.%I for select to marketloop_segment_sql using (workspace_id = (select %I.ml_segment_sql_workspace()))', s, t, s);
      execute format('comment on policy segment_sql_workspace on %I.%I is %L', s, t, ${sql.lit(POLICY_VERSION)});
    end if;
  end loop;
exception when insufficient_privilege then
  raise notice 'cannot set up the SQL segment sandbox (%): SQL segments are unavailable', sqlerrm;
end $d$;`.execute(db);
