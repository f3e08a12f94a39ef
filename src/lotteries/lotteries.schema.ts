import { z } from 'zod';
import { pgText } from '../platform/text.ts';
import { MAX_TOTAL_WEIGHT } from './alias-table.ts';

const weight = z.number().int().min(0).max(1_000_000_000);
const prizeKey = z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, 'Letters, digits, _ and -, at most 40.');

export const prizeInput = z.strictObject({
  key: prizeKey,
  name: pgText(1, 200),
  weight,
  /** Units that may be won; null: no limit. */
  stock: z.number().int().min(0).max(1_000_000_000).nullable(),
  couponTemplateId: z.string().min(1).max(100).optional(),
  points: z.number().int().min(1).max(1_000_000_000).optional(),
  /** How many times one user may win this prize. */
  perUserLimit: z.number().int().min(1).max(1_000_000).optional(),
}).refine((p) => !(p.couponTemplateId && p.points), { path: ['points'], message: 'A prize is a coupon or points, not both.' });
export type PrizeInput = z.infer<typeof prizeInput>;

export const poolInput = z.strictObject({
  segmentId: z.string().min(1).max(100),
  /** The pool's own weight of drawing nothing; absent: the lottery's. */
  noPrizeWeight: weight.optional(),
  prizes: z.array(z.strictObject({ key: prizeKey, weight })).min(1).max(50),
});
export type PoolInput = z.infer<typeof poolInput>;

export const chanceRule = z.strictObject({
  event: pgText(1, 200),
  chances: z.number().int().min(1).max(1000),
  /** At most this many grants by this rule per user per workspace-local day. */
  maxPerDay: z.number().int().min(1).max(1000).optional(),
});
export type ChanceRule = z.infer<typeof chanceRule>;

const iso = z.iso.datetime({ offset: true });

function checkTable(prizes: { key: string; weight: number }[], noPrizeWeight: number, ctx: z.RefinementCtx, path: (string | number)[]) {
  const total = prizes.reduce((a, p) => a + p.weight, noPrizeWeight);
  if (total <= 0) ctx.addIssue({ code: 'custom', path, message: 'The weights (prizes and noPrizeWeight) must not all be zero.' });
  if (total > MAX_TOTAL_WEIGHT) ctx.addIssue({ code: 'custom', path, message: `The weights add up to more than ${MAX_TOTAL_WEIGHT}.` });
  const seen = new Set<string>();
  prizes.forEach((p, i) => {
    if (seen.has(p.key)) ctx.addIssue({ code: 'custom', path: [...path, i, 'key'], message: `Prize key ${p.key} appears twice.` });
    seen.add(p.key);
  });
}

export const createLotteryBody = z.strictObject({
  name: pgText(1, 200),
  startAt: iso,
  endAt: iso,
  costPerDraw: z.number().int().min(1).max(1000).default(1),
  perUserDailyDraws: z.number().int().min(1).max(1_000_000).optional(),
  noPrizeWeight: weight.default(0),
  /** Points one chance costs in POST /v1/lotteries/{id}/exchange; absent: no exchange. */
  pointsPerChance: z.number().int().min(1).max(1_000_000_000).optional(),
  chanceRules: z.array(chanceRule).max(20).default([]),
  campaignId: z.string().min(1).max(100).optional(),
  prizes: z.array(prizeInput).min(1).max(50),
  pools: z.array(poolInput).max(20).default([]),
}).superRefine((b, ctx) => {
  if (new Date(b.endAt) <= new Date(b.startAt)) ctx.addIssue({ code: 'custom', path: ['endAt'], message: 'endAt must be after startAt.' });
  checkTable(b.prizes, b.noPrizeWeight, ctx, ['prizes']);
  const keys = new Set(b.prizes.map((p) => p.key));
  b.pools.forEach((pool, i) => {
    checkTable(pool.prizes, pool.noPrizeWeight ?? b.noPrizeWeight, ctx, ['pools', i, 'prizes']);
    pool.prizes.forEach((pp, j) => {
      if (!keys.has(pp.key)) ctx.addIssue({ code: 'custom', path: ['pools', i, 'prizes', j, 'key'], message: `No prize with key ${pp.key}.` });
    });
  });
});
export type CreateLotteryInput = z.infer<typeof createLotteryBody>;

/** Stock, weights, names and limits of existing prizes change in place (by key); the rest of the table is fixed once created. */
export const patchLotteryBody = z.strictObject({
  name: pgText(1, 200).optional(),
  startAt: iso.optional(),
  endAt: iso.optional(),
  perUserDailyDraws: z.number().int().min(1).max(1_000_000).nullable().optional(),
  noPrizeWeight: weight.optional(),
  pointsPerChance: z.number().int().min(1).max(1_000_000_000).nullable().optional(),
  chanceRules: z.array(chanceRule).max(20).optional(),
  prizes: z.array(z.strictObject({
    key: prizeKey,
    name: pgText(1, 200).optional(),
    weight: weight.optional(),
    stock: z.number().int().min(0).max(1_000_000_000).nullable().optional(),
    perUserLimit: z.number().int().min(1).max(1_000_000).nullable().optional(),
  })).max(50).optional(),
  pools: z.array(poolInput).max(20).optional(),
});
export type PatchLotteryInput = z.infer<typeof patchLotteryBody>;

const probability = z.number().describe('The chance of this outcome per draw, 0..1 (weight / total weight).');

export const prizeView = z.object({
  key: z.string(), name: z.string(), weight: z.number(), probability, stock: z.number().nullable(),
  couponTemplateId: z.string().nullable(), points: z.number().nullable(), perUserLimit: z.number().nullable(),
});
export const lotteryView = z.object({
  id: z.string(), name: z.string(), status: z.enum(['scheduled', 'running', 'ended']), startAt: z.string(), endAt: z.string(),
  costPerDraw: z.number(), perUserDailyDraws: z.number().nullable(), noPrizeWeight: z.number(), noPrizeProbability: probability,
  pointsPerChance: z.number().nullable(), chanceRules: z.array(chanceRule), campaignId: z.string().nullable(),
  prizes: z.array(prizeView),
  pools: z.array(z.object({ segmentId: z.string(), noPrizeWeight: z.number(), noPrizeProbability: probability, prizes: z.array(z.object({ key: z.string(), weight: z.number(), probability })) })),
  createdAt: z.string(), updatedAt: z.string(),
});
export type LotteryView = z.infer<typeof lotteryView>;

export const chancesBody = z.strictObject({
  externalId: z.string().min(1).max(200),
  amount: z.number().int().min(1).max(1_000_000),
  reason: pgText(1, 200),
  /** Makes the grant idempotent in the domain too (like the Idempotency-Key header). */
  refId: pgText(1, 200).optional(),
});
export const chancesView = z.object({ externalId: z.string(), chances: z.number() });

export const drawBody = z.strictObject({ externalId: z.string().min(1).max(200) });
export const drawView = z.object({
  drawId: z.string(),
  prize: z.object({
    key: z.string(), name: z.string(),
    couponCode: z.string().optional(),
    points: z.number().optional(),
    /** delivered: granted inline; pending: granted by the retrying job (the code then appears in the draw's record); failed: could not be granted (an alert was raised). */
    delivery: z.enum(['delivered', 'pending', 'failed', 'none']),
  }).nullable(),
});
export type DrawView = z.infer<typeof drawView>;

export const exchangeBody = z.strictObject({
  externalId: z.string().min(1).max(200),
  chances: z.number().int().min(1).max(10_000),
  refId: pgText(1, 200).optional(),
});
export const exchangeView = z.object({ externalId: z.string(), chances: z.number(), pointsSpent: z.number(), pointsBalance: z.number() });

export const statsView = z.object({
  draws: z.number(),
  wins: z.number(),
  delivery: z.object({ pending: z.number(), delivered: z.number(), failed: z.number() }),
  prizes: z.array(z.object({ key: z.string(), won: z.number(), stock: z.number().nullable(), remaining: z.number().nullable() })),
});

export const drawRecordView = z.object({
  drawId: z.string(), externalId: z.string(), prizeKey: z.string().nullable(), delivery: z.string(), couponCode: z.string().nullable(),
  points: z.number().nullable(), error: z.string().nullable(), createdAt: z.string(),
});
