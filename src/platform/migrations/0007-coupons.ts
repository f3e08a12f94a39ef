import { sql, type Kysely } from 'kysely';

/**
 * Coupons, budgets and their ledgers, alerts and kill switches (issue 5; docs/rewards.md).
 *
 * - `coupons` is the grant ledger: one row per coupon granted, unique per (template, source,
 *   sourceRef) so a retried grant finds its coupon instead of granting twice. `local_day` is the
 *   workspace-local day of the grant, so reconciliation can recount the per-user-per-day limit.
 * - `budget_ledger` is every movement of a campaign budget: `delta` is the change to what the
 *   budget has committed (reserved + spent); top-ups change the limit instead (`delta` 0,
 *   `amount` > 0). The committed total of a campaign is `sum(delta)`, which reconciliation
 *   compares with the budget counter.
 * - `coupon_redemptions` keeps one row per (coupon, order) redemption attempt history; the live
 *   state is on the coupon row (locked with FOR UPDATE by redeem and release).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
create table coupon_templates (
  workspace_id text not null,
  id text not null,
  name text not null,
  type text not null check (type in ('threshold', 'direct', 'percent')),
  value bigint not null check (value > 0),
  min_spend bigint not null default 0,
  max_discount bigint,
  total_stock bigint not null check (total_stock >= 0),
  per_user_limit int,
  per_user_daily_limit int,
  claim_start timestamptz not null,
  claim_end timestamptz not null,
  validity jsonb not null,
  campaign_id text,
  eligibility jsonb,
  created_by text not null,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  primary key (workspace_id, id)
);
create index coupon_templates_campaign on coupon_templates (workspace_id, campaign_id) where campaign_id is not null;

create table coupons (
  workspace_id text not null,
  id text not null,
  code text not null,
  template_id text not null,
  campaign_id text,
  user_id bigint not null,
  source text not null,
  source_ref text not null,
  status text not null check (status in ('granted', 'redeemed', 'expired', 'void')),
  face_value bigint not null,
  valid_from timestamptz not null,
  valid_to timestamptz not null,
  granted_at timestamptz not null,
  local_day text not null,
  order_id text,
  order_amount bigint,
  discount bigint,
  redeemed_at timestamptz,
  released_count int not null default 0,
  updated_at timestamptz not null,
  primary key (workspace_id, id),
  unique (workspace_id, code),
  unique (workspace_id, template_id, source, source_ref)
);
create index coupons_user on coupons (workspace_id, template_id, user_id);
create index coupons_expiring on coupons (valid_to) where status = 'granted';
create index coupons_granted_at on coupons (workspace_id, granted_at);

-- Every order that redeemed a coupon, so a replay of (coupon, order) answers the same, and a
-- release is applied once.
create table coupon_redemptions (
  workspace_id text not null,
  coupon_id text not null,
  order_id text not null,
  order_amount bigint not null,
  discount bigint not null,
  redeemed_at timestamptz not null,
  released_at timestamptz,
  primary key (workspace_id, coupon_id, order_id)
);

create table budget_ledger (
  workspace_id text not null,
  id bigint generated always as identity,
  campaign_id text not null,
  kind text not null check (kind in ('top_up', 'reserve', 'settle', 'release', 'expire', 'void', 'repair')),
  delta bigint not null,
  amount bigint not null default 0,
  coupon_id text,
  actor text,
  reason text,
  created_at timestamptz not null,
  primary key (workspace_id, id)
);
create index budget_ledger_campaign on budget_ledger (workspace_id, campaign_id, id);

create table alerts (
  workspace_id text not null,
  id text not null,
  kind text not null,
  severity text not null check (severity in ('info', 'warning', 'critical')),
  subject_type text not null,
  subject_id text not null,
  message text not null,
  data jsonb not null default '{}',
  dedup_key text,
  notified_at timestamptz,
  acked_by text,
  acked_at timestamptz,
  created_at timestamptz not null,
  primary key (workspace_id, id)
);
create index alerts_recent on alerts (workspace_id, created_at desc, id desc);
create unique index alerts_dedup on alerts (workspace_id, dedup_key) where dedup_key is not null;

create table kill_switches (
  workspace_id text not null,
  subject_type text not null,
  subject_id text not null,
  reason text,
  created_by text not null,
  created_at timestamptz not null,
  primary key (workspace_id, subject_type, subject_id)
);

create table alert_settings (
  workspace_id text primary key,
  webhook_url text,
  allow_private_networks boolean not null default false,
  updated_by text not null,
  updated_at timestamptz not null
);
`.execute(db);
}
