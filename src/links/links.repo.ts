import { sql } from 'kysely';
import type { Tx } from '../platform/db.ts';

export interface LinkRow {
  code: string;
  workspaceId: string;
  messageId: string;
  campaignId: string;
  taskId: string;
  userId: string;
  url: string;
  createdAt: Date;
}

export async function insertLinks(tx: Tx, rows: LinkRow[]): Promise<void> {
  if (rows.length === 0) return;
  await sql`insert into links (code, workspace_id, message_id, campaign_id, task_id, user_id, url, created_at)
    select * from unnest(${rows.map((r) => r.code)}::text[], ${rows.map((r) => r.workspaceId)}::text[], ${rows.map((r) => r.messageId)}::bigint[],
      ${rows.map((r) => r.campaignId)}::text[], ${rows.map((r) => r.taskId)}::text[], ${rows.map((r) => r.userId)}::bigint[],
      ${rows.map((r) => r.url)}::text[], ${rows.map((r) => r.createdAt)}::timestamptz[])`.execute(tx);
}

export const linkByCode = (tx: Tx, code: string) =>
  tx.selectFrom('links').innerJoin('messages', 'messages.id', 'links.messageId')
    .select(['links.code', 'links.workspaceId', 'links.messageId', 'links.campaignId', 'links.taskId', 'links.userId', 'links.url', 'messages.channel'])
    .where('links.code', '=', code).executeTakeFirst();

export interface Click {
  workspaceId: string;
  messageId: string;
  userId: string;
  code: string;
  url: string;
  campaignId: string;
  taskId: string;
  at: Date;
  ip: string | null;
  userAgent: string | null;
}

/** Records a group of clicks in one statement: $link_clicked events plus each message's first click. */
export async function insertClicks(tx: Tx, clicks: Click[]): Promise<void> {
  // The click log is analytics written after the redirect was answered: no need to wait for
  // the WAL flush of each group (a crash can lose the last few ms, like the queue itself).
  await sql`set local synchronous_commit = off`.execute(tx);
  await sql`
    with c as (
      select * from unnest(${clicks.map((c) => c.workspaceId)}::text[], ${clicks.map((c) => c.messageId)}::bigint[], ${clicks.map((c) => c.userId)}::bigint[],
        ${clicks.map((c) => c.at)}::timestamptz[], ${clicks.map((c) => JSON.stringify({ code: c.code, url: c.url, messageId: c.messageId, campaignId: c.campaignId, taskId: c.taskId, ip: c.ip, userAgent: c.userAgent }))}::jsonb[])
        as t(workspace_id, message_id, user_id, at, props)
    ), ev as (
      insert into events (workspace_id, user_id, name, ts, properties)
      select workspace_id, user_id, '$link_clicked', at, props from c
    )
    update messages m set first_clicked_at = f.at
    from (select message_id, min(at) as at from c group by message_id) f
    where m.id = f.message_id and (m.first_clicked_at is null or m.first_clicked_at > f.at)`.execute(tx);
}
