import { sql } from 'kysely';
import type { Tx } from '../../platform/db.ts';

export interface NewInboxRow { messageId: string; workspaceId: string; externalId: string; title: string; body: string; url: string | null; expiresAt: Date | null }

/** Keyed by message id: a replayed batch writes nothing. */
export async function insertInbox(tx: Tx, rows: NewInboxRow[], now: Date): Promise<void> {
  if (!rows.length) return;
  await tx.insertInto('inboxMessages').values(rows.map((r) => ({ ...r, createdAt: now }))).onConflict((oc) => oc.column('messageId').doNothing()).execute();
}

const live = (now: Date) => sql<boolean>`(expires_at is null or expires_at > ${now})`;

export const listInbox = (tx: Tx, workspaceId: string, externalId: string, now: Date, limit: number, before?: string) =>
  tx.selectFrom('inboxMessages').selectAll().where('workspaceId', '=', workspaceId).where('externalId', '=', externalId).where(live(now))
    .$if(!!before, (q) => q.where('messageId', '<', before!))
    .orderBy('messageId', 'desc').limit(limit + 1).execute();

export const unreadCount = async (tx: Tx, workspaceId: string, externalId: string, now: Date) =>
  Number((await tx.selectFrom('inboxMessages').select((eb) => eb.fn.countAll<string>().as('n'))
    .where('workspaceId', '=', workspaceId).where('externalId', '=', externalId).where('readAt', 'is', null).where(live(now)).executeTakeFirstOrThrow()).n);

export const markRead = async (tx: Tx, workspaceId: string, externalId: string, ids: string[], now: Date) =>
  (await tx.updateTable('inboxMessages').set({ readAt: now }).where('workspaceId', '=', workspaceId).where('externalId', '=', externalId)
    .where('messageId', 'in', ids).where('readAt', 'is', null).returning('messageId').execute()).length;

/** Expired rows are hidden at once and removed by this sweep. */
export const purgeExpired = async (tx: Tx, now: Date) =>
  Number((await tx.deleteFrom('inboxMessages').where('expiresAt', '<=', now).executeTakeFirst()).numDeletedRows);
