import { sql, type Kysely } from 'kysely';

/**
 * Lotteries, points and referrals (issue 5, docs/lotteries.md). Every table is keyed by
 * workspace first (Citus-ready). Ledgers are the record; hot counters (stock, daily draws,
 * per-prize limits) live on the Counters port and are reconciled from `lottery_draws`.
 * Balances (chances, points) are rows updated under their row lock in the same transaction
 * as their ledger row, so a balance never disagrees with its ledger.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
create table lotteries (
  workspace_id text not null,
  id text not null,
  name text not null,
  start_at timestamptz not null,
  end_at timestamptz not null,
  cost_per_draw int not null default 1 check (cost_per_draw >= 1),
  per_user_daily_draws int check (per_user_daily_draws >= 1),
  no_prize_weight bigint not null default 0 check (no_prize_weight >= 0),
  points_per_chance int check (points_per_chance >= 1),
  chance_rules jsonb not null default '[]',
  pools jsonb not null default '[]',
  campaign_id text,
  created_by text not null,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  primary key (workspace_id, id)
);
create index lotteries_list on lotteries (workspace_id, created_at desc, id desc);

create table lottery_prizes (
  workspace_id text not null,
  lottery_id text not null,
  key text not null,
  position int not null,
  name text not null,
  weight bigint not null check (weight >= 0),
  stock bigint check (stock >= 0),
  coupon_template_id text,
  points bigint check (points >= 1),
  per_user_limit int check (per_user_limit >= 1),
  primary key (workspace_id, lottery_id, key)
);

create table lottery_chance_balances (
  workspace_id text not null,
  lottery_id text not null,
  user_id bigint not null,
  chances int not null check (chances >= 0),
  updated_at timestamptz not null,
  primary key (workspace_id, lottery_id, user_id)
);

-- ref makes every grant idempotent: api:<key>, evt:<eventId>:<rule>, xchg:<ref>, draw:<drawId>.
-- day is the workspace-local day of an event-rule grant (maxPerDay is counted on it).
create table lottery_chance_ledger (
  id bigserial,
  workspace_id text not null,
  lottery_id text not null,
  user_id bigint not null,
  delta int not null,
  reason text not null,
  ref text not null,
  rule int,
  day text,
  created_at timestamptz not null,
  primary key (workspace_id, id),
  unique (workspace_id, lottery_id, ref)
);
create index lottery_chance_ledger_rule_day on lottery_chance_ledger (workspace_id, lottery_id, user_id, rule, day) where rule is not null;

create table lottery_draws (
  workspace_id text not null,
  id text not null,
  lottery_id text not null,
  user_id bigint not null,
  pool int,
  prize_key text,
  day text not null,
  request_ref text,
  delivery_status text not null,
  coupon_id text,
  coupon_code text,
  points bigint,
  delivery_error text,
  delivery_attempts int not null default 0,
  created_at timestamptz not null,
  delivered_at timestamptz,
  primary key (workspace_id, id)
);
create unique index lottery_draws_request on lottery_draws (workspace_id, lottery_id, request_ref) where request_ref is not null;
create index lottery_draws_by_lottery on lottery_draws (workspace_id, lottery_id, created_at);
create index lottery_draws_by_user on lottery_draws (workspace_id, lottery_id, user_id, day);
create index lottery_draws_pending on lottery_draws (workspace_id, created_at) where delivery_status = 'pending';

create table points_accounts (
  workspace_id text not null,
  user_id bigint not null,
  balance bigint not null check (balance >= 0),
  updated_at timestamptz not null,
  primary key (workspace_id, user_id)
);

-- kind: credit | debit | expire. ref_id is the caller's idempotency reference (expire: the lot id).
create table points_ledger (
  id bigserial,
  workspace_id text not null,
  user_id bigint not null,
  kind text not null,
  amount bigint not null,
  balance_after bigint not null,
  reason text not null,
  ref_id text not null,
  expires_at timestamptz,
  created_at timestamptz not null,
  primary key (workspace_id, id),
  unique (workspace_id, kind, ref_id)
);
create index points_ledger_user on points_ledger (workspace_id, user_id, created_at desc, id desc);

-- What is left of each credit; debits consume the lots that expire first.
create table points_lots (
  id bigserial,
  workspace_id text not null,
  user_id bigint not null,
  amount bigint not null,
  remaining bigint not null check (remaining >= 0),
  expires_at timestamptz,
  created_at timestamptz not null,
  primary key (workspace_id, id)
);
create index points_lots_open on points_lots (workspace_id, user_id, expires_at, id) where remaining > 0;
create index points_lots_expiring on points_lots (expires_at) where remaining > 0 and expires_at is not null;

create table referral_codes (
  workspace_id text not null,
  user_id bigint not null,
  code text not null,
  created_at timestamptz not null,
  primary key (workspace_id, user_id),
  unique (workspace_id, code)
);

create table referral_programs (
  workspace_id text not null,
  id text not null,
  name text not null,
  campaign_id text,
  reward jsonb not null,
  active boolean not null default true,
  created_by text not null,
  created_at timestamptz not null,
  primary key (workspace_id, id)
);

-- One inviter per user: the invitee is the key.
create table referral_links (
  workspace_id text not null,
  invitee_id bigint not null,
  inviter_id bigint not null,
  code text not null,
  program_id text,
  created_at timestamptz not null,
  primary key (workspace_id, invitee_id),
  check (invitee_id <> inviter_id)
);
create index referral_links_inviter on referral_links (workspace_id, inviter_id);

-- One reward per invitee, ever: the first order_paid decides it.
create table referral_rewards (
  workspace_id text not null,
  invitee_id bigint not null,
  inviter_id bigint not null,
  program_id text not null,
  order_ref text not null,
  status text not null,
  coupon_code text,
  points bigint,
  error text,
  created_at timestamptz not null,
  delivered_at timestamptz,
  primary key (workspace_id, invitee_id)
);
`.execute(db);
}
