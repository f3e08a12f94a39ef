import { sql } from 'kysely';
import type { Tx } from '../../platform/db.ts';
import type { OutgoingMessage } from '../providers.ts';

/** The sandbox outbox: what the sandbox provider "sent". Keyed by message id, so a replay writes nothing. */
export async function insertOutbox(tx: Tx, rows: OutgoingMessage[], now: Date): Promise<void> {
  if (rows.length === 0) return;
  await sql`insert into sandbox_outbox (message_id, workspace_id, channel, external_id, to_address, rendered, task_id, sent_at)
    select * from unnest(${rows.map((r) => r.messageId)}::bigint[], ${rows.map((r) => r.workspaceId)}::text[], ${rows.map((r) => r.channel)}::text[],
      ${rows.map((r) => r.externalId)}::text[], ${rows.map((r) => r.to)}::text[], ${rows.map((r) => JSON.stringify(r.rendered))}::jsonb[],
      ${rows.map((r) => r.taskId)}::text[], ${rows.map(() => now)}::timestamptz[])
    on conflict (message_id) do nothing`.execute(tx);
}

export const listOutbox = (tx: Tx, workspaceId: string, f: { channel?: string; externalId?: string; taskId?: string; limit: number; before?: string }) =>
  tx.selectFrom('sandboxOutbox').selectAll().where('workspaceId', '=', workspaceId)
    .$if(!!f.channel, (q) => q.where('channel', '=', f.channel!))
    .$if(!!f.externalId, (q) => q.where('externalId', '=', f.externalId!))
    .$if(!!f.taskId, (q) => q.where('taskId', '=', f.taskId!))
    .$if(!!f.before, (q) => q.where('messageId', '<', f.before!))
    .orderBy('messageId', 'desc').limit(f.limit + 1).execute();

export const outboxMessage = (tx: Tx, workspaceId: string, messageId: string) =>
  tx.selectFrom('sandboxOutbox').select('messageId').where('workspaceId', '=', workspaceId).where('messageId', '=', messageId).executeTakeFirst();
