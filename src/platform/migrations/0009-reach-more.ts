import { sql, type Kysely } from 'kysely';

/**
 * Reach, second part (issue 4):
 * - Template versions and review: every content change is a row of template_versions; the
 *   template row carries its latest version's review status and the version last approved.
 * - A task pins the template versions it launched with (template_versions jsonb: templateId →
 *   version), so editing a template never changes what a running task sends.
 * - Trigger tasks: a message per (task, triggering event), unique by key (see below).
 * - Provider retries: a message waiting for its next attempt is `retrying` with its attempt
 *   count and the time of its next try.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
alter table templates add column status text not null default 'draft';
alter table templates add column approved_version integer;
alter table templates add column review_note text;
alter table templates add column submitted_by text;

create table template_versions (
  workspace_id text not null,
  template_id text not null references templates(id),
  version integer not null,
  name text not null,
  content jsonb not null,
  status text not null,
  review_note text,
  submitted_by text,
  reviewed_by text,
  created_by text not null,
  created_at timestamptz not null,
  reviewed_at timestamptz,
  primary key (template_id, version)
);

-- Templates created before review existed: their one version, approved as they were.
insert into template_versions (workspace_id, template_id, version, name, content, status, created_by, created_at)
  select workspace_id, id, version, name, content, case when review_state = 'approved' then 'approved' else 'draft' end, created_by, created_at from templates;
update templates set status = case when review_state = 'approved' then 'approved' else 'draft' end,
  approved_version = case when review_state = 'approved' then version end;

alter table tasks add column template_versions jsonb;

-- A trigger task may have no audience segment (everyone who does the event).
alter table tasks alter column segment_id drop not null;

-- Trigger tasks: one message per (task, triggering event). A trigger task has one run that
-- listens while its campaign is live; its messages are keyed by (run, user, event), so a user
-- who triggers twice gets two messages and a retried hook job creates none twice. Scheduled
-- runs keep trigger_event_id = 0: their key stays (run, user).
alter table messages add column trigger_event_id bigint not null default 0;
alter table messages drop constraint messages_task_run_id_user_id_key;
alter table messages add constraint messages_run_user_event unique (task_run_id, user_id, trigger_event_id);

alter table messages add column attempts integer not null default 0;
alter table messages add column next_attempt_at timestamptz;
alter table messages add column coupon_code text;
create index messages_retrying on messages (task_run_id) where status = 'retrying';
`.execute(db);
}
