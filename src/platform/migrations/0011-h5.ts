import { sql, type Kysely } from 'kysely';

/**
 * H5 reward pages (docs/h5.md). The signed token itself is the credential (verified without a
 * read); these tables keep what the operator and the pages need around it:
 * - h5_links: every issued link with its short code (`/h/{code}` → the page with its token), so
 *   a link can be listed and its clicks counted;
 * - h5_actions: what a user did through a page (claim, draw) with the answer it got, keyed by
 *   the client's request id so a double tap or a retried request returns the first answer;
 * - h5_settings: the workspace's public rate limits (per IP, per device).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
create table h5_links (
  code text primary key,
  workspace_id text not null,
  token_id text not null,
  user_id bigint not null,
  external_id text not null,
  page_kind text not null,
  page_id text not null,
  campaign_id text,
  token text not null,
  expires_at timestamptz not null,
  created_by text not null,
  created_at timestamptz not null
);
create index h5_links_ws on h5_links (workspace_id, created_at desc, code);
create index h5_links_page on h5_links (workspace_id, page_kind, page_id);

create table h5_actions (
  id bigint generated always as identity primary key,
  workspace_id text not null,
  token_id text not null,
  request_id text not null,
  user_id bigint not null,
  page_kind text not null,
  page_id text not null,
  campaign_id text,
  action text not null,
  result jsonb not null,
  created_at timestamptz not null,
  unique (workspace_id, token_id, action, request_id)
);
create index h5_actions_user on h5_actions (workspace_id, user_id, page_kind, page_id, created_at desc);

create table h5_settings (
  workspace_id text primary key,
  per_ip_per_minute int not null,
  per_device_per_minute int not null,
  updated_by text not null,
  updated_at timestamptz not null
);
`.execute(db);
}
