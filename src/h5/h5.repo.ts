import { sql } from 'kysely';
import type { Tx } from '../platform/db.ts';
import type { H5LinksTable } from '../platform/db-schema/h5.ts';
import type { Insertable } from 'kysely';

/** SQL of the h5 domain (migration 0011-h5). */

export const insertLink = (tx: Tx, row: Insertable<H5LinksTable>) => tx.insertInto('h5Links').values(row).execute();

export const linkByCode = (tx: Tx, code: string) =>
  tx.selectFrom('h5Links').select(['code', 'workspaceId', 'tokenId', 'userId', 'externalId', 'pageKind', 'pageId', 'campaignId', 'token', 'expiresAt'])
    .where('code', '=', code).executeTakeFirst();

/** Links of a workspace, newest first (keyset on created_at, code). */
export function listLinks(tx: Tx, workspaceId: string, limit: number, after?: { createdAt: Date; id: string }, filter: { pageKind?: string; pageId?: string; externalId?: string } = {}) {
  let q = tx.selectFrom('h5Links').selectAll().where('workspaceId', '=', workspaceId);
  if (filter.pageKind) q = q.where('pageKind', '=', filter.pageKind);
  if (filter.pageId) q = q.where('pageId', '=', filter.pageId);
  if (filter.externalId) q = q.where('externalId', '=', filter.externalId);
  if (after) q = q.where(sql<boolean>`(created_at, code) < (${after.createdAt}, ${after.id})`);
  return q.orderBy('createdAt', 'desc').orderBy('code', 'desc').limit(limit + 1).execute();
}

export interface ActionKey { workspaceId: string; tokenId: string; action: string; requestId: string }

export const actionResult = (tx: Tx, k: ActionKey) =>
  tx.selectFrom('h5Actions').select(['result']).where('workspaceId', '=', k.workspaceId).where('tokenId', '=', k.tokenId)
    .where('action', '=', k.action).where('requestId', '=', k.requestId).executeTakeFirst();

/** Records an action's answer once; a concurrent twin keeps the first (the caller re-reads). */
export async function insertAction(tx: Tx, a: ActionKey & { userId: string; pageKind: string; pageId: string; campaignId: string | null; result: unknown; createdAt: Date }): Promise<boolean> {
  const r = await tx.insertInto('h5Actions').values({ ...a, result: JSON.stringify(a.result) })
    .onConflict((oc) => oc.columns(['workspaceId', 'tokenId', 'action', 'requestId']).doNothing()).executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
}

/** What a user got on a page through H5, newest first (the "my prizes" list). */
export const userActions = (tx: Tx, workspaceId: string, userId: string, pageKind: string, pageId: string, action: string, limit: number) =>
  tx.selectFrom('h5Actions').select(['result', 'createdAt']).where('workspaceId', '=', workspaceId).where('userId', '=', userId)
    .where('pageKind', '=', pageKind).where('pageId', '=', pageId).where('action', '=', action)
    .orderBy('createdAt', 'desc').orderBy('id', 'desc').limit(limit).execute();

export const settingsOf = (tx: Tx, workspaceId: string) =>
  tx.selectFrom('h5Settings').select(['perIpPerMinute', 'perDevicePerMinute', 'updatedAt']).where('workspaceId', '=', workspaceId).executeTakeFirst();

export const upsertSettings = (tx: Tx, workspaceId: string, s: { perIpPerMinute: number; perDevicePerMinute: number }, by: string, at: Date) =>
  tx.insertInto('h5Settings').values({ workspaceId, ...s, updatedBy: by, updatedAt: at })
    .onConflict((oc) => oc.column('workspaceId').doUpdateSet({ ...s, updatedBy: by, updatedAt: at })).execute();
