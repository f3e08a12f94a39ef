import type { Platform } from '../platform/context.ts';
import * as repo from './coupons.repo.ts';

/**
 * Batches the grant path's user + blacklist lookups: concurrent grants of one workspace share
 * one `external_id = any(...)` query instead of a round trip each (the same idea as
 * coupons.writer.ts, for the read). A lookup waits for no timer: the first of a tick goes at
 * once with whatever else arrived in that tick; while it runs the next batch gathers.
 */
type Waiter = { externalId: string; resolve: (u: { id: string; blacklisted: boolean } | undefined) => void; reject: (e: unknown) => void };

class UserLookup {
  private queues = new Map<string, Waiter[]>();
  private running = new Set<string>();

  constructor(private readonly p: Platform) {}

  get(workspaceId: string, externalId: string): Promise<{ id: string; blacklisted: boolean } | undefined> {
    return new Promise((resolve, reject) => {
      const q = this.queues.get(workspaceId) ?? [];
      q.push({ externalId, resolve, reject });
      this.queues.set(workspaceId, q);
      if (!this.running.has(workspaceId)) {
        this.running.add(workspaceId);
        setImmediate(() => void this.drain(workspaceId));
      }
    });
  }

  private async drain(ws: string): Promise<void> {
    try {
      for (;;) {
        const batch = this.queues.get(ws) ?? [];
        if (batch.length === 0) break;
        this.queues.set(ws, []);
        try {
          const found = await repo.usersByExternalIdsForGrant(this.p.db, ws, [...new Set(batch.map((b) => b.externalId))]);
          for (const b of batch) b.resolve(found.get(b.externalId));
        } catch (err) {
          for (const b of batch) b.reject(err);
        }
      }
    } finally {
      this.running.delete(ws);
      this.queues.delete(ws);
    }
  }
}

const lookups = new WeakMap<Platform, UserLookup>();
export function userLookup(p: Platform): UserLookup {
  let l = lookups.get(p);
  if (!l) lookups.set(p, (l = new UserLookup(p)));
  return l;
}
