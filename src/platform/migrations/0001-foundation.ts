import { sql, type Kysely } from 'kysely';

/**
 * The foundation schema. Every table carries workspace_id (a product line) so the data can
 * later be sharded by workspace (Citus distribution column) without a rewrite.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
create table workspaces (
  id text primary key,
  slug text not null unique,
  name text not null,
  timezone text not null default 'Asia/Shanghai',
  currency text not null default 'CNY',
  require_approval boolean not null default false,
  require_template_review boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table api_keys (
  id text primary key,
  workspace_id text not null references workspaces(id),
  name text not null,
  role text not null,
  key_hash text not null unique,
  key_prefix text not null,
  created_at timestamptz not null default now(),
  revoked_at timestamptz
);
create index api_keys_ws on api_keys (workspace_id);

create table console_users (
  id text primary key,
  workspace_id text not null references workspaces(id),
  email text not null,
  name text,
  role text not null,
  password_hash text,
  invite_token_hash text unique,
  invite_expires_at timestamptz,
  invited_by text,
  created_at timestamptz not null default now(),
  activated_at timestamptz,
  unique (workspace_id, email)
);
create index console_users_email on console_users (email);

create table console_sessions (
  token_hash text primary key,
  workspace_id text not null references workspaces(id),
  console_user_id text not null references console_users(id),
  created_at timestamptz not null default now(),
  expires_at timestamptz not null
);

create table audit_log (
  id bigint generated always as identity primary key,
  workspace_id text not null references workspaces(id),
  actor text not null,
  action text not null,
  object_type text not null,
  object_id text not null,
  details jsonb not null default '{}',
  at timestamptz not null
);
create index audit_log_ws_at on audit_log (workspace_id, at desc);

create table users (
  id bigint generated always as identity primary key,
  workspace_id text not null references workspaces(id),
  external_id text not null,
  phone text,
  email text,
  wechat_open_id text,
  push_token text,
  platform text,
  attributes jsonb not null default '{}',
  created_at timestamptz not null,
  updated_at timestamptz not null,
  first_order_at timestamptz,
  last_order_at timestamptz,
  order_count integer not null default 0,
  order_total bigint not null default 0,
  unique (workspace_id, external_id)
);
create index users_ws_phone on users (workspace_id, phone) where phone is not null;
create index users_ws_email on users (workspace_id, email) where email is not null;

create table events (
  id bigint generated always as identity primary key,
  workspace_id text not null,
  user_id bigint not null,
  name text not null,
  ts timestamptz not null,
  properties jsonb not null default '{}',
  message_id text,
  received_at timestamptz not null default now()
);
create index events_ws_user_name_ts on events (workspace_id, user_id, name, ts);
create index events_ws_name_ts on events (workspace_id, name, ts);
create unique index events_ws_message_id on events (workspace_id, message_id) where message_id is not null;

create table orders (
  workspace_id text not null,
  order_id text not null,
  user_id bigint not null,
  amount bigint not null,
  paid_at timestamptz not null,
  coupon_code text,
  first_order boolean not null,
  primary key (workspace_id, order_id)
);
create index orders_ws_user_paid on orders (workspace_id, user_id, paid_at);

create table segments (
  id text primary key,
  workspace_id text not null references workspaces(id),
  name text not null,
  definition jsonb not null,
  refresh text not null,
  status text not null,
  count integer,
  computed_at timestamptz,
  current_snapshot_id bigint,
  error text,
  created_by text not null,
  created_at timestamptz not null,
  updated_at timestamptz not null
);
create index segments_ws on segments (workspace_id, created_at desc);

create table segment_snapshots (
  id bigint generated always as identity primary key,
  workspace_id text not null,
  segment_id text not null references segments(id),
  computed_at timestamptz not null,
  count integer not null,
  reason text not null
);
create index segment_snapshots_seg on segment_snapshots (workspace_id, segment_id, computed_at desc);

create table segment_members (
  snapshot_id bigint not null,
  user_id bigint not null,
  workspace_id text not null,
  primary key (snapshot_id, user_id)
);

create table templates (
  id text primary key,
  workspace_id text not null references workspaces(id),
  name text not null,
  channel text not null,
  content jsonb not null,
  version integer not null default 1,
  review_state text not null default 'approved',
  created_by text not null,
  created_at timestamptz not null,
  updated_at timestamptz not null
);
create index templates_ws on templates (workspace_id, created_at desc);

create table campaigns (
  id text primary key,
  workspace_id text not null references workspaces(id),
  name text not null,
  goal text not null,
  start_at timestamptz not null,
  end_at timestamptz not null,
  budget_amount bigint,
  conversion_event text not null,
  conversion_window_days integer not null,
  status text not null,
  reject_reason text,
  created_by text not null,
  submitted_by text,
  approved_by text,
  created_at timestamptz not null,
  updated_at timestamptz not null
);
create index campaigns_ws on campaigns (workspace_id, created_at desc);

create table tasks (
  id text primary key,
  workspace_id text not null,
  campaign_id text not null references campaigns(id),
  name text not null,
  channel text not null,
  template_id text not null references templates(id),
  segment_id text not null references segments(id),
  schedule jsonb not null,
  frequency jsonb,
  variants jsonb,
  control_percent integer not null default 0,
  coupon_template_id text,
  priority integer not null default 0,
  status text not null,
  created_by text not null,
  created_at timestamptz not null,
  updated_at timestamptz not null
);
create index tasks_campaign on tasks (workspace_id, campaign_id);

create table task_runs (
  id bigint generated always as identity primary key,
  workspace_id text not null,
  task_id text not null references tasks(id),
  campaign_id text not null,
  scheduled_for timestamptz not null,
  status text not null,
  snapshot_id bigint,
  targeted integer,
  batches_total integer,
  started_at timestamptz,
  finished_at timestamptz,
  error text,
  unique (task_id, scheduled_for)
);

create table task_run_batches (
  workspace_id text not null,
  task_run_id bigint not null references task_runs(id),
  batch_no integer not null,
  from_user_id bigint not null,
  to_user_id bigint not null,
  size integer not null,
  status text not null,
  attempts integer not null default 0,
  finished_at timestamptz,
  primary key (task_run_id, batch_no)
);

create table messages (
  id bigint generated always as identity primary key,
  workspace_id text not null,
  task_run_id bigint not null,
  task_id text not null,
  campaign_id text not null,
  user_id bigint not null,
  channel text not null,
  variant text,
  status text not null,
  reason text,
  to_address text,
  provider text,
  created_at timestamptz not null,
  sent_at timestamptz,
  delivered_at timestamptz,
  failed_at timestamptz,
  first_clicked_at timestamptz,
  unique (task_run_id, user_id)
);
create index messages_task on messages (workspace_id, task_id, status);
create index messages_user on messages (workspace_id, user_id, created_at);

create table links (
  code text primary key,
  workspace_id text not null,
  message_id bigint not null,
  campaign_id text not null,
  task_id text not null,
  user_id bigint not null,
  url text not null,
  created_at timestamptz not null
);
create index links_message on links (message_id);

create table sandbox_outbox (
  message_id bigint primary key,
  workspace_id text not null,
  channel text not null,
  external_id text not null,
  to_address text,
  rendered jsonb not null,
  task_id text,
  sent_at timestamptz not null
);
create index sandbox_outbox_ws on sandbox_outbox (workspace_id, sent_at desc);

create table idempotency_keys (
  workspace_id text not null,
  key text not null,
  route text not null,
  request_hash text not null,
  status_code integer not null,
  body jsonb not null,
  created_at timestamptz not null default now(),
  primary key (workspace_id, key, route)
);

-- Segment date conditions read ISO strings out of JSON attributes; a malformed value must
-- fail the condition, not abort the whole segment computation.
create function ml_try_timestamptz(v text) returns timestamptz language plpgsql immutable parallel safe as $$
begin
  if v is null or v !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}' then return null; end if;
  return v::timestamptz;
exception when others then
  return null;
end $$;

create table worker_heartbeats (
  process_id text primary key,
  worker_ids text[] not null default '{}',
  heartbeat_at timestamptz not null
);
`.execute(db);
}
