import { sql } from 'kysely';
import type { Tx } from '../platform/db.ts';
import type { TimeCursor } from '../platform/cursor.ts';

/** Creates the account if needed and locks its row for the rest of the transaction; returns the balance. */
export async function lockAccount(tx: Tx, workspaceId: string, userId: string, now: Date): Promise<number> {
  const r = await tx.insertInto('pointsAccounts').values({ workspaceId, userId, balance: 0, updatedAt: now })
    .onConflict((oc) => oc.columns(['workspaceId', 'userId']).doUpdateSet((eb) => ({ balance: eb.ref('pointsAccounts.balance') })))
    .returning('balance').executeTakeFirstOrThrow();
  return Number(r.balance);
}

export const setBalance = (tx: Tx, workspaceId: string, userId: string, balance: number, now: Date) =>
  tx.updateTable('pointsAccounts').set({ balance, updatedAt: now }).where('workspaceId', '=', workspaceId).where('userId', '=', userId).execute();

export const balanceOf = async (tx: Tx, workspaceId: string, userId: string): Promise<number> =>
  Number((await tx.selectFrom('pointsAccounts').select('balance').where('workspaceId', '=', workspaceId).where('userId', '=', userId).executeTakeFirst())?.balance ?? 0);

export const entryByRef = (tx: Tx, workspaceId: string, kind: string, refId: string) =>
  tx.selectFrom('pointsLedger').selectAll().where('workspaceId', '=', workspaceId).where('kind', '=', kind).where('refId', '=', refId).executeTakeFirst();

export const insertEntry = (tx: Tx, workspaceId: string, e: { userId: string; kind: string; amount: number; balanceAfter: number; reason: string; refId: string; expiresAt: Date | null; now: Date }) =>
  tx.insertInto('pointsLedger').values({ workspaceId, userId: e.userId, kind: e.kind, amount: e.amount, balanceAfter: e.balanceAfter, reason: e.reason, refId: e.refId, expiresAt: e.expiresAt, createdAt: e.now })
    .returning('id').executeTakeFirstOrThrow();

export const insertLot = (tx: Tx, workspaceId: string, l: { userId: string; amount: number; expiresAt: Date | null; now: Date }) =>
  tx.insertInto('pointsLots').values({ workspaceId, userId: l.userId, amount: l.amount, remaining: l.amount, expiresAt: l.expiresAt, createdAt: l.now }).execute();

/** Open lots, the first to lapse first (never-lapsing last), locked. */
export const openLots = (tx: Tx, workspaceId: string, userId: string) =>
  tx.selectFrom('pointsLots').select(['id', 'remaining', 'expiresAt']).where('workspaceId', '=', workspaceId).where('userId', '=', userId).where('remaining', '>', '0')
    .orderBy(sql`expires_at asc nulls last`).orderBy('id').forUpdate().execute();

export const setLotRemaining = (tx: Tx, workspaceId: string, id: string, remaining: number) =>
  tx.updateTable('pointsLots').set({ remaining }).where('workspaceId', '=', workspaceId).where('id', '=', id).execute();

export const expiringLots = (tx: Tx, workspaceId: string, userId: string, now: Date) =>
  tx.selectFrom('pointsLots').select(['remaining', 'expiresAt']).where('workspaceId', '=', workspaceId).where('userId', '=', userId).where('remaining', '>', '0')
    .where('expiresAt', 'is not', null).where('expiresAt', '>', now).orderBy('expiresAt').limit(10).execute();

/** Users with lapsed lots still holding points, any workspace (the expiry job). */
export const usersWithLapsedLots = (tx: Tx, now: Date, limit: number) =>
  tx.selectFrom('pointsLots').select(['workspaceId', 'userId']).distinct().where('remaining', '>', '0').where('expiresAt', '<=', now).limit(limit).execute();

export const history = (tx: Tx, workspaceId: string, userId: string, limit: number, before?: TimeCursor) =>
  tx.selectFrom('pointsLedger').selectAll().where('workspaceId', '=', workspaceId).where('userId', '=', userId)
    .$if(!!before, (q) => q.where((eb) => eb.or([eb('createdAt', '<', before!.createdAt), eb.and([eb('createdAt', '=', before!.createdAt), eb('id', '<', before!.id)])])))
    .orderBy('createdAt', 'desc').orderBy('id', 'desc').limit(limit + 1).execute();
