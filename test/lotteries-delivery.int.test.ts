import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, newWorkspace, type Client, type Harness } from './support/harness.ts';
import { expectOk } from './support/fixtures.ts';
import { AppError } from '../src/platform/errors.ts';
import { deliverers } from '../src/lotteries/prize-delivery.ts';
import { keys } from '../src/lotteries/lottery-config.ts';
import { reconcileLotteries } from '../src/lotteries/lottery-reconcile.ts';

let h: Harness;
beforeAll(async () => { h = await createHarness(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}); });
afterAll(async () => { await h.close(); });

const DAY = 86_400_000;
const iso = (ms: number) => new Date(h.clock.now().getTime() + ms).toISOString();
const window = () => ({ startAt: iso(-DAY), endAt: iso(30 * DAY) });

async function couponTemplate(api: Client, totalStock = 100) {
  return (await expectOk(await api.post('/v1/coupon-templates', {
    name: '10 off', type: 'direct', value: 1000, totalStock, claimStart: iso(-DAY), claimEnd: iso(60 * DAY), validity: { days: 7 },
  }))).json();
}

describe('prize delivery, kill switch, reconciliation, chances from events', () => {
  it('runs on the counters the environment asks for (Redis when REDIS_URL is set)', () => {
    expect(h.p.counters.kind).toBe(process.env.REDIS_URL ? 'redis' : 'postgres');
  });

  it('a coupon prize whose grant fails is retried by the job with backoff and granted exactly once', async () => {
    const { api } = await newWorkspace(h);
    await expectOk(await api.post('/v1/users', { users: [{ externalId: 'w1' }] }));
    const tpl = await couponTemplate(api);
    const l = (await expectOk(await api.post('/v1/lotteries', { name: 'L', ...window(), prizes: [{ key: 'cpn', name: 'Coupon', weight: 1, stock: 5, couponTemplateId: tpl.id }] }))).json();
    await expectOk(await api.post(`/v1/lotteries/${l.id}/chances`, { externalId: 'w1', amount: 1, reason: 't' }));
    const real = deliverers.coupon;
    let calls = 0;
    // The coupons service is down for the first three attempts (inline + two job runs).
    deliverers.coupon = async (p, input) => {
      calls++;
      if (calls <= 3) throw new AppError('internal_error', `coupons unavailable (attempt ${calls})`);
      return real(p, input);
    };
    try {
      const d = (await expectOk(await api.post(`/v1/lotteries/${l.id}/draw`, { externalId: 'w1' }))).json();
      expect(d.prize).toEqual({ key: 'cpn', name: 'Coupon', delivery: 'pending' });
      for (let i = 0; i < 6; i++) {
        h.clock.advance(60_000);
        await h.drain();
      }
      expect(calls).toBe(4);
      const rec = (await api.get(`/v1/lotteries/${l.id}/draws`)).json().items[0];
      expect(rec).toMatchObject({ drawId: d.drawId, delivery: 'delivered', error: null });
      expect(rec.couponCode).toMatch(/^[A-Z0-9]{6,}$/);
      // The job again (a crash after the grant, a duplicate enqueue): nothing more is granted.
      await h.p.jobs.enqueue(h.p.db, 'lotteries.deliver-prize', { workspaceId: (await api.get('/v1/workspace')).json().id, drawId: d.drawId });
      await h.drain();
      expect((await api.get(`/v1/coupon-templates/${tpl.id}/stats`)).json().granted).toBe(1);
      expect((await api.get(`/v1/coupons/${rec.couponCode}`)).statusCode).toBe(200);
      expect((await api.get(`/v1/lotteries/${l.id}/stats`)).json().delivery).toEqual({ pending: 0, delivered: 1, failed: 0 });
    } finally {
      deliverers.coupon = real;
    }
  });

  it('a coupon prize is delivered inline with its code; a permanent refusal ends as failed with an alert', async () => {
    const { api } = await newWorkspace(h);
    await expectOk(await api.post('/v1/users', { users: [{ externalId: 'v1' }, { externalId: 'v2' }] }));
    const tpl = await couponTemplate(api, 1);
    const l = (await expectOk(await api.post('/v1/lotteries', { name: 'L', ...window(), prizes: [{ key: 'cpn', name: 'Coupon', weight: 1, stock: null, couponTemplateId: tpl.id }] }))).json();
    for (const u of ['v1', 'v2']) await expectOk(await api.post(`/v1/lotteries/${l.id}/chances`, { externalId: u, amount: 1, reason: 't' }));
    const ok = (await expectOk(await api.post(`/v1/lotteries/${l.id}/draw`, { externalId: 'v1' }))).json();
    expect(ok.prize).toMatchObject({ key: 'cpn', delivery: 'delivered', couponCode: expect.any(String) });
    const gone = (await expectOk(await api.post(`/v1/lotteries/${l.id}/draw`, { externalId: 'v2' }))).json();
    expect(gone.prize).toMatchObject({ key: 'cpn', delivery: 'failed' });
    const alerts = (await api.get('/v1/alerts?kind=prize_delivery_failed')).json().items;
    expect(alerts).toHaveLength(1);
    expect(alerts[0].data).toMatchObject({ drawId: gone.drawId, code: 'out_of_stock' });
  });

  it('a kill switch on the lottery stops draws at once', async () => {
    const { api } = await newWorkspace(h);
    await expectOk(await api.post('/v1/users', { users: [{ externalId: 'k1' }] }));
    const l = (await expectOk(await api.post('/v1/lotteries', { name: 'L', ...window(), prizes: [{ key: 'a', name: 'A', weight: 1, stock: null }] }))).json();
    await expectOk(await api.post(`/v1/lotteries/${l.id}/chances`, { externalId: 'k1', amount: 2, reason: 't' }));
    await expectOk(await api.post('/v1/kill-switches', { type: 'lottery', id: l.id, reason: 'loss' }));
    const r = await api.post(`/v1/lotteries/${l.id}/draw`, { externalId: 'k1' });
    expect(r.statusCode).toBe(409);
    expect(r.json().error.code).toBe('killed');
    await expectOk(await api.del(`/v1/kill-switches/lottery/${l.id}`));
    expect((await api.post(`/v1/lotteries/${l.id}/draw`, { externalId: 'k1' })).statusCode).toBe(200);
  });

  it('reconciliation: counters lost (Redis flushed) are raised back to the draw ledger, with an alert each; nothing oversells after', async () => {
    const { api, id: ws } = await newWorkspace(h);
    await expectOk(await api.post('/v1/users', { users: [{ externalId: 'r1' }] }));
    const l = (await expectOk(await api.post('/v1/lotteries', { name: 'L', ...window(), perUserDailyDraws: 100, prizes: [{ key: 'a', name: 'A', weight: 1, stock: 3, perUserLimit: 10 }] }))).json();
    await expectOk(await api.post(`/v1/lotteries/${l.id}/chances`, { externalId: 'r1', amount: 10, reason: 't' }));
    for (let i = 0; i < 3; i++) expect((await api.post(`/v1/lotteries/${l.id}/draw`, { externalId: 'r1' })).json().prize.key).toBe('a');
    const userId = String((await h.p.pool.query('select id from users where workspace_id = $1 and external_id = $2', [ws, 'r1'])).rows[0].id);
    const stockKey = keys.stock(ws, l.id, 'a');
    const perUserKey = keys.perUser(ws, l.id, 'a', userId);
    await h.p.counters.reset(stockKey);
    await h.p.counters.reset(perUserKey);
    expect(await h.p.counters.get(stockKey)).toBe(0);
    const repairs = await reconcileLotteries(h.p, { workspaceId: ws, lotteryId: l.id });
    expect(repairs.map((r) => [r.key, r.counter, r.ledger]).sort()).toEqual([[perUserKey, 0, 3], [stockKey, 0, 3]].sort());
    expect(await h.p.counters.get(stockKey)).toBe(3);
    expect((await api.get('/v1/alerts?kind=counter_repaired')).json().items).toHaveLength(2);
    // Repaired: the sold-out prize stays sold out.
    expect((await api.post(`/v1/lotteries/${l.id}/draw`, { externalId: 'r1' })).json().prize).toBeNull();
    // A counter ahead of the ledger (a process died after its take) is lowered only when a second run sees the same drift.
    await h.p.counters.take(stockKey, { limit: 100, amount: 2 });
    expect(await reconcileLotteries(h.p, { workspaceId: ws, lotteryId: l.id })).toEqual([]);
    const second = await reconcileLotteries(h.p, { workspaceId: ws, lotteryId: l.id });
    expect(second.map((r) => [r.key, r.counter, r.ledger])).toEqual([[stockKey, 5, 3]]);
    expect(await h.p.counters.get(stockKey)).toBe(3);
    expect(await reconcileLotteries(h.p, { workspaceId: ws, lotteryId: l.id })).toEqual([]);
  });

  it('chance rules: check_in grants a chance at most once a workspace day, once per event even when the hook runs again', async () => {
    const { api, id: ws } = await newWorkspace(h, { timezone: 'Asia/Shanghai' });
    await expectOk(await api.post('/v1/users', { users: [{ externalId: 'e1' }] }));
    const l = (await expectOk(await api.post('/v1/lotteries', {
      // Started three days ago: the events below are yesterday at 15:00–16:30Z, before a one-day-old start after 15:00Z.
      name: 'L', ...window(), startAt: iso(-3 * DAY), chanceRules: [{ event: 'check_in', chances: 1, maxPerDay: 1 }, { event: 'share', chances: 2 }], prizes: [{ key: 'a', name: 'A', weight: 1, stock: null }],
    }))).json();
    // Three check-ins on one Shanghai day (15:00Z is 23:00 local) and one on the next (16:30Z = 00:30 local), yesterday.
    const day = new Date(h.clock.now().getTime() - DAY);
    day.setUTCHours(15, 0, 0, 0);
    const ts = (offsetMin: number) => new Date(day.getTime() + offsetMin * 60_000).toISOString();
    await expectOk(await api.post('/v1/events', { events: [
      { externalId: 'e1', name: 'check_in', timestamp: ts(0), messageId: 'c1' },
      { externalId: 'e1', name: 'check_in', timestamp: ts(10), messageId: 'c2' },
      { externalId: 'e1', name: 'check_in', timestamp: ts(20), messageId: 'c3' },
      { externalId: 'e1', name: 'share', timestamp: ts(30), messageId: 's1' },
      { externalId: 'e1', name: 'check_in', timestamp: ts(90), messageId: 'c4' },
    ] }));
    await h.drain();
    const peek = async () => (await api.get(`/v1/lotteries/${l.id}/chances/e1`)).json().chances;
    // 1 (day one) + 2 (share) + 1 (day two) = 4.
    expect(await peek()).toBe(4);
    // The hook job again over the same events (a crash after it ran): nothing more.
    const ids = (await h.p.pool.query("select id::text from events where workspace_id = $1 and name in ('check_in', 'share')", [ws])).rows.map((r) => r.id);
    await h.p.jobs.enqueue(h.p.db, 'customers.event-hook', { hook: 'lotteries.chance-rules', workspaceId: ws, eventIds: ids });
    await h.drain();
    expect(await peek()).toBe(4);
  });
});
