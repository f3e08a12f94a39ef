import { sql } from 'kysely';
import type { Tx } from '../platform/db.ts';

/** SQL for the delivery policy, unsubscribes and the blacklist. */

export const policyOf = (tx: Tx, workspaceId: string) =>
  tx.selectFrom('deliveryPolicies').select(['policy', 'updatedAt']).where('workspaceId', '=', workspaceId).executeTakeFirst();

export const upsertPolicy = (tx: Tx, workspaceId: string, policy: unknown, actor: string, now: Date) =>
  tx.insertInto('deliveryPolicies').values({ workspaceId, policy: JSON.stringify(policy), updatedBy: actor, updatedAt: now })
    .onConflict((oc) => oc.column('workspaceId').doUpdateSet({ policy: JSON.stringify(policy), updatedBy: actor, updatedAt: now })).execute();

export const addUnsubscribe = (tx: Tx, workspaceId: string, externalId: string, channel: string, now: Date) =>
  tx.insertInto('unsubscribes').values({ workspaceId, externalId, channel, createdAt: now }).onConflict((oc) => oc.doNothing()).execute();

export const removeUnsubscribe = (tx: Tx, workspaceId: string, externalId: string, channel: string | null) =>
  tx.deleteFrom('unsubscribes').where('workspaceId', '=', workspaceId).where('externalId', '=', externalId)
    .$if(channel !== null, (q) => q.where('channel', '=', channel!)).execute();

export const unsubscribesOf = (tx: Tx, workspaceId: string, externalIds: string[]) =>
  externalIds.length === 0 ? Promise.resolve([]) :
    tx.selectFrom('unsubscribes').select(['externalId', 'channel']).where('workspaceId', '=', workspaceId).where('externalId', '=', sql<string>`any(${externalIds}::text[])`).execute();

export const addToBlacklist = (tx: Tx, workspaceId: string, externalIds: string[], actor: string, now: Date) =>
  tx.insertInto('blacklist').values(externalIds.map((externalId) => ({ workspaceId, externalId, createdBy: actor, createdAt: now })))
    .onConflict((oc) => oc.doNothing()).execute();

export const removeFromBlacklist = (tx: Tx, workspaceId: string, externalIds: string[]) =>
  tx.deleteFrom('blacklist').where('workspaceId', '=', workspaceId).where('externalId', 'in', externalIds).execute();

export const blacklisted = (tx: Tx, workspaceId: string, externalIds: string[]) =>
  externalIds.length === 0 ? Promise.resolve([]) :
    tx.selectFrom('blacklist').select(['externalId']).where('workspaceId', '=', workspaceId).where('externalId', '=', sql<string>`any(${externalIds}::text[])`).execute();

/** Up to `limit` blacklisted externalIds of a workspace (the grant path's snapshot: policies.service). */
export const blacklistUpTo = async (tx: Tx, workspaceId: string, limit: number) =>
  (await tx.selectFrom('blacklist').select('externalId').where('workspaceId', '=', workspaceId).limit(limit).execute()).map((r) => r.externalId);

export const listBlacklist = (tx: Tx, workspaceId: string, limit: number, after?: string) =>
  tx.selectFrom('blacklist').select(['externalId', 'createdAt']).where('workspaceId', '=', workspaceId)
    .$if(after !== undefined, (q) => q.where('externalId', '>', after!))
    .orderBy('externalId').limit(limit + 1).execute();
