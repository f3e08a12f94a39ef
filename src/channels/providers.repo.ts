import type { Tx } from '../platform/db.ts';

export interface ProviderRow {
  id: string; workspaceId: string; channel: string; type: string; name: string; credentialsEnc: string; credentialKeys: string[];
  settings: unknown; rateLimitPerSecond: number | null; fallbackProviderId: string | null; priority: number; createdAt: Date; updatedAt: Date;
}

export const insertProvider = (tx: Tx, r: Omit<ProviderRow, 'createdAt' | 'updatedAt' | 'settings'> & { settings: string; now: Date }) =>
  tx.insertInto('providers').values({
    id: r.id, workspaceId: r.workspaceId, channel: r.channel, type: r.type, name: r.name, credentialsEnc: r.credentialsEnc, credentialKeys: r.credentialKeys,
    settings: r.settings, rateLimitPerSecond: r.rateLimitPerSecond, fallbackProviderId: r.fallbackProviderId, priority: r.priority, createdAt: r.now, updatedAt: r.now,
  }).returningAll().executeTakeFirstOrThrow() as Promise<ProviderRow>;

export const providerById = (tx: Tx, workspaceId: string, id: string) =>
  tx.selectFrom('providers').selectAll().where('workspaceId', '=', workspaceId).where('id', '=', id).executeTakeFirst() as Promise<ProviderRow | undefined>;

/** Only for callbacks that arrive with nothing but the provider id. */
export const providerByIdAnyWorkspace = (tx: Tx, id: string) =>
  tx.selectFrom('providers').selectAll().where('id', '=', id).executeTakeFirst() as Promise<ProviderRow | undefined>;

/** A workspace's providers (of one channel, when given) in the order delivery picks them: channel, priority highest first, then oldest. */
const providersInOrder = (tx: Tx, workspaceId: string, channel?: string) =>
  tx.selectFrom('providers').selectAll().where('workspaceId', '=', workspaceId)
    .$if(!!channel, (q) => q.where('channel', '=', channel!))
    .orderBy('channel').orderBy('priority', 'desc').orderBy('createdAt').orderBy('id');

export const listProviders = (tx: Tx, workspaceId: string, channel?: string) =>
  providersInOrder(tx, workspaceId, channel).execute() as Promise<ProviderRow[]>;

/** Where a page of providers resumes: the last row's key. */
export interface ProviderCursor { channel: string; priority: number; createdAt: Date; id: string }

/**
 * A page of providers in listProviders' order: keyset (channel asc, priority desc, created_at
 * asc, id asc), rows after `after`.
 */
export const pageProviders = (tx: Tx, workspaceId: string, limit: number, channel?: string, after?: ProviderCursor) =>
  providersInOrder(tx, workspaceId, channel)
    .$if(!!after, (q) => q.where((eb) => eb.or([
      eb('channel', '>', after!.channel),
      eb.and([eb('channel', '=', after!.channel), eb.or([
        eb('priority', '<', after!.priority),
        eb.and([eb('priority', '=', after!.priority), eb.or([
          eb('createdAt', '>', after!.createdAt),
          eb.and([eb('createdAt', '=', after!.createdAt), eb('id', '>', after!.id)]),
        ])]),
      ])]),
    ])))
    .limit(limit + 1).execute() as Promise<ProviderRow[]>;

export const updateProvider = (tx: Tx, workspaceId: string, id: string, set: Partial<Omit<ProviderRow, 'settings'>> & { settings?: string }) =>
  tx.updateTable('providers').set(set).where('workspaceId', '=', workspaceId).where('id', '=', id).returningAll().executeTakeFirst() as Promise<ProviderRow | undefined>;

export const deleteProvider = async (tx: Tx, workspaceId: string, id: string) =>
  Number((await tx.deleteFrom('providers').where('workspaceId', '=', workspaceId).where('id', '=', id).executeTakeFirst()).numDeletedRows) > 0;

export async function insertMessageRefs(tx: Tx, workspaceId: string, providerId: string, refs: { messageId: string; vendorRef: string }[]): Promise<void> {
  if (!refs.length) return;
  await tx.insertInto('providerMessageRefs').values(refs.map((r) => ({ providerId, workspaceId, vendorRef: r.vendorRef, messageId: r.messageId })))
    .onConflict((oc) => oc.columns(['providerId', 'vendorRef']).doNothing()).execute();
}

export const messagesByRefs = (tx: Tx, providerId: string, vendorRefs: string[]) =>
  vendorRefs.length === 0 ? Promise.resolve([]) :
    tx.selectFrom('providerMessageRefs').select(['vendorRef', 'messageId', 'workspaceId']).where('providerId', '=', providerId).where('vendorRef', 'in', vendorRefs).execute();

export const purgeMessageRefs = async (tx: Tx, before: Date) =>
  Number((await tx.deleteFrom('providerMessageRefs').where('createdAt', '<', before).executeTakeFirst()).numDeletedRows);
