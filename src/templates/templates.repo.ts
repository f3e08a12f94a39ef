import type { Tx } from '../platform/db.ts';
import type { TimeCursor } from '../platform/cursor.ts';

/** SQL for templates and their versions (template_versions: one row per content version, with its review). */

export const insertTemplate = (tx: Tx, workspaceId: string, row: { id: string; name: string; channel: string; content: unknown; createdBy: string; now: Date }) =>
  tx.insertInto('templates').values({
    id: row.id, workspaceId, name: row.name, channel: row.channel, content: JSON.stringify(row.content), createdBy: row.createdBy,
    createdAt: row.now, updatedAt: row.now, status: 'draft', reviewState: 'draft', approvedVersion: null, reviewNote: null, submittedBy: null,
  }).returningAll().executeTakeFirstOrThrow();

export const insertVersion = (tx: Tx, workspaceId: string, v: { templateId: string; version: number; name: string; content: unknown; createdBy: string; now: Date }) =>
  tx.insertInto('templateVersions').values({
    workspaceId, templateId: v.templateId, version: v.version, name: v.name, content: JSON.stringify(v.content), status: 'draft',
    createdBy: v.createdBy, createdAt: v.now,
  }).execute();

export const templateById = (tx: Tx, workspaceId: string, id: string) =>
  tx.selectFrom('templates').selectAll().where('workspaceId', '=', workspaceId).where('id', '=', id).executeTakeFirst();

export const templateForUpdate = (tx: Tx, workspaceId: string, id: string) =>
  tx.selectFrom('templates').selectAll().where('workspaceId', '=', workspaceId).where('id', '=', id).forUpdate().executeTakeFirst();

export const versionOf = (tx: Tx, workspaceId: string, id: string, version: number) =>
  tx.selectFrom('templateVersions').selectAll().where('workspaceId', '=', workspaceId).where('templateId', '=', id).where('version', '=', version).executeTakeFirst();

export const versionsOf = (tx: Tx, workspaceId: string, id: string, limit: number, below?: number) =>
  tx.selectFrom('templateVersions').selectAll().where('workspaceId', '=', workspaceId).where('templateId', '=', id)
    .$if(below !== undefined, (q) => q.where('version', '<', below!))
    .orderBy('version', 'desc').limit(limit + 1).execute();

/** Name and/or content; new content is a new version, in draft (review starts again). */
export const updateContent = (tx: Tx, workspaceId: string, id: string, patch: { name?: string; content?: unknown }, now: Date) =>
  tx.updateTable('templates').set((eb) => ({
    ...(patch.name ? { name: patch.name } : {}),
    ...(patch.content ? { content: JSON.stringify(patch.content), version: eb('version', '+', 1), status: 'draft', reviewState: 'draft', reviewNote: null, submittedBy: null } : {}),
    updatedAt: now,
  })).where('workspaceId', '=', workspaceId).where('id', '=', id).returningAll().executeTakeFirst();

export const renameVersion = (tx: Tx, workspaceId: string, id: string, version: number, name: string) =>
  tx.updateTable('templateVersions').set({ name }).where('workspaceId', '=', workspaceId).where('templateId', '=', id).where('version', '=', version).execute();

/** A review step on the latest version: the template row and that version row move together. */
export async function setReview(tx: Tx, workspaceId: string, id: string, version: number, r: {
  status: 'pending_review' | 'approved' | 'rejected'; note: string | null; actor: string; now: Date;
}) {
  await tx.updateTable('templateVersions').set({
    status: r.status, reviewNote: r.note,
    ...(r.status === 'pending_review' ? { submittedBy: r.actor, reviewedBy: null, reviewedAt: null } : { reviewedBy: r.actor, reviewedAt: r.now }),
  }).where('workspaceId', '=', workspaceId).where('templateId', '=', id).where('version', '=', version).execute();
  return tx.updateTable('templates').set({
    status: r.status, reviewState: r.status, reviewNote: r.note, updatedAt: r.now,
    ...(r.status === 'pending_review' ? { submittedBy: r.actor } : {}),
    ...(r.status === 'approved' ? { approvedVersion: version } : {}),
  }).where('workspaceId', '=', workspaceId).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
}

export const listTemplates = (tx: Tx, workspaceId: string, limit: number, channel?: string, before?: TimeCursor, status?: string) =>
  tx.selectFrom('templates').selectAll().where('workspaceId', '=', workspaceId).$if(!!channel, (q) => q.where('channel', '=', channel!))
    .$if(!!status, (q) => q.where('status', '=', status!))
    .$if(!!before, (q) => q.where((eb) => eb.or([eb('createdAt', '<', before!.createdAt), eb.and([eb('createdAt', '=', before!.createdAt), eb('id', '<', before!.id)])])))
    .orderBy('createdAt', 'desc').orderBy('id', 'desc').limit(limit + 1).execute();
