import { sql } from 'kysely';
import type { Tx } from '../../platform/db.ts';
import { toJsonb } from '../../platform/text.ts';
import { copyField, copyRows } from '../../platform/copy.ts';
import type { OutgoingMessage } from '../providers.ts';

/**
 * The sandbox outbox: what the sandbox provider "sent". Keyed by message id, so a replay writes
 * nothing. One JSON document per (workspace, channel, task) — in practice one per batch — with
 * the fields they share passed once.
 */
export async function insertOutbox(tx: Tx, rows: OutgoingMessage[], now: Date): Promise<void> {
  const groups = new Map<string, OutgoingMessage[]>();
  for (const r of rows) {
    const k = `${r.workspaceId}\u0000${r.channel}\u0000${r.taskId}`;
    const g = groups.get(k);
    if (g) g.push(r);
    else groups.set(k, [r]);
  }
  for (const g of groups.values()) {
    const { workspaceId, channel, taskId } = g[0]!;
    // COPY in a delivery batch's transaction, where a message id is new by construction.
    const shared = `\t${copyField(workspaceId)}\t${copyField(channel)}\t`;
    const tail = `\t${copyField(taskId)}\t${now.toISOString()}\n`;
    let text = '';
    for (const r of g) text += `${r.messageId}${shared}${copyField(r.externalId)}\t${copyField(r.to)}\t${copyField(toJsonb(r.rendered))}${tail}`;
    if (await copyRows(tx, 'copy sandbox_outbox (message_id, workspace_id, channel, external_id, to_address, rendered, task_id, sent_at) from stdin', text)) continue;
    const doc = toJsonb(g.map((r) => ({ m: r.messageId, e: r.externalId, a: r.to, r: r.rendered })));
    await sql`insert into sandbox_outbox (message_id, workspace_id, channel, external_id, to_address, rendered, task_id, sent_at)
      select x.m, ${workspaceId}, ${channel}, x.e, x.a, x.r, ${taskId}, ${now}::timestamptz
      from json_to_recordset(${doc}::json) as x(m bigint, e text, a text, r jsonb)
      on conflict (workspace_id, message_id) do nothing`.execute(tx);
  }
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
