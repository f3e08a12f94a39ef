import type { Platform } from '../platform/context.ts';
import type { Tx } from '../platform/db.ts';
import { decodeCursor, page } from '../platform/cursor.ts';
import { AppError } from '../platform/errors.ts';
import type { Principal } from '../workspaces/roles.ts';
import * as customers from '../customers/customers.service.ts';
import * as workspaces from '../workspaces/workspaces.service.ts';
import * as repo from './points.repo.ts';
import type { CreditInput, DebitInput, EntryView } from './points.schema.ts';

/**
 * Points: an account per user (balance), a ledger (every credit, debit and expiry, each
 * idempotent on its reference) and lots (what is left of each credit, with its expiry).
 * Debits consume the lots that lapse first, so the invariant balance = Σ lot.remaining holds
 * and expiry takes exactly what was not spent. Every movement locks the account row first, so
 * concurrent movements of one user run one after the other and a refId is checked under it.
 */

export interface Movement {
  balance: number;
  entryId: string;
  repeated: boolean;
}

const PG_UNIQUE = '23505';

/** A repeated refId: the same movement again answers the first; another movement under it is a conflict. */
function replay(prior: NonNullable<Awaited<ReturnType<typeof repo.entryByRef>>>, userId: string, amount: number, balance: number): Movement {
  if (String(prior.userId) !== userId || Math.abs(Number(prior.amount)) !== amount) {
    throw new AppError('idempotency_conflict', `refId ${prior.refId} was already used for another ${prior.kind}.`);
  }
  return { balance, entryId: prior.id, repeated: true };
}

/** Credits points inside the caller's transaction (lottery prizes, referral rewards). Idempotent on refId; throws `idempotency_conflict`. */
export async function creditIn(tx: Tx, workspaceId: string, c: { userId: string; amount: number; reason: string; refId: string; expiresAt?: Date | null; now: Date }): Promise<Movement> {
  const balance = await repo.lockAccount(tx, workspaceId, c.userId, c.now);
  const prior = await repo.entryByRef(tx, workspaceId, 'credit', c.refId);
  if (prior) return replay(prior, c.userId, c.amount, balance);
  const after = balance + c.amount;
  const entry = await repo.insertEntry(tx, workspaceId, { userId: c.userId, kind: 'credit', amount: c.amount, balanceAfter: after, reason: c.reason, refId: c.refId, expiresAt: c.expiresAt ?? null, now: c.now });
  await repo.insertLot(tx, workspaceId, { userId: c.userId, amount: c.amount, expiresAt: c.expiresAt ?? null, now: c.now });
  await repo.setBalance(tx, workspaceId, c.userId, after, c.now);
  return { balance: after, entryId: entry.id, repeated: false };
}

/** Debits points inside the caller's transaction (exchange for chances). Idempotent on refId; throws `insufficient_points`, `idempotency_conflict`. */
export async function debitIn(tx: Tx, workspaceId: string, d: { userId: string; amount: number; reason: string; refId: string; now: Date }): Promise<Movement> {
  const balance = await repo.lockAccount(tx, workspaceId, d.userId, d.now);
  const prior = await repo.entryByRef(tx, workspaceId, 'debit', d.refId);
  if (prior) return replay(prior, d.userId, d.amount, balance);
  if (balance < d.amount) throw new AppError('insufficient_points', `The balance is ${balance} points; ${d.amount} are needed.`, [{ path: 'amount', message: `balance ${balance}` }]);
  let left = d.amount;
  for (const lot of await repo.openLots(tx, workspaceId, d.userId)) {
    if (left === 0) break;
    const use = Math.min(left, Number(lot.remaining));
    await repo.setLotRemaining(tx, workspaceId, lot.id, Number(lot.remaining) - use);
    left -= use;
  }
  const after = balance - d.amount;
  const entry = await repo.insertEntry(tx, workspaceId, { userId: d.userId, kind: 'debit', amount: -d.amount, balanceAfter: after, reason: d.reason, refId: d.refId, expiresAt: null, now: d.now });
  await repo.setBalance(tx, workspaceId, d.userId, after, d.now);
  return { balance: after, entryId: entry.id, repeated: false };
}

/** Two different users racing on one new refId meet at the unique index: the loser is a conflict. */
async function guarded<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if ((err as { code?: string }).code === PG_UNIQUE) throw new AppError('idempotency_conflict', 'This refId was just used for another movement.');
    throw err;
  }
}

/** POST /v1/points/{externalId}/credit. Throws `not_found` (user), `validation_failed` (expiry in the past), `idempotency_conflict`. */
export async function credit(p: Platform, who: Principal, externalId: string, input: CreditInput) {
  const now = p.clock.now();
  const expiresAt = input.expiresAt ? new Date(input.expiresAt) : null;
  if (expiresAt && expiresAt <= now) throw new AppError('validation_failed', 'expiresAt is in the past.', [{ path: 'expiresAt', message: 'Must be in the future.' }]);
  const m = await guarded(() => p.db.transaction().execute(async (tx) => {
    const userId = await customers.internalId(tx, who.workspaceId, externalId);
    const m = await creditIn(tx, who.workspaceId, { userId, amount: input.amount, reason: input.reason, refId: input.refId, expiresAt, now });
    if (!m.repeated) await workspaces.audit(tx, who, 'points.credit', 'user', externalId, { amount: input.amount, refId: input.refId }, now);
    return m;
  }));
  return { externalId, ...m };
}

/** POST /v1/points/{externalId}/debit. Throws `not_found`, `insufficient_points`, `idempotency_conflict`. */
export async function debit(p: Platform, who: Principal, externalId: string, input: DebitInput) {
  const now = p.clock.now();
  const m = await guarded(() => p.db.transaction().execute(async (tx) => {
    const userId = await customers.internalId(tx, who.workspaceId, externalId);
    const m = await debitIn(tx, who.workspaceId, { userId, amount: input.amount, reason: input.reason, refId: input.refId, now });
    if (!m.repeated) await workspaces.audit(tx, who, 'points.debit', 'user', externalId, { amount: input.amount, refId: input.refId }, now);
    return m;
  }));
  return { externalId, ...m };
}

/** The balance and the next lots to lapse. Throws `not_found`. */
export async function balance(p: Platform, workspaceId: string, externalId: string) {
  const userId = await customers.internalId(p.db, workspaceId, externalId);
  const [bal, lots] = await Promise.all([repo.balanceOf(p.db, workspaceId, userId), repo.expiringLots(p.db, workspaceId, userId, p.clock.now())]);
  return { externalId, balance: bal, expiring: lots.map((l) => ({ amount: Number(l.remaining), expiresAt: l.expiresAt!.toISOString() })) };
}

type EntryRow = Awaited<ReturnType<typeof repo.history>>[number];
const entryView = (e: EntryRow): EntryView => ({
  id: e.id, kind: e.kind as EntryView['kind'], amount: Number(e.amount), balanceAfter: Number(e.balanceAfter), reason: e.reason, refId: e.refId,
  expiresAt: e.expiresAt?.toISOString() ?? null, createdAt: e.createdAt.toISOString(),
});

/** Ledger entries, newest first. Throws `not_found`. */
export async function history(p: Platform, workspaceId: string, externalId: string, limit: number, cursor?: string) {
  const userId = await customers.internalId(p.db, workspaceId, externalId);
  return page(await repo.history(p.db, workspaceId, userId, limit, decodeCursor(cursor)), limit, entryView);
}

/** Balance of an internal user id (other domains: H5 pages, exchange checks). */
export const balanceOfUser = (tx: Tx, workspaceId: string, userId: string): Promise<number> => repo.balanceOf(tx, workspaceId, userId);

/**
 * Lapses what is left of every lot whose expiry has passed: one `expire` entry per lot
 * (refId `lot:<id>`, so a rerun after a crash changes nothing), the balance down by the same.
 * Returns how many lots lapsed.
 */
export async function expireDue(p: Platform, batch = 500): Promise<number> {
  let lapsed = 0;
  for (;;) {
    const now = p.clock.now();
    const users = await repo.usersWithLapsedLots(p.db, now, batch);
    for (const u of users) {
      lapsed += await p.db.transaction().execute(async (tx) => {
        let bal = await repo.lockAccount(tx, u.workspaceId, String(u.userId), now);
        let n = 0;
        for (const lot of await repo.openLots(tx, u.workspaceId, String(u.userId))) {
          if (!lot.expiresAt || lot.expiresAt > now) continue;
          const amount = Number(lot.remaining);
          bal -= amount;
          await repo.setLotRemaining(tx, u.workspaceId, lot.id, 0);
          await repo.insertEntry(tx, u.workspaceId, { userId: String(u.userId), kind: 'expire', amount: -amount, balanceAfter: bal, reason: 'expired', refId: `lot:${lot.id}`, expiresAt: lot.expiresAt, now });
          n++;
        }
        await repo.setBalance(tx, u.workspaceId, String(u.userId), bal, now);
        return n;
      });
    }
    if (users.length < batch) return lapsed;
  }
}
