import type { Platform } from '../platform/context.ts';
import type { Tx } from '../platform/db.ts';
import { decodeCursor, page } from '../platform/cursor.ts';
import { AppError, notFound } from '../platform/errors.ts';
import { newId } from '../platform/ids.ts';
import type { Principal } from '../workspaces/roles.ts';
import * as customers from '../customers/customers.service.ts';
import * as segments from '../audiences/segments.service.ts';
import * as workspaces from '../workspaces/workspaces.service.ts';
import * as points from '../points/points.service.ts';
import { invalidateEventHooks } from '../customers/event-hooks.ts';
import { forgetLottery, loadLotteries, loadLottery, lotteryView, statusAt, type LotteryConfig } from './lottery-config.ts';
import * as repo from './lotteries.repo.ts';
import { COUNTERS_KEPT_MS, rebuildLotteryCounters } from './lottery-counters-end.ts';
import type { CreateLotteryInput, LotteryView, PatchLotteryInput } from './lotteries.schema.ts';

export { drawForUser, drawByExternalId, setDrawRng } from './lottery-draw.ts';
import { tableFor } from './lottery-draw.ts';

/** Creates a lottery with its prize table and pools. Throws `validation_failed`, `not_found` (a pool's segment). */
export async function createLottery(p: Platform, who: Principal, input: CreateLotteryInput): Promise<LotteryView> {
  const now = p.clock.now();
  const id = newId('lot');
  const view = await p.db.transaction().execute(async (tx) => {
    for (const pool of input.pools) await segments.assertExists(tx, who.workspaceId, pool.segmentId);
    await repo.insertLottery(tx, who.workspaceId, {
      id, name: input.name, startAt: new Date(input.startAt), endAt: new Date(input.endAt), costPerDraw: input.costPerDraw,
      perUserDailyDraws: input.perUserDailyDraws ?? null, noPrizeWeight: input.noPrizeWeight, pointsPerChance: input.pointsPerChance ?? null,
      chanceRules: input.chanceRules, pools: input.pools, campaignId: input.campaignId ?? null, createdBy: who.actor, now,
    });
    await repo.insertPrizes(tx, who.workspaceId, id, input.prizes);
    await workspaces.audit(tx, who, 'lottery.create', 'lottery', id, { name: input.name, prizes: input.prizes.map((x) => x.key) }, now);
    return lotteryView(await loadLottery(tx, who.workspaceId, id), now);
  });
  if (input.chanceRules.length) invalidateEventHooks(who.workspaceId);
  return view;
}

export async function getLottery(p: Platform, workspaceId: string, id: string): Promise<LotteryView> {
  return lotteryView(await loadLottery(p.db, workspaceId, id), p.clock.now());
}

export async function listLotteries(p: Platform, workspaceId: string, limit: number, cursor?: string) {
  const rows = await repo.listLotteries(p.db, workspaceId, limit, decodeCursor(cursor));
  const now = p.clock.now();
  const configs = new Map<string, LotteryConfig>((await loadLotteries(p.db, workspaceId, rows.slice(0, limit))).map((c) => [c.id, c]));
  return page(rows, limit, (r) => lotteryView(configs.get(r.id)!, now));
}

/**
 * Changes a lottery. Stock changes take effect on the next draw (the counters get the limit
 * with every take, nothing is rewritten), so stock can be added while draws run; lowering it
 * below what was won just sells out the prize. Throws `not_found`, `validation_failed`.
 */
export async function patchLottery(p: Platform, who: Principal, id: string, patch: PatchLotteryInput): Promise<LotteryView> {
  const now = p.clock.now();
  const view = await p.db.transaction().execute(async (tx) => {
    const row = await repo.lockLottery(tx, who.workspaceId, id);
    if (!row) throw notFound('Lottery');
    const current = await loadLottery(tx, who.workspaceId, id);
    const set: Record<string, unknown> = {};
    if (patch.name !== undefined) set.name = patch.name;
    if (patch.startAt !== undefined) set.startAt = new Date(patch.startAt);
    if (patch.endAt !== undefined) set.endAt = new Date(patch.endAt);
    if (patch.perUserDailyDraws !== undefined) set.perUserDailyDraws = patch.perUserDailyDraws;
    if (patch.noPrizeWeight !== undefined) set.noPrizeWeight = patch.noPrizeWeight;
    if (patch.pointsPerChance !== undefined) set.pointsPerChance = patch.pointsPerChance;
    if (patch.chanceRules !== undefined) set.chanceRules = JSON.stringify(patch.chanceRules);
    if (patch.pools !== undefined) {
      for (const pool of patch.pools) await segments.assertExists(tx, who.workspaceId, pool.segmentId);
      set.pools = JSON.stringify(patch.pools);
    }
    const startAt = (set.startAt as Date | undefined) ?? current.startAt;
    const endAt = (set.endAt as Date | undefined) ?? current.endAt;
    if (endAt <= startAt) throw new AppError('validation_failed', 'endAt must be after startAt.', [{ path: 'endAt', message: 'Must be after startAt.' }]);
    for (const [i, pp] of (patch.prizes ?? []).entries()) {
      const { key, ...fields } = pp;
      if (!current.prizes.some((x) => x.key === key)) throw new AppError('validation_failed', `No prize with key ${key}.`, [{ path: `prizes[${i}].key`, message: 'Unknown prize key.' }]);
      if (Object.keys(fields).length) await repo.updatePrize(tx, who.workspaceId, id, key, fields);
    }
    await repo.updateLottery(tx, who.workspaceId, id, set, now);
    const updated = await loadLottery(tx, who.workspaceId, id); // throws on an all-zero table: the transaction rolls back
    for (const pool of updated.pools) {
      for (const pp of pool.prizes) if (!updated.prizes.some((x) => x.key === pp.key)) throw new AppError('validation_failed', `A pool names prize ${pp.key}, which does not exist.`, [{ path: 'pools', message: pp.key }]);
    }
    if (row.countersDroppedAt && endAt.getTime() > now.getTime() - COUNTERS_KEPT_MS) {
      // Reopened after its counters were dropped: rebuilt from the draw ledger before the new end is stored (lottery-counters-end.ts).
      await rebuildLotteryCounters(p, updated);
      await repo.markCountersDropped(tx, who.workspaceId, id, null);
    }
    await workspaces.audit(tx, who, 'lottery.update', 'lottery', id, patch, now);
    return lotteryView(updated, now);
  }).catch((err: unknown) => {
    if (err instanceof Error && err.message.startsWith('alias table:')) throw new AppError('validation_failed', 'The weights must not all be zero.', [{ path: 'prizes', message: err.message }]);
    throw err;
  });
  forgetLottery(who.workspaceId, id);
  if (patch.chanceRules !== undefined || patch.startAt !== undefined || patch.endAt !== undefined) invalidateEventHooks(who.workspaceId);
  return view;
}

/** Draws, wins by prize (from the draw ledger) and stock left. Throws `not_found`. */
export async function stats(p: Platform, workspaceId: string, id: string) {
  const l = await loadLottery(p.db, workspaceId, id);
  const rows = await repo.drawCounts(p.db, workspaceId, id);
  const won = new Map<string, number>();
  const delivery = { pending: 0, delivered: 0, failed: 0 };
  let draws = 0;
  for (const r of rows) {
    const n = Number(r.n);
    draws += n;
    if (r.prizeKey) won.set(r.prizeKey, (won.get(r.prizeKey) ?? 0) + n);
    if (r.deliveryStatus in delivery) delivery[r.deliveryStatus as keyof typeof delivery] += n;
  }
  return {
    draws, wins: [...won.values()].reduce((a, b) => a + b, 0), delivery,
    prizes: l.prizes.map((x) => ({ key: x.key, won: won.get(x.key) ?? 0, stock: x.stock, remaining: x.stock === null ? null : Math.max(0, x.stock - (won.get(x.key) ?? 0)) })),
  };
}

/** Draw records, newest first (the console's ledger view). */
export async function listDraws(p: Platform, workspaceId: string, id: string, limit: number, cursor?: string) {
  await loadLottery(p.db, workspaceId, id);
  const rows = await repo.listDraws(p.db, workspaceId, id, limit, decodeCursor(cursor));
  return page(rows, limit, (r) => ({
    drawId: r.id, externalId: r.externalId, prizeKey: r.prizeKey, delivery: r.deliveryStatus, couponCode: r.couponCode,
    points: r.points === null ? null : Number(r.points), error: r.deliveryError, createdAt: r.createdAt.toISOString(),
  }));
}

/**
 * Grants chances inside the caller's transaction, idempotent on `ref` (a repeat changes
 * nothing and answers the balance). Returns the balance and whether this call granted.
 */
export async function grantChancesIn(tx: Tx, workspaceId: string, g: { lotteryId: string; userId: string; amount: number; reason: string; ref: string; rule?: number; day?: string; now: Date }): Promise<{ chances: number; granted: boolean }> {
  const balance = await repo.lockChances(tx, workspaceId, g.lotteryId, g.userId, g.now);
  if (!(await repo.insertChanceEntry(tx, workspaceId, { lotteryId: g.lotteryId, userId: g.userId, delta: g.amount, reason: g.reason, ref: g.ref, rule: g.rule, day: g.day, now: g.now }))) {
    return { chances: balance, granted: false };
  }
  const r = await repo.addChances(tx, workspaceId, g.lotteryId, g.userId, g.amount, g.now);
  return { chances: r.chances, granted: true };
}

/** POST /v1/lotteries/{id}/chances: a grant by API, idempotent on refId (or the Idempotency-Key). Throws `not_found`, `not_running` (ended). */
export async function grantChances(p: Platform, who: Principal, lotteryId: string, input: { externalId: string; amount: number; reason: string; refId?: string }, idempotencyKey?: string) {
  const now = p.clock.now();
  return p.db.transaction().execute(async (tx) => {
    const l = await loadLottery(tx, who.workspaceId, lotteryId);
    if (statusAt(l, now) === 'ended') throw new AppError('not_running', 'This lottery has ended.');
    const userId = await customers.internalId(tx, who.workspaceId, input.externalId);
    const ref = input.refId ? `api:${input.refId}` : idempotencyKey ? `idem:${idempotencyKey}` : `api:${newId('chg')}`;
    const r = await grantChancesIn(tx, who.workspaceId, { lotteryId, userId, amount: input.amount, reason: input.reason, ref, now });
    if (r.granted) await workspaces.audit(tx, who, 'lottery.chances', 'lottery', lotteryId, { externalId: input.externalId, amount: input.amount, reason: input.reason }, now);
    return { externalId: input.externalId, chances: r.chances };
  });
}

/**
 * POST /v1/lotteries/{id}/exchange: points → chances at the lottery's `pointsPerChance`, in
 * one transaction (both ledgers or neither). Idempotent on refId / Idempotency-Key.
 * Throws `not_found`, `invalid_state` (no exchange rate), `not_running`, `insufficient_points`.
 */
export async function exchange(p: Platform, who: Principal, lotteryId: string, input: { externalId: string; chances: number; refId?: string }, idempotencyKey?: string) {
  const now = p.clock.now();
  return p.db.transaction().execute(async (tx) => {
    const l = await loadLottery(tx, who.workspaceId, lotteryId);
    if (!l.pointsPerChance) throw new AppError('invalid_state', 'This lottery does not exchange points for chances (no pointsPerChance).');
    if (statusAt(l, now) === 'ended') throw new AppError('not_running', 'This lottery has ended.');
    const userId = await customers.internalId(tx, who.workspaceId, input.externalId);
    const ref = input.refId ?? (idempotencyKey ? `idem:${idempotencyKey}` : newId('xch'));
    const cost = l.pointsPerChance * input.chances;
    const debit = await points.debitIn(tx, who.workspaceId, { userId, amount: cost, reason: `exchange for ${input.chances} chances of ${lotteryId}`, refId: `lottery:${lotteryId}:exchange:${ref}`, now });
    const r = await grantChancesIn(tx, who.workspaceId, { lotteryId, userId, amount: input.chances, reason: 'points exchange', ref: `xchg:${ref}`, now });
    return { externalId: input.externalId, chances: r.chances, pointsSpent: cost, pointsBalance: debit.balance };
  });
}

/** GET /v1/lotteries/{id}/chances/{externalId}. Throws `not_found`. */
export async function chancesByExternalId(p: Platform, workspaceId: string, lotteryId: string, externalId: string) {
  await loadLottery(p.db, workspaceId, lotteryId);
  const userId = await customers.internalId(p.db, workspaceId, externalId);
  return { externalId, chances: await repo.chancesOf(p.db, workspaceId, lotteryId, userId) };
}

/** A user's chances (contracts.md; internal user id). */
export const chancesOf = (p: Platform, workspaceId: string, lotteryId: string, userId: string): Promise<number> => repo.chancesOf(p.db, workspaceId, lotteryId, userId);

/**
 * What an H5 page shows (contracts.md): each prize with its probability. With `userId`, the
 * table that user is drawn from (their pool's, else the base one), so the odds shown are the
 * odds drawn. Throws `not_found`.
 */
export async function getLotteryPublic(p: Platform, workspaceId: string, lotteryId: string, userId?: string) {
  const l = await loadLottery(p.db, workspaceId, lotteryId);
  const v = lotteryView(l, p.clock.now());
  const { pool } = userId ? await tableFor(p, l, userId) : { pool: null };
  const names = new Map(l.prizes.map((x) => [x.key, x.name]));
  const prizes = pool === null
    ? v.prizes.map((x) => ({ key: x.key, name: x.name, probability: x.probability }))
    : v.pools[pool]!.prizes.map((x) => ({ key: x.key, name: names.get(x.key) ?? x.key, probability: x.probability }));
  return { id: v.id, name: v.name, startAt: v.startAt, endAt: v.endAt, status: v.status, costPerDraw: v.costPerDraw, pointsPerChance: v.pointsPerChance, prizes };
}
