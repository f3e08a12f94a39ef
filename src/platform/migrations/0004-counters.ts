import { sql, type Kysely } from 'kysely';

/**
 * Hot counters of the PostgreSQL adapter (src/platform/counters). One row per bucket: the key
 * (which already names its workspace and scope, see counters.keys.ts) and how much is used;
 * the limit comes with each call. workspace_id leads the primary key so the table can be
 * distributed by workspace (Citus) like every other table. No foreign key to workspaces: the
 * rows are derived state that reconciliation recomputes from the ledgers, and a key is opaque.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
create table counters (
  workspace_id text not null,
  key text not null,
  used bigint not null check (used >= 0),
  expires_at timestamptz,
  updated_at timestamptz not null default now(),
  primary key (workspace_id, key)
) with (fillfactor = 70);

-- Free room on each page keeps the frequent single-row updates HOT (no index write per take).
create index counters_expires on counters (expires_at) where expires_at is not null;
`.execute(db);
}
