import { sql } from 'kysely';
import type { Tx } from '../platform/db.ts';
import type { TimeCursor } from '../platform/cursor.ts';

/** SQL for workspaces, keys, console users, sessions and the audit log. */

export const insertWorkspace = (tx: Tx, row: { id: string; slug: string; name: string; timezone?: string; currency?: string; requireApproval?: boolean; requireTemplateReview?: boolean }) =>
  tx.insertInto('workspaces').values(row).onConflict((oc) => oc.column('slug').doNothing()).returningAll().executeTakeFirst();

export const workspaceById = (tx: Tx, workspaceId: string) =>
  tx.selectFrom('workspaces').selectAll().where('id', '=', workspaceId).executeTakeFirst();

export const workspaceBySlug = (tx: Tx, slug: string) =>
  tx.selectFrom('workspaces').selectAll().where('slug', '=', slug).executeTakeFirst();

export const updateWorkspace = (tx: Tx, workspaceId: string, patch: Record<string, unknown>) =>
  tx.updateTable('workspaces').set({ ...patch, updatedAt: new Date() }).where('id', '=', workspaceId).returningAll().executeTakeFirstOrThrow();

export const insertKey = (tx: Tx, workspaceId: string, row: { id: string; name: string; role: string; keyHash: string; keyPrefix: string }) =>
  tx.insertInto('apiKeys').values({ ...row, workspaceId }).execute();

export const activeKeyByHash = (tx: Tx, keyHash: string) =>
  tx.selectFrom('apiKeys').select(['id', 'workspaceId', 'role']).where('keyHash', '=', keyHash).where('revokedAt', 'is', null).executeTakeFirst();

/**
 * created_at of keys and console users is the database's now(), in microseconds; a cursor holds
 * milliseconds (a JS Date). Their lists are keyed on the time cut to milliseconds, then id, so a
 * cursor names exactly the row it came from.
 */
const createdMs = sql<Date>`date_trunc('milliseconds', created_at)`;

/** A page of keys, oldest first: keyset (created_at to the millisecond asc, id asc), rows after `after`. */
export const listKeys = (tx: Tx, workspaceId: string, limit: number, after?: TimeCursor) =>
  tx.selectFrom('apiKeys').select(['id', 'name', 'role', 'keyPrefix', 'createdAt', 'revokedAt']).where('workspaceId', '=', workspaceId)
    .$if(!!after, (q) => q.where((eb) => eb.or([eb(createdMs, '>', after!.createdAt), eb.and([eb(createdMs, '=', after!.createdAt), eb('id', '>', after!.id)])])))
    .orderBy(createdMs).orderBy('id').limit(limit + 1).execute();

export const revokeKey = (tx: Tx, workspaceId: string, id: string, at: Date) =>
  tx.updateTable('apiKeys').set({ revokedAt: at }).where('workspaceId', '=', workspaceId).where('id', '=', id).where('revokedAt', 'is', null).executeTakeFirst();

export const insertConsoleUser = (tx: Tx, workspaceId: string, row: { id: string; email: string; name: string | null; role: string; passwordHash: string | null; inviteTokenHash: string | null; inviteExpiresAt: Date | null; invitedBy: string | null; activatedAt: Date | null }) =>
  tx.insertInto('consoleUsers').values({ ...row, workspaceId }).onConflict((oc) => oc.columns(['workspaceId', 'email']).doNothing()).returning('id').executeTakeFirst();

export const consoleUserByInvite = (tx: Tx, tokenHash: string) =>
  tx.selectFrom('consoleUsers').selectAll().where('inviteTokenHash', '=', tokenHash).executeTakeFirst();

export const activateConsoleUser = (tx: Tx, workspaceId: string, id: string, passwordHash: string, name: string | null, at: Date) =>
  tx.updateTable('consoleUsers').set({ passwordHash, name, activatedAt: at, inviteTokenHash: null, inviteExpiresAt: null }).where('workspaceId', '=', workspaceId).where('id', '=', id).execute();

export const consoleUsersByEmail = (tx: Tx, email: string) =>
  tx.selectFrom('consoleUsers').innerJoin('workspaces', 'workspaces.id', 'consoleUsers.workspaceId')
    .select(['consoleUsers.id', 'consoleUsers.workspaceId', 'consoleUsers.passwordHash', 'consoleUsers.role', 'workspaces.slug'])
    .where('consoleUsers.email', '=', email.toLowerCase()).where('consoleUsers.activatedAt', 'is not', null).execute();

/** A page of console users, oldest first: keyset (created_at to the millisecond asc, id asc), rows after `after`. */
export const listConsoleUsers = (tx: Tx, workspaceId: string, limit: number, after?: TimeCursor) =>
  tx.selectFrom('consoleUsers').select(['id', 'email', 'name', 'role', 'createdAt', 'activatedAt']).where('workspaceId', '=', workspaceId)
    .$if(!!after, (q) => q.where((eb) => eb.or([eb(createdMs, '>', after!.createdAt), eb.and([eb(createdMs, '=', after!.createdAt), eb('id', '>', after!.id)])])))
    .orderBy(createdMs).orderBy('id').limit(limit + 1).execute();

export const consoleUserById = (tx: Tx, workspaceId: string, id: string) =>
  tx.selectFrom('consoleUsers').select(['id', 'email', 'name', 'role']).where('workspaceId', '=', workspaceId).where('id', '=', id).executeTakeFirst();

export const insertSession = (tx: Tx, workspaceId: string, row: { tokenHash: string; consoleUserId: string; expiresAt: Date }) =>
  tx.insertInto('consoleSessions').values({ ...row, workspaceId }).execute();

export const sessionPrincipal = (tx: Tx, tokenHash: string, now: Date) =>
  tx.selectFrom('consoleSessions').innerJoin('consoleUsers', 'consoleUsers.id', 'consoleSessions.consoleUserId')
    .select(['consoleSessions.workspaceId', 'consoleUsers.id', 'consoleUsers.role'])
    .where('consoleSessions.tokenHash', '=', tokenHash).where('consoleSessions.expiresAt', '>', now).executeTakeFirst();

export const deleteSession = (tx: Tx, tokenHash: string) => tx.deleteFrom('consoleSessions').where('tokenHash', '=', tokenHash).execute();

export const insertAudit = (tx: Tx, workspaceId: string, row: { actor: string; action: string; objectType: string; objectId: string; details: unknown; at: Date }) =>
  tx.insertInto('auditLog').values({ ...row, workspaceId, details: JSON.stringify(row.details ?? {}) }).execute();

export const listAudit = (tx: Tx, workspaceId: string, limit: number, beforeId?: string) =>
  tx.selectFrom('auditLog').selectAll().where('workspaceId', '=', workspaceId)
    .$if(beforeId !== undefined, (q) => q.where('id', '<', sql<string>`${beforeId}::bigint`))
    .orderBy('id', 'desc').limit(limit + 1).execute();

export const deleteExpiredSessions = (tx: Tx, now: Date) => tx.deleteFrom('consoleSessions').where('expiresAt', '<', now).execute();
