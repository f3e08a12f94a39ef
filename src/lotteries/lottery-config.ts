import { z } from 'zod';
import { TtlCache } from '../platform/ttl-cache.ts';
import type { Platform } from '../platform/context.ts';
import * as workspaces from '../workspaces/workspaces.service.ts';
import type { Tx } from '../platform/db.ts';
import { notFound } from '../platform/errors.ts';
import { counterKey, type CounterKey } from '../platform/counters/counters.keys.ts';
import { buildAliasTable, type AliasTable } from './alias-table.ts';
import * as repo from './lotteries.repo.ts';
import { chanceRule, poolInput, type ChanceRule, type LotteryView, type PoolInput } from './lotteries.schema.ts';

/** A lottery as the draw needs it: the row, its prizes, and one alias table per prize table. */
export interface Prize {
  key: string; name: string; weight: number; stock: number | null;
  couponTemplateId: string | null; points: number | null; perUserLimit: number | null;
}
export interface PrizeTable {
  /** outcomes[i]: a prize key, or null for "no prize". */
  outcomes: (string | null)[];
  weights: number[];
  alias: AliasTable;
}
export interface LotteryConfig {
  workspaceId: string; id: string; name: string; startAt: Date; endAt: Date; costPerDraw: number; perUserDailyDraws: number | null;
  noPrizeWeight: number; pointsPerChance: number | null; chanceRules: ChanceRule[]; campaignId: string | null;
  prizes: Prize[]; pools: PoolInput[]; createdAt: Date; updatedAt: Date;
  /** The base table (no pool), then one per pool, in order. */
  base: PrizeTable; poolTables: PrizeTable[];
}

// JSONB is an edge too: re-parsed on read.
const storedRules = z.array(chanceRule);
const storedPools = z.array(poolInput);

type LotteryRow = NonNullable<Awaited<ReturnType<typeof repo.lotteryById>>>;
type PrizeRow = Awaited<ReturnType<typeof repo.prizesOf>>[number];

function table(prizes: { key: string; weight: number }[], noPrizeWeight: number): PrizeTable {
  const outcomes: (string | null)[] = [...prizes.map((p) => p.key), null];
  const weights = [...prizes.map((p) => p.weight), noPrizeWeight];
  return { outcomes, weights, alias: buildAliasTable(weights) };
}

export function toConfig(row: LotteryRow, prizeRows: PrizeRow[]): LotteryConfig {
  const prizes: Prize[] = prizeRows.map((p) => ({
    key: p.key, name: p.name, weight: Number(p.weight), stock: p.stock === null ? null : Number(p.stock),
    couponTemplateId: p.couponTemplateId, points: p.points === null ? null : Number(p.points), perUserLimit: p.perUserLimit,
  }));
  const pools = storedPools.parse(row.pools);
  const noPrizeWeight = Number(row.noPrizeWeight);
  return {
    workspaceId: row.workspaceId, id: row.id, name: row.name, startAt: row.startAt, endAt: row.endAt, costPerDraw: row.costPerDraw,
    perUserDailyDraws: row.perUserDailyDraws, noPrizeWeight, pointsPerChance: row.pointsPerChance,
    chanceRules: storedRules.parse(row.chanceRules), campaignId: row.campaignId, prizes, pools, createdAt: row.createdAt, updatedAt: row.updatedAt,
    base: table(prizes, noPrizeWeight),
    poolTables: pools.map((pool) => table(pool.prizes, pool.noPrizeWeight ?? noPrizeWeight)),
  };
}

/** Throws `not_found`. */
export async function loadLottery(tx: Tx, workspaceId: string, id: string): Promise<LotteryConfig> {
  // Both at once (on the pool they run in parallel; in a transaction they queue on its connection).
  const [row, prizes] = await Promise.all([repo.lotteryById(tx, workspaceId, id), repo.prizesOf(tx, workspaceId, [id])]);
  if (!row) throw notFound('Lottery');
  return toConfig(row, prizes);
}

export async function loadLotteries(tx: Tx, workspaceId: string, rows: LotteryRow[]): Promise<LotteryConfig[]> {
  const prizes = await repo.prizesOf(tx, workspaceId, rows.map((r) => r.id));
  return rows.map((r) => toConfig(r, prizes.filter((p) => p.lotteryId === r.id)));
}

export const statusAt = (l: { startAt: Date; endAt: Date }, now: Date): 'scheduled' | 'running' | 'ended' =>
  now < l.startAt ? 'scheduled' : now < l.endAt ? 'running' : 'ended';

const prob = (w: number, total: number) => (total === 0 ? 0 : w / total);
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

export function lotteryView(l: LotteryConfig, now: Date): LotteryView {
  const total = sum(l.base.weights);
  return {
    id: l.id, name: l.name, status: statusAt(l, now), startAt: l.startAt.toISOString(), endAt: l.endAt.toISOString(),
    costPerDraw: l.costPerDraw, perUserDailyDraws: l.perUserDailyDraws, noPrizeWeight: l.noPrizeWeight, noPrizeProbability: prob(l.noPrizeWeight, total),
    pointsPerChance: l.pointsPerChance, chanceRules: l.chanceRules, campaignId: l.campaignId,
    prizes: l.prizes.map((p) => ({ ...p, probability: prob(p.weight, total) })),
    pools: l.pools.map((pool, i) => {
      const t = sum(l.poolTables[i]!.weights);
      const none = pool.noPrizeWeight ?? l.noPrizeWeight;
      return { segmentId: pool.segmentId, noPrizeWeight: none, noPrizeProbability: prob(none, t), prizes: pool.prizes.map((pp) => ({ ...pp, probability: prob(pp.weight, t) })) };
    }),
    createdAt: l.createdAt.toISOString(), updatedAt: l.updatedAt.toISOString(),
  };
}

/** Counter keys of one lottery: one hash tag, so a draw's takes are one atomic step (docs/counters.md). */
export const keys = {
  stock: (ws: string, lotteryId: string, prize: string): CounterKey => counterKey(ws, `lot:${lotteryId}`, `prize:${prize}:stock`),
  perUser: (ws: string, lotteryId: string, prize: string, userId: string): CounterKey => counterKey(ws, `lot:${lotteryId}`, `prize:${prize}:user:${userId}`),
  dailyDraws: (ws: string, lotteryId: string, userId: string): CounterKey => counterKey(ws, `lot:${lotteryId}`, `user:${userId}:draws`),
};

/**
 * The draw path reads the lottery and the workspace timezone on every call; both are cached
 * for about a second in the process (the coupons' grant path does the same). A PATCH through
 * this process applies at once (`forgetLottery`); another process sees it within CACHE_MS.
 * Raising stock is therefore seen within a second everywhere; lowering it may let another
 * process draw against the old stock for that second — never beyond the stock it had then,
 * because the counters decide with the limit each take carries.
 */
const CACHE_MS = 1000;
const lotteryCache = new TtlCache<LotteryConfig>(CACHE_MS);
const tzCache = new TtlCache<string>(60 * CACHE_MS);

export function cachedLottery(p: Platform, workspaceId: string, id: string): Promise<LotteryConfig> {
  return lotteryCache.get(`${workspaceId}:${id}`, () => loadLottery(p.db, workspaceId, id));
}

/** After a PATCH through this process: the next draw reads the lottery again (a read already running is not kept). */
export function forgetLottery(workspaceId: string, id: string): void {
  lotteryCache.delete(`${workspaceId}:${id}`);
}

export function cachedTimezone(p: Platform, workspaceId: string): Promise<string> {
  return tzCache.get(workspaceId, async () => (await workspaces.settings(p.db, workspaceId)).timezone);
}
