import type { Platform } from '../platform/context.ts';
import { AppError, notFound } from '../platform/errors.ts';
import { KeyedBatcher } from '../platform/batcher.ts';
import { newId } from '../platform/ids.ts';
import type { TakeItem } from '../platform/counters/counters.port.ts';
import { dayWindow } from '../platform/counters/counters.windows.ts';
import type { Definition } from '../audiences/definition.schema.ts';
import * as segments from '../audiences/segments.service.ts';
import { cryptoRng, sampleAlias, type DrawRng } from './alias-table.ts';
import { cachedLottery, cachedTimezone, keys, statusAt, type LotteryConfig, type PrizeTable } from './lottery-config.ts';
import * as repo from './lotteries.repo.ts';
import type { DrawView } from './lotteries.schema.ts';
import { deliverPrize } from './prize-delivery.ts';
import { drawWriter } from './draw-writer.ts';
import * as peers from './reward-peers.ts';

export const DELIVER_JOB = 'lotteries.deliver-prize';
// The job is the fallback of the inline delivery right after the draw: due a little later, so
// it normally finds the prize delivered and does nothing.
const DELIVERY_FALLBACK_MS = 30_000;

let rng: DrawRng = cryptoRng;
/** Replaces the draw's random source (tests: a seeded one); returns the previous one. */
export function setDrawRng(next: DrawRng): DrawRng {
  const prev = rng;
  rng = next;
  return prev;
}

/** The first pool whose segment contains the user decides the table; none: the base table. */
export async function tableFor(p: Platform, l: LotteryConfig, userId: string): Promise<{ pool: number | null; table: PrizeTable }> {
  for (const [i, pool] of l.pools.entries()) {
    const seg = await segments.getSegment(p, l.workspaceId, pool.segmentId).catch(() => null);
    if (seg && (await segments.userInDefinition(p, l.workspaceId, userId, seg.definition as Definition))) return { pool: i, table: l.poolTables[i]! };
  }
  return { pool: null, table: l.base };
}

const PG_UNIQUE = '23505';

/**
 * One draw for one user (contracts.md). Order of the steps, and why:
 * 1. kill switch, a repeated requestRef (answers the first draw), running window, a cheap
 *    chance check (no counter churn for users without chances);
 * 2. the outcome from the alias table of the user's pool (crypto RNG, O(1));
 * 3. one atomic `takeMany` on the Counters port: the user's draws today (workspace-local day)
 *    + the prize's stock + the user's wins of that prize. If the prize part refuses, the
 *    outcome becomes "no prize" — the prize's weight stays, so no other odds rise — and only
 *    the daily draw is taken;
 * 4. one call (repo.recordDraws): spend the chances (conditional update: never below
 *    zero), the chance ledger row, the draw — with the delivery job when the prize has
 *    something to deliver, group-committed with concurrent draws (draw-writer.ts). When it
 *    fails the counters are given back;
 * 5. after commit, the prize is delivered inline (the answer then carries the coupon code); if
 *    that fails the job delivers it later, exactly once (prize-delivery.ts).
 * Throws `not_found`, `killed`, `not_running`, `no_chances`, `daily_limit_reached`.
 */
export async function drawForUser(p: Platform, input: { workspaceId: string; lotteryId: string; userId: string; requestRef?: string }, known: { chances?: number } = {}): Promise<DrawView> {
  const { workspaceId: ws, lotteryId, userId } = input;
  // Independent reads at once; the lottery and the timezone usually come from the process cache.
  const [l, tz, chances] = await Promise.all([cachedLottery(p, ws, lotteryId), cachedTimezone(p, ws), known.chances ?? repo.chancesOf(p.db, ws, lotteryId, userId)]);
  await peers.assertNotKilled(p, ws, [{ type: 'lottery', id: lotteryId }, ...(l.campaignId ? [{ type: 'campaign', id: l.campaignId }] : [])]);
  const now = p.clock.now();
  // A repeated request answers what it drew, even once the lottery has ended since.
  if (input.requestRef) {
    const prior = await repo.drawByRef(p.db, ws, lotteryId, input.requestRef);
    if (prior) return viewOf(l, prior);
  }
  if (statusAt(l, now) !== 'running') throw new AppError('not_running', statusAt(l, now) === 'scheduled' ? 'This lottery has not started yet.' : 'This lottery has ended.');
  if (chances < l.costPerDraw) throw new AppError('no_chances', 'No chances left to draw.');

  const { pool, table } = await tableFor(p, l, userId);
  let prizeKey = table.outcomes[sampleAlias(table.alias, rng)] ?? null;
  const day = dayWindow(now, tz);
  const daily: TakeItem[] = l.perUserDailyDraws ? [{ key: keys.dailyDraws(ws, lotteryId, userId), limit: l.perUserDailyDraws, window: day }] : [];
  const prizeItems = (key: string | null): TakeItem[] => {
    const prize = key ? l.prizes.find((x) => x.key === key) : undefined;
    if (!prize) return [];
    return [
      ...(prize.stock !== null ? [{ key: keys.stock(ws, lotteryId, prize.key), limit: prize.stock }] : []),
      ...(prize.perUserLimit !== null ? [{ key: keys.perUser(ws, lotteryId, prize.key, userId), limit: prize.perUserLimit }] : []),
    ];
  };
  let taken = [...daily, ...prizeItems(prizeKey)];
  if (taken.length > 0) {
    const r = await p.counters.takeMany(taken);
    if (!r.ok) {
      if (r.failedIndex < daily.length) throw new AppError('daily_limit_reached', `At most ${l.perUserDailyDraws} draws per day.`);
      // The prize is gone (or this user has won it enough): drawn as no prize.
      prizeKey = null;
      taken = daily;
      if (daily.length > 0 && !(await p.counters.takeMany(daily)).ok) throw new AppError('daily_limit_reached', `At most ${l.perUserDailyDraws} draws per day.`);
    }
  }
  const giveBack = async () => {
    for (const t of taken) await p.counters.give(t.key, t.amount ?? 1, t.window ? { window: t.window } : {}).catch((err) => p.log.error({ err, key: t.key }, 'counter give-back failed; reconciliation repairs it'));
  };

  const prize = prizeKey ? l.prizes.find((x) => x.key === prizeKey)! : null;
  const deliverable = !!prize && (prize.points !== null || prize.couponTemplateId !== null);
  const drawId = newId('drw');
  const record = {
    id: drawId, lotteryId, userId, cost: l.costPerDraw, pool, prizeKey, day: day.id, requestRef: input.requestRef ?? null,
    deliveryStatus: deliverable ? 'pending' : 'none', points: prize?.points ?? null, now,
  };
  try {
    const job = deliverable
      ? { name: DELIVER_JOB, payload: { workspaceId: ws, drawId }, runAt: new Date(now.getTime() + DELIVERY_FALLBACK_MS), jobKey: `lottery-deliver:${drawId}`, maxAttempts: 25 }
      : undefined;
    if (!(await drawWriter(p).write({ workspaceId: ws, record, job }))) throw new AppError('no_chances', 'No chances left to draw.');
  } catch (err) {
    await giveBack();
    if ((err as { code?: string }).code === PG_UNIQUE && input.requestRef) {
      const prior = await repo.drawByRef(p.db, ws, lotteryId, input.requestRef);
      if (prior) return viewOf(l, prior);
    }
    throw err;
  }
  if (!deliverable) return { drawId, prize: prize ? { key: prize.key, name: prize.name, delivery: 'none' } : null };
  const outcome = await deliverPrize(p, ws, drawId).catch((err: unknown) => {
    p.log.warn({ err, drawId }, 'inline prize delivery failed; the job retries');
    return { status: 'pending' as const };
  });
  return {
    drawId,
    prize: {
      key: prize!.key, name: prize!.name, delivery: outcome.status,
      ...(outcome.status === 'delivered' && outcome.couponCode ? { couponCode: outcome.couponCode } : {}),
      ...(prize!.points !== null ? { points: prize!.points } : {}),
    },
  };
}

type DrawRow = NonNullable<Awaited<ReturnType<typeof repo.drawById>>>;
function viewOf(l: LotteryConfig, d: DrawRow): DrawView {
  const prize = d.prizeKey ? l.prizes.find((x) => x.key === d.prizeKey) : undefined;
  if (!d.prizeKey) return { drawId: d.id, prize: null };
  return {
    drawId: d.id,
    prize: {
      key: d.prizeKey, name: prize?.name ?? d.prizeKey, delivery: d.deliveryStatus as 'delivered' | 'pending' | 'failed' | 'none',
      ...(d.couponCode ? { couponCode: d.couponCode } : {}), ...(d.points !== null ? { points: Number(d.points) } : {}),
    },
  };
}

/** POST /v1/lotteries/{id}/draw: the user by externalId; the Idempotency-Key (if any) is the requestRef. */
export async function drawByExternalId(p: Platform, workspaceId: string, lotteryId: string, externalId: string, idempotencyKey?: string): Promise<DrawView> {
  const user = await userReader(p).add(`${workspaceId}\u0000${lotteryId}`, externalId);
  if (!user) throw notFound('User');
  return drawForUser(p, { workspaceId, lotteryId, userId: user.id, requestRef: idempotencyKey ? `idem:${idempotencyKey}` : undefined }, { chances: user.chances });
}

/**
 * The API draw's user and chances, read for concurrent draws of one lottery together (one
 * `external_id = any(…)` query per batch instead of two round trips per draw). The chances are
 * the cheap early check only; the spending statement decides (repo.recordDraws).
 */
const readers = new WeakMap<Platform, KeyedBatcher<string, { id: string; chances: number } | undefined>>();
function userReader(p: Platform): KeyedBatcher<string, { id: string; chances: number } | undefined> {
  let r = readers.get(p);
  if (!r) {
    readers.set(p, (r = new KeyedBatcher(async (key, externalIds) => {
      const [ws, lotteryId] = key.split('\u0000') as [string, string];
      const found = await repo.usersWithChances(p.db, ws, lotteryId, [...new Set(externalIds)]);
      return externalIds.map((x) => found.get(x));
    })));
  }
  return r;
}
