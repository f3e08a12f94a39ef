import { LRUCache } from 'lru-cache';

/**
 * Internal user ids of known externalIds, remembered by the ingest path so a batch of users it
 * has seen needs no lookup in `users` (a thousand index probes and heap reads a batch; see
 * docs/benchmarks.md, Ingest).
 *
 * Why a cached id can never be wrong: a users row's id never changes, and the row of a known
 * externalId is never deleted — an alias merges the *anonymous* profile into the known user and
 * deletes only the anonymous one (`$anon:` externalIds, which events by externalId cannot name;
 * identities.repo.ts). Only ids read by an autocommitted statement are remembered, so an id
 * from a transaction that then rolls back is never cached. Should the platform ever delete
 * known users, this cache must be cleared for them in every process first.
 */
const MAX_ENTRIES = 300_000; // ~40 MB at worst

const cache = new LRUCache<string, string>({ max: MAX_ENTRIES });
const key = (workspaceId: string, externalId: string) => `${workspaceId}\u0000${externalId}`;

export const cachedUserId = (workspaceId: string, externalId: string): string | undefined => cache.get(key(workspaceId, externalId));

export function rememberUserIds(workspaceId: string, pairs: [externalId: string, id: string][]): void {
  for (const [externalId, id] of pairs) cache.set(key(workspaceId, externalId), id);
}
