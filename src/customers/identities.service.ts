import type { Platform } from '../platform/context.ts';
import { AppError } from '../platform/errors.ts';
import type { Principal } from '../workspaces/roles.ts';
import * as workspaces from '../workspaces/workspaces.service.ts';
import * as repo from './identities.repo.ts';
import type { AliasResult } from './identities.schema.ts';
import { ANONYMOUS_PREFIX } from './customers.schema.ts';

/**
 * Merges an anonymous id's history into the known user `externalId` (created when missing),
 * in one transaction: afterwards behaviour conditions see one person, and later events sent
 * with the anonymous id land on the known user. Idempotent: a repeat changes nothing. An
 * anonymous id never seen is linked, so its events that arrive late still reach the known
 * user. Throws `invalid_state` when the anonymous id already belongs to another known user.
 */
export async function alias(p: Platform, who: Principal, anonymousId: string, externalId: string): Promise<AliasResult> {
  return retryOnDeadlock(() => p.db.transaction().execute(async (tx) => {
    const now = p.clock.now();
    // The anonymous id's row is locked before any users row: the order ingest uses too.
    let link = await repo.lockAnonymousId(tx, who.workspaceId, anonymousId);
    const known = await repo.lockOrCreateUser(tx, who.workspaceId, externalId, now);
    const none = { events: 0, orders: 0, messages: 0 };
    if (!link) {
      if (await repo.linkAnonymousId(tx, who.workspaceId, anonymousId, known.id, now)) {
        await workspaces.audit(tx, who, 'user.alias', 'user', externalId, { anonymousId, status: 'linked' }, now);
        return { anonymousId, externalId, status: 'linked', moved: none };
      }
      link = await repo.lockAnonymousId(tx, who.workspaceId, anonymousId); // an ingest created it just now
      if (!link) throw new Error('anonymous id vanished under lock');
    }
    if (link.userId === known.id) return { anonymousId, externalId, status: 'unchanged', moved: none };
    const holder = await repo.lockUserById(tx, who.workspaceId, link.userId);
    if (!holder || !holder.externalId.startsWith(ANONYMOUS_PREFIX)) {
      throw new AppError('invalid_state', `Anonymous id ${anonymousId} is already merged into another user.`, [{ path: 'anonymousId', message: 'Belongs to another user.' }]);
    }
    const moved = await repo.mergeUsers(tx, who.workspaceId, holder.id, known.id, now);
    await workspaces.audit(tx, who, 'user.alias', 'user', externalId, { anonymousId, status: 'merged', moved }, now);
    return { anonymousId, externalId, status: 'merged', moved };
  }));
}

/**
 * A merge racing an ingest that links the same ids the other way round can deadlock;
 * PostgreSQL aborts one side, and the whole transaction is simply run again.
 */
async function retryOnDeadlock<T>(fn: () => Promise<T>, attempts = 3): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (i >= attempts || (code !== '40P01' && code !== '40001')) throw err;
    }
  }
}
