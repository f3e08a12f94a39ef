import { sql } from 'kysely';
import type { Tx } from '../platform/db.ts';
import { toJsonb } from '../platform/text.ts';
import { copyField, copyRows } from '../platform/copy.ts';

/** What the links of one send share: written once per batch, not per link. */
export interface LinkBatch {
  workspaceId: string;
  campaignId: string;
  taskId: string;
  createdAt: Date;
}
/** One message's short link. */
export interface MessageLink {
  code: string;
  messageId: string;
  userId: string;
  url: string;
}

/** A batch's short links as one JSON document (a delivery batch writes a thousand at a time). */
export async function insertLinks(tx: Tx, batch: LinkBatch, rows: MessageLink[]): Promise<void> {
  if (rows.length === 0) return;
  const shared = `\t${copyField(batch.workspaceId)}\t`;
  const tail = `\t${copyField(batch.campaignId)}\t${copyField(batch.taskId)}\t`;
  const at = batch.createdAt.toISOString();
  let text = '';
  for (const r of rows) text += `${copyField(r.code)}${shared}${r.messageId}${tail}${r.userId}\t${copyField(r.url)}\t${at}\n`;
  if (await copyRows(tx, 'copy links (code, workspace_id, message_id, campaign_id, task_id, user_id, url, created_at) from stdin', text)) return;
  const doc = toJsonb(rows.map((r) => ({ k: r.code, m: r.messageId, u: r.userId, l: r.url })));
  await sql`insert into links (code, workspace_id, message_id, campaign_id, task_id, user_id, url, created_at)
    select x.k, ${batch.workspaceId}, x.m, ${batch.campaignId}, ${batch.taskId}, x.u, x.l, ${batch.createdAt}::timestamptz
    from json_to_recordset(${doc}::json) as x(k text, m bigint, u bigint, l text)`.execute(tx);
}

export const linkByCode = (tx: Tx, code: string) =>
  tx.selectFrom('links').innerJoin('messages', 'messages.id', 'links.messageId')
    .select(['links.code', 'links.workspaceId', 'links.messageId', 'links.campaignId', 'links.taskId', 'links.userId', 'links.url', 'messages.channel'])
    .where('links.code', '=', code).executeTakeFirst();

export type LinkForRedirect = NonNullable<Awaited<ReturnType<typeof linkByCode>>>;

/** The links of several codes in one read (the redirect resolver batches its cache misses). */
export const linksByCodes = async (tx: Tx, codes: string[]): Promise<LinkForRedirect[]> =>
  (await sql<LinkForRedirect>`
    select l.code, l.workspace_id, l.message_id, l.campaign_id, l.task_id, l.user_id, l.url, m.channel
    from links l join messages m on m.id = l.message_id where l.code = any(${codes}::text[])`.execute(tx)).rows;

/** One answered redirect, as the click log keeps it (everything else is the link's). */
export interface Click {
  code: string;
  at: Date;
  ip: string | null;
  userAgent: string | null;
}

// Tabs and line breaks separate fields and clicks in the log; a user agent never needs them.
const field = (v: string | null): string => (v === null ? '' : v.replace(/[\t\r\n\\]/g, ' ').slice(0, 512));

/** A click as one log line: `code \t epoch-ms \t ip \t user-agent`. */
export const clickLine = (c: Click): string => `${c.code}\t${c.at.getTime()}\t${field(c.ip)}\t${field(c.userAgent)}`;

/** One flush of the click queue: one narrow row, whatever the number of clicks. */
export async function appendClickLog(tx: Tx, lines: string[]): Promise<void> {
  await tx.insertInto('linkClickLog').values({ n: lines.length, clicks: lines.join('\n') }).execute();
}

/**
 * Folds up to `rows` log rows into `$link_clicked` events and each message's first click, and
 * deletes them — one statement, so a crash folds a row wholly or not at all (never twice).
 * Two folders wait for each other's rows rather than skip them: a folder that returns has seen
 * every row logged before it started folded (tests rely on it; folding is not the hot path).
 * Returns the log rows it folded and the new events per workspace.
 */
export async function foldClicks(tx: Tx, rows: number): Promise<{ logRows: number; byWorkspace: Map<string, string[]> }> {
  const r = await sql<{ workspaceId: string | null; ids: (string | number)[] | null; logRows: number }>`
    with batch as (
      delete from link_click_log where id in (select id from link_click_log order by id limit ${rows} for update)
      returning clicks
    ), c as (
      select f[1] as code, to_timestamp(f[2]::bigint / 1000.0) as at, nullif(f[3], '') as ip, nullif(f[4], '') as ua
      from batch cross join lateral regexp_split_to_table(batch.clicks, E'\n') as line cross join lateral string_to_array(line, E'\t') as f
    ), j as (
      select l.workspace_id, l.user_id, l.message_id, l.campaign_id, l.task_id, l.url, c.code, c.at, c.ip, c.ua
      from c join links l on l.code = c.code
    ), ev as (
      insert into events (workspace_id, user_id, name, ts, properties)
      select workspace_id, user_id, '$link_clicked', at, jsonb_build_object('code', code, 'url', url, 'messageId', message_id::text,
        'campaignId', campaign_id, 'taskId', task_id, 'ip', ip, 'userAgent', ua)
      from j
      returning id, workspace_id
    ), upd as (
      update messages m set first_clicked_at = f.at
      from (select message_id, min(at) as at from j group by message_id) f
      where m.id = f.message_id and (m.first_clicked_at is null or m.first_clicked_at > f.at)
    )
    select ev.workspace_id, array_agg(ev.id) as ids, (select count(*) from batch)::int as log_rows from ev group by ev.workspace_id
    union all select null, null, (select count(*) from batch)::int where not exists (select 1 from ev)`.execute(tx);
  const byWorkspace = new Map<string, string[]>();
  for (const row of r.rows) if (row.workspaceId) byWorkspace.set(row.workspaceId, (row.ids ?? []).map(String));
  return { logRows: r.rows[0]?.logRows ?? 0, byWorkspace };
}
