import { sql, type Kysely } from 'kysely';

/**
 * Reach (issue 4): the workspace's delivery policy, unsubscribes and the blacklist (policies
 * domain), and what delivery needs to defer messages past quiet hours and order runs by
 * priority. Unsubscribes and the blacklist are keyed by the caller's externalId, so a user can
 * be blacklisted before their profile arrives. channel '*' is "every channel".
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
create table delivery_policies (
  workspace_id text primary key,
  policy jsonb not null,
  updated_by text not null,
  updated_at timestamptz not null
);

create table unsubscribes (
  workspace_id text not null,
  external_id text not null,
  channel text not null,
  created_at timestamptz not null,
  primary key (workspace_id, external_id, channel)
);

create table blacklist (
  workspace_id text not null,
  external_id text not null,
  created_by text not null,
  created_at timestamptz not null,
  primary key (workspace_id, external_id)
);

-- A run's priority is its task's, copied when the run is created so the ordering check reads
-- one table; deferred counts the run's messages waiting for quiet hours to end.
alter table task_runs add column priority int not null default 0;
alter table task_runs add column deferred int not null default 0;
create index task_runs_open on task_runs (workspace_id, scheduled_for) where status in ('scheduled', 'sending');
`.execute(db);
}
