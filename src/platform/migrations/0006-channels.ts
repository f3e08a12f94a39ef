import { sql, type Kysely } from 'kysely';

/**
 * Channels (issue 4 "Channels and templates"): provider configuration per workspace and
 * channel, with credentials encrypted at rest (AES-256-GCM, src/channels/secret-box.ts), and
 * the in-app inbox. An inbox row is keyed by its message id, so a replayed batch writes nothing.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
create table providers (
  id text primary key,
  workspace_id text not null references workspaces(id) on delete cascade,
  channel text not null,
  type text not null,
  name text not null,
  credentials_enc text not null,
  credential_keys text[] not null default '{}',
  settings jsonb not null default '{}',
  rate_limit_per_second integer check (rate_limit_per_second > 0),
  fallback_provider_id text references providers(id) on delete set null,
  priority integer not null default 0,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index providers_ws_channel on providers (workspace_id, channel, priority desc, created_at);

-- A vendor's id of a sent message (Tencent SMS SerialNo), for its delivery-receipt callback.
create table provider_message_refs (
  provider_id text not null references providers(id) on delete cascade,
  vendor_ref text not null,
  workspace_id text not null,
  message_id bigint not null,
  created_at timestamptz not null default now(),
  primary key (provider_id, vendor_ref)
);

create table inbox_messages (
  message_id bigint primary key,
  workspace_id text not null,
  external_id text not null,
  title text not null,
  body text not null,
  url text,
  read_at timestamptz,
  expires_at timestamptz,
  created_at timestamptz not null
);
create index inbox_messages_user on inbox_messages (workspace_id, external_id, created_at desc);
`.execute(db);
}
