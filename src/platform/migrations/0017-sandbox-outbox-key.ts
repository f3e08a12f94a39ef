import { sql, type Kysely } from 'kysely';

/**
 * The sandbox outbox is keyed by (workspace_id, message_id), which also serves its listing
 * (a workspace's messages, newest first, with optional filters), instead of a primary key on
 * message_id plus an index on (workspace_id, sent_at) that the listing never used: one index
 * entry less for every message a delivery batch sends to the sandbox.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table sandbox_outbox drop constraint sandbox_outbox_pkey`.execute(db);
  await sql`alter table sandbox_outbox add primary key (workspace_id, message_id)`.execute(db);
  await sql`drop index sandbox_outbox_ws`.execute(db);
}
