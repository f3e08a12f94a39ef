import type { Platform } from '../platform/context.ts';
import { KeyedBatcher } from '../platform/batcher.ts';
import * as repo from './coupons.repo.ts';

/**
 * Batches the grant path's user + blacklist lookups: concurrent grants of one workspace share
 * one `external_id = any(...)` query instead of a round trip each (the same idea as
 * coupons.writer.ts, for the read; the batching is platform/batcher.ts).
 */
type Found = { id: string; blacklisted: boolean } | undefined;

class UserLookup {
  private readonly batcher: KeyedBatcher<string, Found>;

  constructor(p: Platform) {
    this.batcher = new KeyedBatcher(async (ws, externalIds) => {
      const found = await repo.usersByExternalIdsForGrant(p.db, ws, [...new Set(externalIds)]);
      return externalIds.map((x) => found.get(x));
    });
  }

  get(workspaceId: string, externalId: string): Promise<Found> {
    return this.batcher.add(workspaceId, externalId);
  }
}

const lookups = new WeakMap<Platform, UserLookup>();
export function userLookup(p: Platform): UserLookup {
  let l = lookups.get(p);
  if (!l) lookups.set(p, (l = new UserLookup(p)));
  return l;
}
