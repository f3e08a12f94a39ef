import { sql } from 'kysely';

import type { Tx } from '../platform/db.ts';
import type { TimeCursor } from '../platform/cursor.ts';

export const insertLottery = (tx: Tx, workspaceId: string, row: {
  id: string; name: string; startAt: Date; endAt: Date; costPerDraw: number; perUserDailyDraws: number | null; noPrizeWeight: number;
  pointsPerChance: number | null; chanceRules: unknown; pools: unknown; campaignId: string | null; createdBy: string; now: Date;
}) => tx.insertInto('lotteries').values({
  workspaceId, id: row.id, name: row.name, startAt: row.startAt, endAt: row.endAt, costPerDraw: row.costPerDraw, perUserDailyDraws: row.perUserDailyDraws,
  noPrizeWeight: row.noPrizeWeight, pointsPerChance: row.pointsPerChance, chanceRules: JSON.stringify(row.chanceRules), pools: JSON.stringify(row.pools),
  campaignId: row.campaignId, createdBy: row.createdBy, createdAt: row.now, updatedAt: row.now,
}).execute();

export const insertPrizes = (tx: Tx, workspaceId: string, lotteryId: string, prizes: { key: string; name: string; weight: number; stock: number | null; couponTemplateId?: string; points?: number; perUserLimit?: number }[]) =>
  tx.insertInto('lotteryPrizes').values(prizes.map((p, i) => ({
    workspaceId, lotteryId, key: p.key, position: i, name: p.name, weight: p.weight, stock: p.stock,
    couponTemplateId: p.couponTemplateId ?? null, points: p.points ?? null, perUserLimit: p.perUserLimit ?? null,
  }))).execute();

export const lotteryById = (tx: Tx, workspaceId: string, id: string) =>
  tx.selectFrom('lotteries').selectAll().where('workspaceId', '=', workspaceId).where('id', '=', id).executeTakeFirst();

export const lockLottery = (tx: Tx, workspaceId: string, id: string) =>
  tx.selectFrom('lotteries').selectAll().where('workspaceId', '=', workspaceId).where('id', '=', id).forUpdate().executeTakeFirst();

export const prizesOf = (tx: Tx, workspaceId: string, lotteryIds: string[]) =>
  lotteryIds.length === 0 ? Promise.resolve([]) :
  tx.selectFrom('lotteryPrizes').selectAll().where('workspaceId', '=', workspaceId).where('lotteryId', 'in', lotteryIds).orderBy('lotteryId').orderBy('position').execute();

export const listLotteries = (tx: Tx, workspaceId: string, limit: number, before?: TimeCursor) =>
  tx.selectFrom('lotteries').selectAll().where('workspaceId', '=', workspaceId)
    .$if(!!before, (q) => q.where((eb) => eb.or([eb('createdAt', '<', before!.createdAt), eb.and([eb('createdAt', '=', before!.createdAt), eb('id', '<', before!.id)])])))
    .orderBy('createdAt', 'desc').orderBy('id', 'desc').limit(limit + 1).execute();

/** Lotteries running at `at` (event rules, reconciliation). */
export const runningLotteries = (tx: Tx, workspaceId: string, at: Date) =>
  tx.selectFrom('lotteries').selectAll().where('workspaceId', '=', workspaceId).where('startAt', '<=', at).where('endAt', '>', at).execute();

/** Lotteries of every workspace that ended by `cutoff` and whose counters are still kept (the partial index of migration 0021). */
export const lotteriesToDropCounters = (tx: Tx, cutoff: Date, limit: number) =>
  tx.selectFrom('lotteries').select(['workspaceId', 'id']).where('endAt', '<=', cutoff).where('countersDroppedAt', 'is', null).orderBy('endAt').limit(limit).execute();

/** Locks one of them again, skipping it when a PATCH holds it or it no longer qualifies (reopened, already dropped). */
export const lockLotteryToDropCounters = (tx: Tx, workspaceId: string, id: string, cutoff: Date) =>
  tx.selectFrom('lotteries').select(['workspaceId', 'id']).where('workspaceId', '=', workspaceId).where('id', '=', id)
    .where('endAt', '<=', cutoff).where('countersDroppedAt', 'is', null).forUpdate().skipLocked().executeTakeFirst();

export const markCountersDropped = (tx: Tx, workspaceId: string, id: string, at: Date | null) =>
  tx.updateTable('lotteries').set({ countersDroppedAt: at }).where('workspaceId', '=', workspaceId).where('id', '=', id).execute();

/** Every workspace's lotteries that ended less than `since` ago or are still to end (reconciliation). */
export const lotteriesSince = (tx: Tx, since: Date) =>
  tx.selectFrom('lotteries').selectAll().where('endAt', '>', since).orderBy('workspaceId').orderBy('id').execute();

export const updateLottery = (tx: Tx, workspaceId: string, id: string, set: Record<string, unknown>, now: Date) =>
  tx.updateTable('lotteries').set({ ...set, updatedAt: now }).where('workspaceId', '=', workspaceId).where('id', '=', id).execute();

export const updatePrize = (tx: Tx, workspaceId: string, lotteryId: string, key: string, set: Record<string, unknown>) =>
  tx.updateTable('lotteryPrizes').set(set).where('workspaceId', '=', workspaceId).where('lotteryId', '=', lotteryId).where('key', '=', key).executeTakeFirst();

// ---- chances ----

/** Creates the balance row if needed and locks it; returns the chances. */
export async function lockChances(tx: Tx, workspaceId: string, lotteryId: string, userId: string, now: Date): Promise<number> {
  const r = await tx.insertInto('lotteryChanceBalances').values({ workspaceId, lotteryId, userId, chances: 0, updatedAt: now })
    .onConflict((oc) => oc.columns(['workspaceId', 'lotteryId', 'userId']).doUpdateSet((eb) => ({ chances: eb.ref('lotteryChanceBalances.chances') })))
    .returning('chances').executeTakeFirstOrThrow();
  return r.chances;
}

/** Users by externalId with their chances in one lottery (0 without a balance row): the draw path's batched read. */
export async function usersWithChances(tx: Tx, workspaceId: string, lotteryId: string, externalIds: readonly string[]): Promise<Map<string, { id: string; chances: number }>> {
  const r = await sql<{ externalId: string; id: string; chances: number }>`/* prepared:lotteries.users-with-chances */
    select u.external_id, u.id,
      coalesce((select b.chances from lottery_chance_balances b where b.workspace_id = u.workspace_id and b.lottery_id = ${lotteryId} and b.user_id = u.id), 0) as chances
    from users u where u.workspace_id = ${workspaceId} and u.external_id = any(${externalIds}::text[])`.execute(tx);
  return new Map(r.rows.map((u) => [u.externalId, { id: u.id, chances: Number(u.chances) }]));
}

export const chancesOf = async (tx: Tx, workspaceId: string, lotteryId: string, userId: string): Promise<number> =>
  (await tx.selectFrom('lotteryChanceBalances').select('chances').where('workspaceId', '=', workspaceId).where('lotteryId', '=', lotteryId).where('userId', '=', userId).executeTakeFirst())?.chances ?? 0;

export const addChances = (tx: Tx, workspaceId: string, lotteryId: string, userId: string, delta: number, now: Date) =>
  tx.updateTable('lotteryChanceBalances').set((eb) => ({ chances: eb('chances', '+', delta), updatedAt: now }))
    .where('workspaceId', '=', workspaceId).where('lotteryId', '=', lotteryId).where('userId', '=', userId).returning('chances').executeTakeFirstOrThrow();

/** A ledger row; false when its ref exists (the grant was made before). */
export async function insertChanceEntry(tx: Tx, workspaceId: string, e: { lotteryId: string; userId: string; delta: number; reason: string; ref: string; rule?: number; day?: string; now: Date }): Promise<boolean> {
  const r = await tx.insertInto('lotteryChanceLedger').values({
    workspaceId, lotteryId: e.lotteryId, userId: e.userId, delta: e.delta, reason: e.reason, ref: e.ref, rule: e.rule ?? null, day: e.day ?? null, createdAt: e.now,
  }).onConflict((oc) => oc.columns(['workspaceId', 'lotteryId', 'ref']).doNothing()).returning('id').executeTakeFirst();
  return !!r;
}

export const chanceEntryExists = async (tx: Tx, workspaceId: string, lotteryId: string, ref: string): Promise<boolean> =>
  !!(await tx.selectFrom('lotteryChanceLedger').select('id').where('workspaceId', '=', workspaceId).where('lotteryId', '=', lotteryId).where('ref', '=', ref).executeTakeFirst());

export const ruleGrantsOnDay = async (tx: Tx, workspaceId: string, lotteryId: string, userId: string, rule: number, day: string): Promise<number> =>
  Number((await tx.selectFrom('lotteryChanceLedger').select((eb) => eb.fn.countAll<string>().as('n'))
    .where('workspaceId', '=', workspaceId).where('lotteryId', '=', lotteryId).where('userId', '=', userId).where('rule', '=', rule).where('day', '=', day).executeTakeFirstOrThrow()).n);

// ---- draws ----

export const drawById = (tx: Tx, workspaceId: string, id: string) =>
  tx.selectFrom('lotteryDraws').selectAll().where('workspaceId', '=', workspaceId).where('id', '=', id).executeTakeFirst();

export const lockDraw = (tx: Tx, workspaceId: string, id: string) =>
  tx.selectFrom('lotteryDraws').selectAll().where('workspaceId', '=', workspaceId).where('id', '=', id).forUpdate().executeTakeFirst();

export const drawByRef = (tx: Tx, workspaceId: string, lotteryId: string, requestRef: string) =>
  tx.selectFrom('lotteryDraws').selectAll().where('workspaceId', '=', workspaceId).where('lotteryId', '=', lotteryId).where('requestRef', '=', requestRef).executeTakeFirst();

export const markDelivery = (tx: Tx, workspaceId: string, id: string, set: { deliveryStatus: string; couponId?: string | null; couponCode?: string | null; deliveryError?: string | null; deliveredAt?: Date | null }) =>
  tx.updateTable('lotteryDraws').set((eb) => ({ ...set, deliveryAttempts: eb('deliveryAttempts', '+', 1) }))
    .where('workspaceId', '=', workspaceId).where('id', '=', id).where('deliveryStatus', '=', 'pending').executeTakeFirst();

export const drawCounts = (tx: Tx, workspaceId: string, lotteryId: string) =>
  tx.selectFrom('lotteryDraws').select(['prizeKey', 'deliveryStatus', (eb) => eb.fn.countAll<string>().as('n')])
    .where('workspaceId', '=', workspaceId).where('lotteryId', '=', lotteryId).groupBy(['prizeKey', 'deliveryStatus']).execute();

/** Wins per (prize, user) for prizes with a per-user limit (reconciliation). */
export const winsPerUser = (tx: Tx, workspaceId: string, lotteryId: string, prizeKey: string) =>
  tx.selectFrom('lotteryDraws').select(['userId', (eb) => eb.fn.countAll<string>().as('n')])
    .where('workspaceId', '=', workspaceId).where('lotteryId', '=', lotteryId).where('prizeKey', '=', prizeKey).groupBy('userId').execute();

/** Draws per user on one local day (reconciliation of daily limits). */
export const drawsPerUserOnDay = (tx: Tx, workspaceId: string, lotteryId: string, day: string) =>
  tx.selectFrom('lotteryDraws').select(['userId', (eb) => eb.fn.countAll<string>().as('n')])
    .where('workspaceId', '=', workspaceId).where('lotteryId', '=', lotteryId).where('day', '=', day).groupBy('userId').execute();

export const listDraws = (tx: Tx, workspaceId: string, lotteryId: string, limit: number, before?: TimeCursor) =>
  tx.selectFrom('lotteryDraws as d').innerJoin('users as u', (j) => j.onRef('u.id', '=', 'd.userId').onRef('u.workspaceId', '=', 'd.workspaceId'))
    .select(['d.id', 'd.prizeKey', 'd.deliveryStatus', 'd.couponCode', 'd.points', 'd.deliveryError', 'd.createdAt', 'u.externalId'])
    .where('d.workspaceId', '=', workspaceId).where('d.lotteryId', '=', lotteryId)
    .$if(!!before, (q) => q.where((eb) => eb.or([eb('d.createdAt', '<', before!.createdAt), eb.and([eb('d.createdAt', '=', before!.createdAt), eb('d.id', '<', before!.id)])])))
    .orderBy('d.createdAt', 'desc').orderBy('d.id', 'desc').limit(limit + 1).execute();

/** Draws per lottery in [from, to) (the alerts' rate monitor). */
export const drawsBetween = (tx: Tx, workspaceId: string, from: Date, to: Date) =>
  tx.selectFrom('lotteryDraws').select(['lotteryId', (eb) => eb.fn.countAll<string>().as('n')])
    .where('workspaceId', '=', workspaceId).where('createdAt', '>=', from).where('createdAt', '<', to).groupBy('lotteryId').execute();

/** Pending deliveries older than `before` (the sweeper re-enqueues them). */
export const stalePending = (tx: Tx, before: Date, limit: number) =>
  tx.selectFrom('lotteryDraws').select(['workspaceId', 'id']).where('deliveryStatus', '=', 'pending').where('createdAt', '<', before).orderBy('createdAt').limit(limit).execute();


/** A failed attempt that will be retried: the draw stays pending, with the reason. */
export const noteDeliveryError = (tx: Tx, workspaceId: string, id: string, error: string) =>
  tx.updateTable('lotteryDraws').set((eb) => ({ deliveryError: error.slice(0, 500), deliveryAttempts: eb('deliveryAttempts', '+', 1) }))
    .where('workspaceId', '=', workspaceId).where('id', '=', id).where('deliveryStatus', '=', 'pending').execute();

/**
 * A draw's ledger writes in one statement: spend the chances (never below zero), the chance
 * ledger row and the draw row — the inserts select from the update, so with too few chances
 * nothing is written and no row comes back. One statement is atomic on its own; the caller
 * wraps it in a transaction only when a delivery job must commit with it.
 */
export interface DrawRecord {
  id: string; lotteryId: string; userId: string; cost: number; pool: number | null; prizeKey: string | null; day: string; requestRef: string | null;
  deliveryStatus: string; points: number | null; now: Date;
}

/**
 * Records draws: for each, spend the chances (a conditional update, never below zero), the
 * ledger row and the draw row — only where the chances were there. Returns the ids of the draws
 * recorded. One call of ml_record_draws (migration 0018: it locks the balances in (lottery,
 * user) order, then spends them in a second statement that sees them as locked), so `tx` may
 * be the pool: the call then commits alone, one round trip. At most one draw per (lottery,
 * user) per call: one UPDATE cannot change a row twice, so the writer sends a user's second
 * draw of a batch in a second call of one transaction, which sees the first one's balance.
 * The batch goes as one JSON array, times in epoch ms (objects with ISO dates were twice the
 * bytes and most of the writer's client CPU).
 */
export async function recordDraws(tx: Tx, workspaceId: string, draws: readonly DrawRecord[]): Promise<Set<string>> {
  if (draws.length === 0) return new Set();
  const json = JSON.stringify(draws.map((d) => [
    d.id, d.lotteryId, d.userId, d.cost, d.pool, d.prizeKey, d.day, d.requestRef, d.deliveryStatus, d.points, d.now.getTime(),
  ]));
  const r = await sql<{ id: string }>`/* prepared:lotteries.record-draws */ select id from ml_record_draws(${workspaceId}, ${json}::jsonb) as id`.execute(tx);
  return new Set(r.rows.map((x) => x.id));
}
