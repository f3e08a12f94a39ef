import type { Tx } from '../platform/db.ts';
import type { TimeCursor } from '../platform/cursor.ts';

export const insertTemplate = (tx: Tx, workspaceId: string, row: { id: string; name: string; channel: string; content: unknown; createdBy: string; now: Date }) =>
  tx.insertInto('templates').values({ id: row.id, workspaceId, name: row.name, channel: row.channel, content: JSON.stringify(row.content), createdBy: row.createdBy, createdAt: row.now, updatedAt: row.now })
    .returningAll().executeTakeFirstOrThrow();

export const templateById = (tx: Tx, workspaceId: string, id: string) =>
  tx.selectFrom('templates').selectAll().where('workspaceId', '=', workspaceId).where('id', '=', id).executeTakeFirst();

export const updateContent = (tx: Tx, workspaceId: string, id: string, patch: { name?: string; content?: unknown }, now: Date) =>
  tx.updateTable('templates').set((eb) => ({
    ...(patch.name ? { name: patch.name } : {}),
    ...(patch.content ? { content: JSON.stringify(patch.content) } : {}),
    version: eb('version', '+', 1), updatedAt: now,
  })).where('workspaceId', '=', workspaceId).where('id', '=', id).returningAll().executeTakeFirst();

export const listTemplates = (tx: Tx, workspaceId: string, limit: number, channel?: string, before?: TimeCursor) =>
  tx.selectFrom('templates').selectAll().where('workspaceId', '=', workspaceId).$if(!!channel, (q) => q.where('channel', '=', channel!))
    .$if(!!before, (q) => q.where((eb) => eb.or([eb('createdAt', '<', before!.createdAt), eb.and([eb('createdAt', '=', before!.createdAt), eb('id', '<', before!.id)])])))
    .orderBy('createdAt', 'desc').orderBy('id', 'desc').limit(limit + 1).execute();
