import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, newWorkspace, type Client, type Harness } from './support/harness.ts';
import { expectOk } from './support/fixtures.ts';
import { seededRng } from '../src/lotteries/alias-table.ts';
import { getLotteryPublic, setDrawRng } from '../src/lotteries/lotteries.service.ts';
import { chiSquare, CHI2_999 } from '../src/lotteries/chi-square.ts';
import { drawForUser } from '../src/lotteries/lottery-draw.ts';
import { recordDraws } from '../src/lotteries/lotteries.repo.ts';
import * as customers from '../src/customers/customers.service.ts';
import { keys as lotteryKeys } from '../src/lotteries/lottery-config.ts';
import { dropEndedLotteryCounters } from '../src/lotteries/lottery-counters-end.ts';

let h: Harness;
beforeAll(async () => { h = await createHarness(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}); });
afterAll(async () => { await h.close(); });

const DAY = 86_400_000;
const window = () => ({ startAt: new Date(h.clock.now().getTime() - DAY).toISOString(), endAt: new Date(h.clock.now().getTime() + 30 * DAY).toISOString() });

async function users(api: Client, ids: string[], attributes: Record<string, unknown> = {}) {
  await expectOk(await api.post('/v1/users', { users: ids.map((externalId) => ({ externalId, attributes })) }));
}
async function lottery(api: Client, body: Record<string, unknown>) {
  return (await expectOk(await api.post('/v1/lotteries', { name: 'L', ...window(), ...body }))).json();
}
const give = (api: Client, id: string, externalId: string, amount: number) => expectOk(api.post(`/v1/lotteries/${id}/chances`, { externalId, amount, reason: 'test' }) as never);

/** Runs `fn` over items with at most `n` in flight. */
async function pool<T, R>(items: T[], n: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => { while (next < items.length) { const i = next++; out[i] = await fn(items[i]!); } }));
  return out;
}

describe('lotteries', () => {
  it('creates a lottery and shows each outcome\'s probability; refuses a pool naming an unknown prize', async () => {
    const { api } = await newWorkspace(h);
    const l = await lottery(api, { noPrizeWeight: 50, prizes: [{ key: 'a', name: 'A', weight: 30, stock: 10 }, { key: 'b', name: 'B', weight: 20, stock: null, points: 5 }] });
    expect(l.status).toBe('running');
    expect(l.prizes.map((x: { probability: number }) => x.probability)).toEqual([0.3, 0.2]);
    expect(l.noPrizeProbability).toBe(0.5);
    expect((await api.get(`/v1/lotteries/${l.id}`)).json().id).toBe(l.id);
    expect((await api.get('/v1/lotteries?limit=1')).json().items).toHaveLength(1);
    const bad = await api.post('/v1/lotteries', { name: 'x', ...window(), prizes: [{ key: 'a', name: 'A', weight: 1, stock: 1 }], pools: [{ segmentId: 'seg_x', prizes: [{ key: 'zz', weight: 1 }] }] });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details.map((d: { path: string }) => d.path)).toContain('pools[0].prizes[0].key');
    expect((await api.post('/v1/lotteries', { name: 'x', ...window(), prizes: [{ key: 'a', name: 'A', weight: 0, stock: 1 }] })).statusCode).toBe(400);
  });

  it('draws spend chances; no_chances, not_running; a points prize is credited inline, once', async () => {
    const { api } = await newWorkspace(h);
    await users(api, ['u1']);
    const l = await lottery(api, { prizes: [{ key: 'pts', name: '100 points', weight: 1, stock: null, points: 100 }] });
    expect((await api.post(`/v1/lotteries/${l.id}/draw`, { externalId: 'u1' })).json().error.code).toBe('no_chances');
    // The same Idempotency-Key twice grants once.
    await api.post(`/v1/lotteries/${l.id}/chances`, { externalId: 'u1', amount: 2, reason: 'gift' }, { 'idempotency-key': 'g1' });
    const again = await api.post(`/v1/lotteries/${l.id}/chances`, { externalId: 'u1', amount: 2, reason: 'gift' }, { 'idempotency-key': 'g1' });
    expect(again.json().chances).toBe(2);
    const d1 = (await expectOk(await api.post(`/v1/lotteries/${l.id}/draw`, { externalId: 'u1' }, { 'idempotency-key': 'd1' }))).json();
    expect(d1.prize).toMatchObject({ key: 'pts', points: 100, delivery: 'delivered' });
    const d1again = (await api.post(`/v1/lotteries/${l.id}/draw`, { externalId: 'u1' }, { 'idempotency-key': 'd1' })).json();
    expect(d1again.drawId).toBe(d1.drawId);
    await expectOk(await api.post(`/v1/lotteries/${l.id}/draw`, { externalId: 'u1' }));
    expect((await api.post(`/v1/lotteries/${l.id}/draw`, { externalId: 'u1' })).json().error.code).toBe('no_chances');
    // The delivery job (due later) finds both delivered and credits nothing more.
    h.clock.advance(60_000);
    await h.drain();
    expect((await api.get('/v1/points/u1')).json().balance).toBe(200);
    const stats = (await api.get(`/v1/lotteries/${l.id}/stats`)).json();
    expect(stats).toMatchObject({ draws: 2, wins: 2, delivery: { delivered: 2, pending: 0, failed: 0 }, prizes: [{ key: 'pts', won: 2, stock: null, remaining: null }] });
    const later = await lottery(api, { startAt: new Date(h.clock.now().getTime() + DAY).toISOString(), prizes: [{ key: 'a', name: 'A', weight: 1, stock: 1 }] });
    await give(api, later.id, 'u1', 1);
    expect((await api.post(`/v1/lotteries/${later.id}/draw`, { externalId: 'u1' })).json().error.code).toBe('not_running');
  });

  it('N concurrent draws at the last unit of stock: exactly one winner', async () => {
    const { api } = await newWorkspace(h);
    const ids = Array.from({ length: 30 }, (_, i) => `c${i}`);
    await users(api, ids);
    const l = await lottery(api, { prizes: [{ key: 'tv', name: 'TV', weight: 1, stock: 1 }] });
    for (const id of ids) await give(api, l.id, id, 1);
    const res = await Promise.all(ids.map((id) => api.post(`/v1/lotteries/${l.id}/draw`, { externalId: id })));
    expect(res.every((r) => r.statusCode === 200)).toBe(true);
    expect(res.filter((r) => r.json().prize?.key === 'tv')).toHaveLength(1);
    expect((await api.get(`/v1/lotteries/${l.id}/stats`)).json().prizes[0]).toEqual({ key: 'tv', won: 1, stock: 1, remaining: 0 });
  });

  it('group-committed draws: one user\'s concurrent draws spend exactly their chances; a repeated requestRef in the same batch fails alone', async () => {
    const { api, id: workspaceId } = await newWorkspace(h);
    const ids = ['g0', 'g1', 'g2', 'g3', 'g4'];
    await users(api, ids);
    const l = await lottery(api, { prizes: [{ key: 'pts', name: 'Points', weight: 1, stock: null, points: 1 }] });
    await give(api, l.id, 'g0', 3);
    for (const id of ids.slice(1)) await give(api, l.id, id, 1);
    // Issued together, so they share the writer's batches.
    const res = await Promise.all([...Array.from({ length: 10 }, () => api.post(`/v1/lotteries/${l.id}/draw`, { externalId: 'g0' })),
      ...ids.slice(1).map((id) => api.post(`/v1/lotteries/${l.id}/draw`, { externalId: id }))]);
    expect(res.slice(0, 10).filter((r) => r.statusCode === 200)).toHaveLength(3);
    expect(res.slice(0, 10).filter((r) => r.json().error?.code === 'no_chances')).toHaveLength(7);
    expect(res.slice(10).every((r) => r.statusCode === 200)).toBe(true);
    expect((await api.get(`/v1/lotteries/${l.id}/chances/g0`)).json().chances).toBe(0);
    // Two draws with one requestRef pass the "already drawn?" read together and meet in one
    // batch: its transaction fails on the unique ref, the batch is written again one by one,
    // the twin answers the first draw, and the other users' draws in that batch still count.
    await give(api, l.id, 'g1', 2);
    await give(api, l.id, 'g2', 1);
    const u1 = await customers.internalId(h.p.db, workspaceId, 'g1');
    const u2 = await customers.internalId(h.p.db, workspaceId, 'g2');
    const [a, b, c] = await Promise.all([
      drawForUser(h.p, { workspaceId, lotteryId: l.id, userId: u1, requestRef: 'same' }),
      drawForUser(h.p, { workspaceId, lotteryId: l.id, userId: u1, requestRef: 'same' }),
      drawForUser(h.p, { workspaceId, lotteryId: l.id, userId: u2 }),
    ]);
    expect(b.drawId).toBe(a.drawId);
    expect(c.prize?.key).toBe('pts');
    expect((await api.get(`/v1/lotteries/${l.id}/chances/g1`)).json().chances).toBe(1);
    expect((await api.get(`/v1/lotteries/${l.id}/chances/g2`)).json().chances).toBe(0);
    expect((await api.get(`/v1/lotteries/${l.id}/stats`)).json()).toMatchObject({ draws: 3 + 4 + 2 });
  });

  it('a draw written while a chance grant holds the balance spends the chances that grant committed (one call: lock, then spend with a fresh snapshot)', async () => {
    const { api, id: workspaceId } = await newWorkspace(h);
    await users(api, ['w0']);
    const l = await lottery(api, { prizes: [{ key: 'a', name: 'A', weight: 1, stock: null }] });
    await give(api, l.id, 'w0', 1);
    const userId = await customers.internalId(h.p.db, workspaceId, 'w0');
    const record = (id: string) => ({ id, lotteryId: l.id, userId, cost: 2, pool: null, prizeKey: 'a', day: '2026-12-06', requestRef: null, deliveryStatus: 'none', points: null, now: h.clock.now() });
    // Another transaction adds a chance and holds the row; the draw (cost 2, one chance before) waits for it.
    const granter = await h.p.pool.connect();
    try {
      await granter.query('begin');
      await granter.query('update lottery_chance_balances set chances = chances + 1 where workspace_id = $1 and lottery_id = $2 and user_id = $3', [workspaceId, l.id, userId]);
      const drawn = recordDraws(h.p.db, workspaceId, [record('drw_waited')]);
      for (let i = 0; ; i++) {
        const { rows } = await h.p.pool.query<{ n: number }>(`select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and query like '%ml_record_draws%'`);
        if (rows[0]!.n > 0) break;
        if (i > 500) throw new Error('the draw never waited on the balance lock');
        await new Promise((r) => setTimeout(r, 10));
      }
      await granter.query('commit');
      expect([...await drawn]).toEqual(['drw_waited']);
    } finally {
      granter.release();
    }
    expect((await api.get(`/v1/lotteries/${l.id}/chances/w0`)).json().chances).toBe(0);
    // Too few chances now: nothing is written.
    expect((await recordDraws(h.p.db, workspaceId, [record('drw_none')])).size).toBe(0);
    const [n] = (await h.p.pool.query('select count(*)::int as n from lottery_draws where workspace_id = $1', [workspaceId])).rows;
    expect(n.n).toBe(1);
  });

  it('stock added while draws run: never more winners than the stock, and the added units are won', async () => {
    const { api } = await newWorkspace(h);
    await users(api, ['s1']);
    const l = await lottery(api, { prizes: [{ key: 'cup', name: 'Cup', weight: 1, stock: 5 }] });
    await give(api, l.id, 's1', 60);
    const draws = Array.from({ length: 40 }, () => api.post(`/v1/lotteries/${l.id}/draw`, { externalId: 's1' }));
    // The stock goes up as soon as the first draw has answered, while the other 39 are in flight.
    const patch = Promise.race(draws).then(() => api.patch(`/v1/lotteries/${l.id}`, { prizes: [{ key: 'cup', stock: 15 }] }));
    const [res, p] = await Promise.all([Promise.all(draws), patch]);
    expect(p.statusCode).toBe(200);
    const first = res.filter((r) => r.json().prize?.key === 'cup').length;
    expect(first).toBeLessThanOrEqual(15);
    const rest = await Promise.all(Array.from({ length: 20 }, () => api.post(`/v1/lotteries/${l.id}/draw`, { externalId: 's1' })));
    const total = first + rest.filter((r) => r.json().prize?.key === 'cup').length;
    expect(total).toBe(15);
    expect((await api.get(`/v1/lotteries/${l.id}/stats`)).json()).toMatchObject({ draws: 60, wins: 15, prizes: [{ won: 15, remaining: 0 }] });
  });

  it('daily draw limit per user, across the workspace-timezone midnight (Asia/Shanghai: 16:00Z)', async () => {
    const { api } = await newWorkspace(h, { timezone: 'Asia/Shanghai' });
    await users(api, ['d1']);
    const real = h.clock.now();
    h.clock.set('2026-12-01T15:59:00Z'); // 23:59 in Shanghai
    const l = await lottery(api, { perUserDailyDraws: 2, noPrizeWeight: 1, prizes: [{ key: 'x', name: 'X', weight: 1, stock: 0 }] });
    await give(api, l.id, 'd1', 10);
    expect((await api.post(`/v1/lotteries/${l.id}/draw`, { externalId: 'd1' })).statusCode).toBe(200);
    expect((await api.post(`/v1/lotteries/${l.id}/draw`, { externalId: 'd1' })).statusCode).toBe(200);
    const third = await api.post(`/v1/lotteries/${l.id}/draw`, { externalId: 'd1' });
    expect(third.json().error.code).toBe('daily_limit_reached');
    h.clock.set('2026-12-01T16:00:01Z'); // 00:00:01 on the 2nd in Shanghai, still the 1st in UTC
    expect((await api.post(`/v1/lotteries/${l.id}/draw`, { externalId: 'd1' })).statusCode).toBe(200);
    // A refused draw spent no chance: 10 − 3 draws.
    expect((await api.get(`/v1/lotteries/${l.id}/chances/d1`)).json().chances).toBe(10 - 3);
    h.clock.set(real);
  });

  it('per-prize per-user limit: a second win of a once-per-user prize is drawn as no prize', async () => {
    const { api } = await newWorkspace(h);
    await users(api, ['p1', 'p2']);
    const l = await lottery(api, { prizes: [{ key: 'vip', name: 'VIP', weight: 1, stock: null, perUserLimit: 1 }] });
    await give(api, l.id, 'p1', 3);
    await give(api, l.id, 'p2', 1);
    const r = [];
    for (let i = 0; i < 3; i++) r.push((await api.post(`/v1/lotteries/${l.id}/draw`, { externalId: 'p1' })).json().prize?.key ?? null);
    expect(r).toEqual(['vip', null, null]);
    expect((await api.post(`/v1/lotteries/${l.id}/draw`, { externalId: 'p2' })).json().prize.key).toBe('vip');
  });

  it('a sold-out prize is drawn as no prize and the other odds do not rise (chi-square at a fixed seed)', async () => {
    const { api } = await newWorkspace(h);
    // Several users so the draws do not queue on one user's balance row.
    const who = Array.from({ length: 12 }, (_, i) => `x${i}`);
    await users(api, who);
    const l = await lottery(api, { noPrizeWeight: 40, prizes: [{ key: 'a', name: 'A', weight: 30, stock: 0 }, { key: 'b', name: 'B', weight: 20, stock: null }, { key: 'c', name: 'C', weight: 10, stock: null }] });
    const N = 1200;
    for (const u of who) await give(api, l.id, u, N / who.length);
    const prev = setDrawRng(seededRng(424242));
    try {
      const keys = await pool(Array.from({ length: N }, (_, i) => who[i % who.length]!), who.length, async (u) => (await expectOk(await api.post(`/v1/lotteries/${l.id}/draw`, { externalId: u }))).json().prize?.key ?? null);
      const counts = [keys.filter((k) => k === null).length, keys.filter((k) => k === 'b').length, keys.filter((k) => k === 'c').length];
      expect(keys.filter((k) => k === 'a')).toHaveLength(0);
      // A's 30 goes to "no prize": 0.7 / 0.2 / 0.1.
      expect(chiSquare(counts, [0.7, 0.2, 0.1])).toBeLessThan(CHI2_999[2]!);
      // Were A's weight spread over the others (the bug this guards against): 4/7, 2/7, 1/7 — rejected.
      expect(chiSquare(counts, [4 / 7, 2 / 7, 1 / 7])).toBeGreaterThan(CHI2_999[2]!);
    } finally {
      setDrawRng(prev);
    }
  }, 180_000);

  it('pools: the first pool whose segment contains the user decides the table', async () => {
    const { api } = await newWorkspace(h);
    await expectOk(await api.post('/v1/users', { users: [{ externalId: 'vip1', attributes: { tier: 'gold' } }, { externalId: 'n1', attributes: { tier: 'none' } }] }));
    const seg = (await expectOk(await api.post('/v1/segments', { name: 'gold', refresh: 'manual', definition: { attr: 'tier', op: 'eq', value: 'gold' } }))).json();
    await h.drain();
    const l = await lottery(api, {
      prizes: [{ key: 'big', name: 'Big', weight: 0, stock: null }, { key: 'small', name: 'Small', weight: 1, stock: null }],
      pools: [{ segmentId: seg.id, noPrizeWeight: 0, prizes: [{ key: 'big', weight: 1 }] }],
    });
    await give(api, l.id, 'vip1', 5);
    await give(api, l.id, 'n1', 5);
    // The H5 page shows each user the table they are drawn from.
    const wsId = (await api.get('/v1/workspace')).json().id;
    const ids = (await h.p.pool.query("select external_id, id::text from users where workspace_id = $1 and external_id in ('vip1', 'n1')", [wsId])).rows;
    const idOf = (x: string) => ids.find((r) => r.external_id === x)!.id as string;
    expect((await getLotteryPublic(h.p, wsId, l.id, idOf('vip1'))).prizes).toEqual([{ key: 'big', name: 'Big', probability: 1 }]);
    expect((await getLotteryPublic(h.p, wsId, l.id, idOf('n1'))).prizes).toEqual([{ key: 'big', name: 'Big', probability: 0 }, { key: 'small', name: 'Small', probability: 1 }]);
    for (let i = 0; i < 5; i++) {
      expect((await api.post(`/v1/lotteries/${l.id}/draw`, { externalId: 'vip1' })).json().prize.key).toBe('big');
      expect((await api.post(`/v1/lotteries/${l.id}/draw`, { externalId: 'n1' })).json().prize.key).toBe('small');
    }
  });

  it('exchanges points for chances at the lottery rate; insufficient points change nothing', async () => {
    const { api } = await newWorkspace(h);
    await users(api, ['e1']);
    const l = await lottery(api, { pointsPerChance: 30, prizes: [{ key: 'a', name: 'A', weight: 1, stock: null }] });
    await expectOk(await api.post('/v1/points/e1/credit', { amount: 100, reason: 'r', refId: 'r1' }));
    const x = (await expectOk(await api.post(`/v1/lotteries/${l.id}/exchange`, { externalId: 'e1', chances: 3, refId: 'x1' }))).json();
    expect(x).toEqual({ externalId: 'e1', chances: 3, pointsSpent: 90, pointsBalance: 10 });
    expect((await api.post(`/v1/lotteries/${l.id}/exchange`, { externalId: 'e1', chances: 3, refId: 'x1' })).json().chances).toBe(3);
    const no = await api.post(`/v1/lotteries/${l.id}/exchange`, { externalId: 'e1', chances: 1, refId: 'x2' });
    expect(no.json().error.code).toBe('insufficient_points');
    expect((await api.get('/v1/points/e1')).json().balance).toBe(10);
    expect((await api.get(`/v1/lotteries/${l.id}/chances/e1`)).json().chances).toBe(3);
  });
});

describe('counters after the end', () => {
  it('are all dropped a week after endAt, and rebuilt from the draw ledger when a PATCH reopens the lottery', async () => {
    const { api, id: ws } = await newWorkspace(h);
    await users(api, ['e1', 'e2']);
    const now = h.clock.now().getTime();
    const l = await lottery(api, { endAt: new Date(now + DAY).toISOString(), prizes: [{ key: 'vip', name: 'VIP', weight: 1, stock: 10, perUserLimit: 1 }] });
    await give(api, l.id, 'e1', 2);
    await give(api, l.id, 'e2', 1);
    const draw = async (who: string) => (await api.post(`/v1/lotteries/${l.id}/draw`, { externalId: who })).json();
    expect((await draw('e1')).prize.key).toBe('vip');
    expect((await draw('e2')).prize.key).toBe('vip');
    const e1 = String((await h.p.pool.query('select id from users where workspace_id = $1 and external_id = $2', [ws, 'e1'])).rows[0].id);
    const counters = async () => [await h.p.counters.get(lotteryKeys.stock(ws, l.id, 'vip')), await h.p.counters.get(lotteryKeys.perUser(ws, l.id, 'vip', e1))];
    const droppedAt = async () => (await h.p.pool.query('select counters_dropped_at as at from lotteries where workspace_id = $1 and id = $2', [ws, l.id])).rows[0].at;
    expect(await counters()).toEqual([2, 1]);

    h.clock.advance(DAY + 6 * DAY);
    await dropEndedLotteryCounters(h.p);
    expect(await counters()).toEqual([2, 1]);

    h.clock.advance(DAY + 60_000);
    expect(await dropEndedLotteryCounters(h.p)).toBeGreaterThanOrEqual(1);
    expect(await counters()).toEqual([0, 0]);
    expect(await droppedAt()).toBeInstanceOf(Date);
    expect((await draw('e1')).error.code).toBe('not_running');

    const reopened = await api.patch(`/v1/lotteries/${l.id}`, { endAt: new Date(h.clock.now().getTime() + DAY).toISOString() });
    expect(reopened.statusCode).toBe(200);
    expect(await droppedAt()).toBeNull();
    expect(await counters()).toEqual([2, 1]);
    // e1 won the once-per-user prize before the gap: their last chance draws no prize.
    expect((await draw('e1')).prize).toBeNull();
  });
});
