import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, newWorkspace, type Client, type Harness } from './support/harness.ts';
import { expectOk } from './support/fixtures.ts';
import { moveToNextLocal } from './support/time.ts';
import { couponsOfUser, expireDue, grantCoupon, keys } from '../src/coupons/coupons.service.ts';
import { couponsOfUserQuery } from '../src/coupons/coupons.repo.ts';
import * as customers from '../src/customers/customers.service.ts';
import * as policies from '../src/policies/policies.service.ts';
import { couponWriter } from '../src/coupons/coupons.writer.ts';
import { reconcileWorkspace } from '../src/coupons/coupons.reconcile.ts';
import { dropEndedUserCounters } from '../src/coupons/coupons.user-counters.ts';

/**
 * Coupons and budgets (issue 5): grants at the last unit, per-user and per-day limits across the
 * workspace-local midnight, idempotency, budgets reserved at grant and settled at redemption,
 * release once, expiry. Runs on the Redis counters when REDIS_URL is set.
 */
let h: Harness;
beforeAll(async () => { h = await createHarness(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}); });
afterAll(async () => { await h.close(); });

it('runs on the configured counters adapter', () => { expect(h.p.counters.kind).toBe(process.env.REDIS_URL ? 'redis' : 'postgres'); });

const DAY = 86_400_000;
async function users(api: Client, n: number, prefix = 'u', extra: Record<string, unknown> = {}) {
  const list = Array.from({ length: n }, (_, i) => ({ externalId: `${prefix}-${i}`, ...extra }));
  await expectOk(await api.post('/v1/users', { users: list }));
  return list.map((u) => u.externalId);
}
function templateBody(over: Record<string, unknown> = {}) {
  const now = h.clock.now().getTime();
  return {
    name: 'Ten off', type: 'direct', value: 1000, totalStock: 100,
    claimStart: new Date(now - 3_600_000).toISOString(), claimEnd: new Date(now + 400 * DAY).toISOString(), validity: { days: 30 }, ...over,
  };
}
async function campaign(api: Client, budget?: number) {
  const now = h.clock.now().getTime();
  return (await expectOk(await api.post('/v1/campaigns', {
    name: 'Budgeted', goal: 'repurchase', startAt: new Date(now - 3_600_000).toISOString(), endAt: new Date(now + 400 * DAY).toISOString(),
    ...(budget === undefined ? {} : { budget: { amount: budget } }),
  }))).json<{ id: string }>().id;
}
const rows = async (sql: string, params: unknown[]) => (await h.p.pool.query(sql, params)).rows;

/** A workspace with `n` users and two templates: `paid` (700 off, reserved from a campaign budget of 100,000) and `free` (10 %, at most 300, no budget). */
async function paidAndFree(n: number, prefix: string) {
  const ws = await newWorkspace(h);
  const ids = await users(ws.api, n, prefix);
  const cmp = await campaign(ws.api, 100_000);
  const paid = (await expectOk(await ws.api.post('/v1/coupon-templates', templateBody({ campaignId: cmp, value: 700 })))).json();
  const free = (await expectOk(await ws.api.post('/v1/coupon-templates', templateBody({ type: 'percent', value: 10, maxDiscount: 300 })))).json();
  return { ws, ids, cmp, paid, free };
}

describe('grant', () => {
  it('N concurrent grants at the last unit of stock: exactly one wins, and the DB agrees', async () => {
    const ws = await newWorkspace(h);
    const ids = await users(ws.api, 41);
    const tpl = (await expectOk(await ws.api.post('/v1/coupon-templates', templateBody({ totalStock: 5 })))).json();
    for (let i = 0; i < 4; i++) expect((await ws.api.post(`/v1/coupon-templates/${tpl.id}/grant`, { externalId: ids[40 - i] })).statusCode).toBe(201);
    const results = await Promise.all(ids.slice(0, 36).map((externalId) => ws.api.post(`/v1/coupon-templates/${tpl.id}/grant`, { externalId })));
    const won = results.filter((r) => r.statusCode === 201);
    expect(won).toHaveLength(1);
    expect(results.filter((r) => r.statusCode === 409).every((r) => r.json().error.code === 'out_of_stock')).toBe(true);
    const [n] = await rows('select count(*)::int as n from coupons where workspace_id = $1 and template_id = $2', [ws.id, tpl.id]);
    expect(n.n).toBe(5);
    const stats = (await ws.api.get(`/v1/coupon-templates/${tpl.id}/stats`)).json();
    expect(stats).toMatchObject({ totalStock: 5, granted: 5, remaining: 0, redeemed: 0 });
    // A stock top-up is seen by the next grant; going below what was granted is refused.
    expect((await ws.api.patch(`/v1/coupon-templates/${tpl.id}`, { totalStock: 4 })).json().error.code).toBe('validation_failed');
    await expectOk(await ws.api.patch(`/v1/coupon-templates/${tpl.id}`, { totalStock: 6 }));
    expect((await ws.api.post(`/v1/coupon-templates/${tpl.id}/grant`, { externalId: ids[36] })).statusCode).toBe(201);
    expect((await ws.api.post(`/v1/coupon-templates/${tpl.id}/grant`, { externalId: ids[37] })).json().error.code).toBe('out_of_stock');
  });

  it('one user, concurrent grants: per-user-per-day limit by the workspace-local day (Asia/Shanghai), and the per-user limit over days', async () => {
    const ws = await newWorkspace(h);
    const [u] = await users(ws.api, 1);
    const tpl = (await expectOk(await ws.api.post('/v1/coupon-templates', templateBody({ perUserLimit: 5, perUserDailyLimit: 2 })))).json();
    const burst = async (n: number) => (await Promise.all(Array.from({ length: n }, () => ws.api.post(`/v1/coupon-templates/${tpl.id}/grant`, { externalId: u })))).map((r) => r.statusCode === 201 ? 'ok' : r.json().error.code);
    moveToNextLocal(h.clock, 23, 58); // 15:58Z: still "today" in Shanghai
    let out = await burst(12);
    expect(out.filter((x) => x === 'ok')).toHaveLength(2);
    expect(out.filter((x) => x === 'daily_limit_reached')).toHaveLength(10);
    h.clock.advance(3 * 60_000); // 00:01 local: a new day, although UTC is still the same date
    out = await burst(12);
    expect(out.filter((x) => x === 'ok')).toHaveLength(2);
    h.clock.advance(DAY);
    out = await burst(12);
    // 5 per user in all: one left on the third day.
    expect(out.filter((x) => x === 'ok')).toHaveLength(1);
    expect(out).toContain('user_limit_reached');
    const days = await rows('select local_day, count(*)::int as n from coupons where workspace_id = $1 group by local_day order by local_day', [ws.id]);
    expect(days.map((d) => d.n)).toEqual([2, 2, 1]);
  });

  it('Idempotency-Key: a retry answers the same coupon and grants once; the same key with another body is rejected', async () => {
    const ws = await newWorkspace(h);
    const [a, b] = await users(ws.api, 2);
    const tpl = (await expectOk(await ws.api.post('/v1/coupon-templates', templateBody({ totalStock: 10 })))).json();
    const first = await ws.api.post(`/v1/coupon-templates/${tpl.id}/grant`, { externalId: a }, { 'idempotency-key': 'grant-1' });
    expect(first.statusCode).toBe(201);
    const again = await ws.api.post(`/v1/coupon-templates/${tpl.id}/grant`, { externalId: a }, { 'idempotency-key': 'grant-1' });
    expect(again.statusCode).toBe(201);
    expect(again.json().code).toBe(first.json().code);
    const other = await ws.api.post(`/v1/coupon-templates/${tpl.id}/grant`, { externalId: b }, { 'idempotency-key': 'grant-1' });
    expect(other.statusCode).toBe(409);
    expect(other.json().error.code).toBe('idempotency_conflict');
    // Even if the stored answer is gone, the domain finds the coupon by (template, source, key).
    await h.p.pool.query('delete from idempotency_keys where workspace_id = $1', [ws.id]);
    const replay = await ws.api.post(`/v1/coupon-templates/${tpl.id}/grant`, { externalId: a }, { 'idempotency-key': 'grant-1' });
    expect(replay.json()).toMatchObject({ code: first.json().code, repeated: true });
    const [n] = await rows('select count(*)::int as n from coupons where workspace_id = $1', [ws.id]);
    expect(n.n).toBe(1);
    expect(await h.p.counters.get(keys.stock(ws.id, { id: tpl.id, campaignId: null }))).toBe(1);
  });

  it('grantCoupon: concurrent grants with one (template, source, sourceRef) — a lottery draw delivered twice — make one coupon, and the losers give their counters back', async () => {
    const ws = await newWorkspace(h);
    const [u] = await users(ws.api, 1);
    const tpl = (await expectOk(await ws.api.post('/v1/coupon-templates', templateBody({ totalStock: 50 })))).json();
    const userId = (await rows('select id from users where workspace_id = $1 and external_id = $2', [ws.id, u]))[0].id as string;
    const out = await Promise.all(Array.from({ length: 10 }, () => grantCoupon(h.p, { workspaceId: ws.id, templateId: tpl.id, userId, source: 'lottery', sourceRef: 'drw_1' })));
    expect(new Set(out.map((o) => o.couponId)).size).toBe(1);
    expect(out.filter((o) => !o.repeated)).toHaveLength(1);
    expect(await h.p.counters.get(keys.stock(ws.id, { id: tpl.id, campaignId: null }))).toBe(1);
    expect(await h.p.counters.get(keys.user(ws.id, { id: tpl.id, campaignId: null }, userId))).toBe(1);
    const events = await rows(`select count(*)::int as n from events where workspace_id = $1 and name = '$coupon_granted'`, [ws.id]);
    expect(events[0].n).toBe(1);
  });

  it('each grant of a batch writes its $coupon_granted event (exact properties, catalog count), and event hooks see it (a chance rule on it)', async () => {
    const { ws, ids, cmp, paid, free } = await paidAndFree(12, 'ev');
    const now = h.clock.now().getTime();
    const lottery = (await expectOk(await ws.api.post('/v1/lotteries', {
      name: 'per grant', startAt: new Date(now - DAY).toISOString(), endAt: new Date(now + 30 * DAY).toISOString(),
      chanceRules: [{ event: '$coupon_granted', chances: 1 }], prizes: [{ key: 'a', name: 'A', weight: 1, stock: null }],
    }))).json();
    // Concurrent grants: they share writer batches.
    const granted = await Promise.all(ids.map((externalId, i) => ws.api.post(`/v1/coupon-templates/${(i % 2 ? free : paid).id}/grant`, { externalId })));
    expect(granted.map((r) => r.statusCode)).toEqual(Array(12).fill(201));
    // A repeated grant (same Idempotency-Key) writes no second event.
    for (let i = 0; i < 2; i++) expect((await ws.api.post(`/v1/coupon-templates/${paid.id}/grant`, { externalId: ids[0] }, { 'idempotency-key': 'ev-once' })).statusCode).toBe(201);
    const events = await rows(`select u.external_id, e.ts, e.properties from events e join users u on u.workspace_id = e.workspace_id and u.id = e.user_id
      where e.workspace_id = $1 and e.name = '$coupon_granted'`, [ws.id]);
    expect(events).toHaveLength(13);
    const coupons = await rows('select c.id, c.template_id, c.granted_at, u.external_id, c.source from coupons c join users u on u.workspace_id = c.workspace_id and u.id = c.user_id where c.workspace_id = $1', [ws.id]);
    for (const c of coupons) {
      const e = events.find((x) => x.properties.couponId === c.id);
      expect(e.external_id).toBe(c.external_id);
      expect(e.ts.getTime()).toBe(c.granted_at.getTime());
      expect(e.properties).toEqual(c.template_id === paid.id
        ? { couponId: c.id, templateId: paid.id, campaignId: cmp, source: 'api', faceValue: 700 }
        : { couponId: c.id, templateId: free.id, source: 'api', faceValue: 300 });
    }
    const [count] = await rows(`select sum(count)::int as n from event_counts where workspace_id = $1 and name = '$coupon_granted'`, [ws.id]);
    expect(count.n).toBe(13);
    await h.drain();
    expect((await ws.api.get(`/v1/lotteries/${lottery.id}/chances/${ids[0]}`)).json().chances).toBe(2);
    expect((await ws.api.get(`/v1/lotteries/${lottery.id}/chances/${ids[1]}`)).json().chances).toBe(1);
  });

  it('once the event is typed and no hook wants it, a batch commits as one statement: coupons, reservations, events and catalog counts stay exact', async () => {
    const { ws, ids, cmp, paid, free } = await paidAndFree(20, 'one');
    const sample = { couponId: '', templateId: '', campaignId: '', source: '', faceValue: 0 };
    // The first batch of a workspace types the event's properties (a transaction); after it, the one-statement path applies.
    expect(await customers.inlineEventCounts(h.p, ws.id, '$coupon_granted', sample, 'ev', h.clock.now())).toBeNull();
    expect((await ws.api.post(`/v1/coupon-templates/${paid.id}/grant`, { externalId: ids[0] })).statusCode).toBe(201);
    expect(await customers.inlineEventCounts(h.p, ws.id, '$coupon_granted', sample, 'ev', h.clock.now())).not.toBeNull();
    // ...and without waiting: the writer compiles these batches inside the last one's reply (PipelinedBatcher).
    expect(customers.inlineEventCountsNow(ws.id, '$coupon_granted', sample, 'ev', h.clock.now())).toBeTruthy();
    const granted = await Promise.all(ids.slice(1).map((externalId, i) => ws.api.post(`/v1/coupon-templates/${(i % 2 ? free : paid).id}/grant`, { externalId })));
    expect(granted.map((r) => r.statusCode)).toEqual(Array(19).fill(201));
    // Grants with one (source, sourceRef) in one batch (a lottery prize delivered twice at once): one coupon, one event.
    const [userId] = (await rows('select id from users where workspace_id = $1 and external_id = $2', [ws.id, ids[0]])).map((u) => String(u.id));
    const again = await Promise.all([0, 1, 2].map(() => grantCoupon(h.p, { workspaceId: ws.id, templateId: free.id, userId: userId!, source: 'lottery', sourceRef: 'drw_once' })));
    expect(new Set(again.map((r) => r.couponId)).size).toBe(1);
    expect(again.filter((r) => !r.repeated)).toHaveLength(1);
    const coupons = await rows('select id, template_id, face_value::int as face from coupons where workspace_id = $1', [ws.id]);
    expect(coupons).toHaveLength(21);
    const events = await rows(`select properties from events where workspace_id = $1 and name = '$coupon_granted'`, [ws.id]);
    expect(events.map((e) => e.properties.couponId).sort()).toEqual(coupons.map((c) => c.id).sort());
    const [count] = await rows(`select sum(count)::int as n from event_counts where workspace_id = $1 and name = '$coupon_granted'`, [ws.id]);
    expect(count.n).toBe(21);
    const paidCount = coupons.filter((c) => c.template_id === paid.id).length;
    const [reserved] = await rows(`select count(*)::int as n, sum(delta)::int as total from budget_ledger where workspace_id = $1 and kind = 'reserve'`, [ws.id]);
    expect(reserved).toEqual({ n: paidCount, total: 700 * paidCount });
    expect((await ws.api.get(`/v1/campaigns/${cmp}/budget`)).json()).toMatchObject({ reserved: 700 * paidCount });
  });

  it('a known user is checked against a blacklist snapshot; blacklisted through this process it applies at once, through another the write refuses it and gives the counters back', async () => {
    const ws = await newWorkspace(h);
    const [a, b] = await users(ws.api, 2, 'snap');
    const tpl = (await expectOk(await ws.api.post('/v1/coupon-templates', templateBody({ totalStock: 10 })))).json();
    const grant = (externalId: string) => ws.api.post(`/v1/coupon-templates/${tpl.id}/grant`, { externalId });
    // First grants read the users (and remember their ids); the next ones use the snapshot.
    expect((await grant(a!)).statusCode).toBe(201);
    expect((await grant(b!)).statusCode).toBe(201);
    expect(customers.knownUserId(ws.id, a!)).toBeDefined();
    // An anonymous profile can be granted to, but its id is never remembered: an alias deletes that profile when it merges it.
    await expectOk(await ws.api.post('/v1/events', { events: [{ anonymousId: 'snap-device', name: 'page_view' }] }));
    expect((await grant('$anon:snap-device')).statusCode).toBe(201);
    expect(customers.knownUserId(ws.id, '$anon:snap-device')).toBeUndefined();
    expect(await policies.blacklistSnapshot(h.p, ws.id)).toEqual(new Set());
    // Through this process: the snapshot is dropped, the next grant sees it.
    await expectOk(await ws.api.post('/v1/blacklist', { externalIds: [a] }));
    expect((await grant(a!)).json().error.code).toBe('blacklisted');
    // Through another process (a row written behind this one's back): this process's snapshot still says no,
    // and the grant's write refuses it. Nothing is granted and the stock unit is given back.
    await h.p.pool.query(`insert into blacklist (workspace_id, external_id, created_by, created_at) values ($1, $2, 'other process', now())`, [ws.id, b]);
    const userB = (await rows('select id from users where workspace_id = $1 and external_id = $2', [ws.id, b]))[0].id;
    const written = await couponWriter(h.p).write({
      workspaceId: ws.id, id: 'cpn_behind_back', code: 'BEHINDBACK01', templateId: tpl.id, campaignId: null, userId: String(userB), externalId: b!, source: 'api', sourceRef: 'req_behind',
      faceValue: 0, validFrom: h.clock.now(), validTo: new Date(h.clock.now().getTime() + DAY), now: h.clock.now(), localDay: '2026-01-01', eventFaceValue: 1000,
    });
    expect(written).toBe('blacklisted');
    const stockBefore = await h.p.counters.get(keys.stock(ws.id, { id: tpl.id, campaignId: null }));
    const refused = await grant(b!);
    expect(refused.json().error.code).toBe('blacklisted');
    expect(await h.p.counters.get(keys.stock(ws.id, { id: tpl.id, campaignId: null }))).toBe(stockBefore);
    const [n] = await rows('select count(*)::int as n from coupons where workspace_id = $1', [ws.id]);
    expect(n.n).toBe(3);
  });

  it('claim window, blacklist, eligibility, kill switch — in that order, nothing taken when refused', async () => {
    const ws = await newWorkspace(h);
    await expectOk(await ws.api.post('/v1/users', { users: [{ externalId: 'vip', attributes: { tier: 'gold' } }, { externalId: 'plain', attributes: { tier: 'none' } }, { externalId: 'bad', attributes: { tier: 'gold' } }] }));
    await expectOk(await ws.api.post('/v1/blacklist', { externalIds: ['bad'] }));
    const tpl = (await expectOk(await ws.api.post('/v1/coupon-templates', templateBody({ eligibility: { attr: 'tier', op: 'eq', value: 'gold' } })))).json();
    const grant = (externalId: string) => ws.api.post(`/v1/coupon-templates/${tpl.id}/grant`, { externalId });
    expect((await grant('plain')).json().error.code).toBe('not_eligible');
    expect((await grant('bad')).json().error.code).toBe('blacklisted');
    expect((await grant('vip')).statusCode).toBe(201);
    await expectOk(await ws.api.post('/v1/kill-switches', { type: 'coupon_template', id: tpl.id, reason: 'leak' }));
    expect((await grant('vip')).json().error.code).toBe('killed');
    expect((await ws.api.get(`/v1/coupon-templates/${tpl.id}`)).json().killed).toBe(true);
    await expectOk(await ws.api.del(`/v1/kill-switches/coupon_template/${tpl.id}`));
    expect((await grant('vip')).statusCode).toBe(201);
    const late = (await expectOk(await ws.api.post('/v1/coupon-templates', templateBody({ claimStart: new Date(h.clock.now().getTime() + DAY).toISOString() })))).json();
    expect((await ws.api.post(`/v1/coupon-templates/${late.id}/grant`, { externalId: 'vip' })).json().error.code).toBe('outside_claim_window');
    expect(await h.p.counters.get(keys.stock(ws.id, { id: tpl.id, campaignId: null }))).toBe(2);
    const alerts = (await ws.api.get('/v1/alerts?kind=kill_switch')).json();
    expect(alerts.items).toHaveLength(1);
  });
});

describe("a user's coupons", () => {
  it('come newest first, only theirs, from a backward range of coupons_by_user without a sort', async () => {
    const ws = await newWorkspace(h);
    await users(ws.api, 2, 'mine');
    const a = (await expectOk(await ws.api.post('/v1/coupon-templates', templateBody()))).json();
    const b = (await expectOk(await ws.api.post('/v1/coupon-templates', templateBody({ perUserLimit: 5 })))).json();
    const granted: string[] = [];
    for (const [tpl, who] of [[a, 'mine-0'], [b, 'mine-1'], [b, 'mine-0'], [a, 'mine-1'], [b, 'mine-0']] as const) {
      const r = (await expectOk(await ws.api.post(`/v1/coupon-templates/${tpl.id}/grant`, { externalId: who }))).json();
      if (who === 'mine-0') granted.push(r.couponId);
      h.clock.advance(60_000);
    }
    const userId = String((await rows('select id from users where workspace_id = $1 and external_id = $2', [ws.id, 'mine-0']))[0].id);
    const list = await couponsOfUser(h.p, ws.id, userId);
    expect(list.map((c) => c.id)).toEqual([...granted].reverse());
    expect(new Set(list.map((c) => c.externalId))).toEqual(new Set(['mine-0']));

    // The plan, with sequential scans priced out so this small table plans as a large one would.
    const q = couponsOfUserQuery(h.p.db, ws.id, userId, 200).compile();
    const client = await h.p.pool.connect();
    try {
      await client.query('begin');
      await client.query('set local enable_seqscan = off');
      const plan = JSON.stringify((await client.query(`explain (format json) ${q.sql}`, q.parameters as unknown[])).rows[0]['QUERY PLAN']);
      expect(plan).toContain('"Index Name":"coupons_by_user"');
      expect(plan).toContain('"Scan Direction":"Backward"');
      expect(plan).not.toContain('"Node Type":"Sort"');
    } finally {
      await client.query('rollback');
      client.release();
    }
  });
});

describe('budgets and redemption', () => {
  it('budget: reserved by face value at grant, budget_exhausted, approver top-up, settled by the real discount, expiry returns it', async () => {
    const ws = await newWorkspace(h);
    const ids = await users(ws.api, 6);
    const cmp = await campaign(ws.api, 1000);
    const tpl = (await expectOk(await ws.api.post('/v1/coupon-templates', templateBody({ value: 300, campaignId: cmp, validity: { days: 2 } })))).json();
    const grant = (externalId: string) => ws.api.post(`/v1/coupon-templates/${tpl.id}/grant`, { externalId });
    const codes: string[] = [];
    for (const u of ids.slice(0, 3)) codes.push((await expectOk(await grant(u))).json().code);
    expect((await grant(ids[3]!)).json().error.code).toBe('budget_exhausted');
    let budget = (await ws.api.get(`/v1/campaigns/${cmp}/budget`)).json();
    expect(budget).toMatchObject({ amount: 1000, reserved: 900, spent: 0, remaining: 100 });

    // Only an approver or admin tops up.
    const operator = await ws.as('operator');
    expect((await operator.post(`/v1/campaigns/${cmp}/budget/top-ups`, { amount: 200, reason: 'more' })).statusCode).toBe(403);
    const approver = await ws.as('approver');
    budget = (await expectOk(await approver.post(`/v1/campaigns/${cmp}/budget/top-ups`, { amount: 200, reason: 'Good results' }))).json();
    expect(budget).toMatchObject({ amount: 1200, toppedUp: 200, remaining: 300 });
    codes.push((await expectOk(await grant(ids[3]!))).json().code);
    expect((await grant(ids[4]!)).json().error.code).toBe('budget_exhausted');

    // Redeem at 250: direct 300 off an order of 250 is 250 (never below zero); 50 returns.
    const r1 = await ws.api.post(`/v1/coupons/${codes[0]}/redeem`, { externalId: ids[0], orderId: 'o-1', orderAmount: 250 });
    expect(r1.json()).toEqual({ discount: 250, payable: 0 });
    expect((await ws.api.post(`/v1/coupons/${codes[0]}/redeem`, { externalId: ids[0], orderId: 'o-1', orderAmount: 250 })).json()).toEqual({ discount: 250, payable: 0 });
    expect((await ws.api.post(`/v1/coupons/${codes[0]}/redeem`, { externalId: ids[0], orderId: 'o-2', orderAmount: 900 })).json().error.code).toBe('already_redeemed');
    expect((await ws.api.post(`/v1/coupons/${codes[1]}/redeem`, { externalId: ids[0], orderId: 'o-3', orderAmount: 900 })).json().error.code).toBe('not_owner');
    budget = (await ws.api.get(`/v1/campaigns/${cmp}/budget`)).json();
    expect(budget).toMatchObject({ reserved: 900, spent: 250, committed: 1150, remaining: 50 });
    const budgetKey = keys.budget(ws.id, cmp);
    expect(await h.p.counters.get(budgetKey)).toBe(1150);

    // Expiry: the three unredeemed coupons end, their 900 comes back.
    h.clock.advance(3 * DAY);
    expect((await ws.api.post(`/v1/coupons/${codes[1]}/redeem`, { externalId: ids[1], orderId: 'o-4', orderAmount: 900 })).json().error.code).toBe('expired');
    await expireDue(h.p);
    budget = (await ws.api.get(`/v1/campaigns/${cmp}/budget`)).json();
    expect(budget).toMatchObject({ reserved: 0, spent: 250, committed: 250, remaining: 950 });
    expect(await h.p.counters.get(budgetKey)).toBe(250);
    const ledgerSum = budget.ledger.reduce((s: number, e: { delta: number }) => s + e.delta, 0);
    expect(ledgerSum).toBe(250);
    expect(budget.ledger.filter((e: { kind: string }) => e.kind === 'expire')).toHaveLength(3);
    const stats = (await ws.api.get(`/v1/coupon-templates/${tpl.id}/stats`)).json();
    expect(stats).toMatchObject({ granted: 4, redeemed: 1, expired: 3, discountTotal: 250, orderAmountTotal: 250 });
  });

  it('discount by type: threshold needs minSpend, percent is capped', async () => {
    const ws = await newWorkspace(h);
    const [u] = await users(ws.api, 1);
    const thr = (await expectOk(await ws.api.post('/v1/coupon-templates', templateBody({ type: 'threshold', value: 2000, minSpend: 10000 })))).json();
    const pct = (await expectOk(await ws.api.post('/v1/coupon-templates', templateBody({ type: 'percent', value: 15, maxDiscount: 3000 })))).json();
    const c1 = (await ws.api.post(`/v1/coupon-templates/${thr.id}/grant`, { externalId: u })).json().code;
    const c2 = (await ws.api.post(`/v1/coupon-templates/${pct.id}/grant`, { externalId: u })).json().code;
    expect((await ws.api.post(`/v1/coupons/${c1}/redeem`, { externalId: u, orderId: 'a', orderAmount: 9999 })).json().error.code).toBe('not_applicable');
    expect((await ws.api.post(`/v1/coupons/${c1}/redeem`, { externalId: u, orderId: 'a', orderAmount: 10000 })).json()).toEqual({ discount: 2000, payable: 8000 });
    expect((await ws.api.post(`/v1/coupons/${c2}/redeem`, { externalId: u, orderId: 'b', orderAmount: 50000 })).json()).toEqual({ discount: 3000, payable: 47000 });
    expect((await ws.api.post('/v1/coupon-templates', templateBody({ type: 'percent', value: 120 }))).statusCode).toBe(400);
  });

  it('a payment failing after redemption: ten concurrent releases release exactly once, and the coupon and budget come back', async () => {
    const ws = await newWorkspace(h);
    const [u] = await users(ws.api, 1);
    const cmp = await campaign(ws.api, 10_000);
    const tpl = (await expectOk(await ws.api.post('/v1/coupon-templates', templateBody({ value: 500, campaignId: cmp })))).json();
    const code = (await ws.api.post(`/v1/coupon-templates/${tpl.id}/grant`, { externalId: u })).json().code;
    expect((await ws.api.post(`/v1/coupons/${code}/redeem`, { externalId: u, orderId: 'pay-1', orderAmount: 300 })).json().discount).toBe(300);
    const rel = await Promise.all(Array.from({ length: 10 }, () => ws.api.post(`/v1/coupons/${code}/release`, { orderId: 'pay-1' })));
    expect(rel.map((r) => r.statusCode).every((s) => s === 200)).toBe(true);
    expect(rel.filter((r) => r.json().released)).toHaveLength(1);
    const c = (await ws.api.get(`/v1/coupons/${code}`)).json();
    expect(c.status).toBe('granted');
    const budget = (await ws.api.get(`/v1/campaigns/${cmp}/budget`)).json();
    expect(budget).toMatchObject({ reserved: 500, spent: 0, committed: 500 });
    expect(budget.ledger.filter((e: { kind: string }) => e.kind === 'release')).toHaveLength(1);
    expect(await h.p.counters.get(keys.budget(ws.id, cmp))).toBe(500);
    // The same order may pay again with it.
    expect((await ws.api.post(`/v1/coupons/${code}/redeem`, { externalId: u, orderId: 'pay-1', orderAmount: 300 })).json().discount).toBe(300);
  });

  it('redeem racing release: every interleaving leaves one consistent state (coupon, redemptions, budget counter = ledger)', async () => {
    const ws = await newWorkspace(h);
    const ids = await users(ws.api, 8);
    const cmp = await campaign(ws.api, 100_000);
    const tpl = (await expectOk(await ws.api.post('/v1/coupon-templates', templateBody({ value: 700, campaignId: cmp })))).json();
    for (const u of ids) {
      const code = (await ws.api.post(`/v1/coupon-templates/${tpl.id}/grant`, { externalId: u })).json().code;
      await expectOk(await ws.api.post(`/v1/coupons/${code}/redeem`, { externalId: u, orderId: `first-${u}`, orderAmount: 400 }));
      const [rel, red] = await Promise.all([
        ws.api.post(`/v1/coupons/${code}/release`, { orderId: `first-${u}` }),
        ws.api.post(`/v1/coupons/${code}/redeem`, { externalId: u, orderId: `second-${u}`, orderAmount: 600 }),
      ]);
      expect(rel.json().released).toBe(true);
      const c = (await ws.api.get(`/v1/coupons/${code}`)).json();
      if (red.statusCode === 200) {
        // The release went first, then the second order redeemed.
        expect(red.json().discount).toBe(600);
        expect(c).toMatchObject({ status: 'redeemed', orderId: `second-${u}` });
      } else {
        expect(red.json().error.code).toBe('already_redeemed');
        expect(c.status).toBe('granted');
      }
    }
    const budget = (await ws.api.get(`/v1/campaigns/${cmp}/budget`)).json();
    expect(await h.p.counters.get(keys.budget(ws.id, cmp))).toBe(budget.committed);
    expect(budget.committed).toBe(budget.reserved + budget.spent);
  });
});

describe('per-user counters after the claim window', () => {
  it('are dropped a week after claimEnd, skipped by reconciliation, and rebuilt from the coupons when a PATCH reopens the template', async () => {
    const ws = await newWorkspace(h);
    await users(ws.api, 2, 'late');
    const now = h.clock.now().getTime();
    const ending = (await expectOk(await ws.api.post('/v1/coupon-templates', templateBody({ perUserLimit: 2, claimEnd: new Date(now + DAY).toISOString() })))).json();
    const open = (await expectOk(await ws.api.post('/v1/coupon-templates', templateBody({ perUserLimit: 2 })))).json();
    const grant = (tpl: { id: string }, who: string) => ws.api.post(`/v1/coupon-templates/${tpl.id}/grant`, { externalId: who });
    for (const [tpl, who] of [[ending, 'late-0'], [ending, 'late-0'], [ending, 'late-1'], [open, 'late-0']] as const) expect((await grant(tpl, who)).statusCode).toBe(201);
    const userId = async (externalId: string) => String((await rows('select id from users where workspace_id = $1 and external_id = $2', [ws.id, externalId]))[0].id);
    const [u0, u1] = [await userId('late-0'), await userId('late-1')];
    const perUser = (tpl: { id: string }, u: string) => h.p.counters.get(keys.user(ws.id, { id: tpl.id, campaignId: null }, u));
    const droppedAt = async (tpl: { id: string }) => (await rows('select user_counters_dropped_at as at from coupon_templates where workspace_id = $1 and id = $2', [ws.id, tpl.id]))[0].at;

    // Six days after claimEnd: kept.
    h.clock.advance(DAY + 6 * DAY);
    await dropEndedUserCounters(h.p);
    expect(await perUser(ending, u0)).toBe(2);
    expect(await droppedAt(ending)).toBeNull();

    // A week and a minute after: dropped; the open template's are kept.
    h.clock.advance(DAY + 60_000);
    expect(await dropEndedUserCounters(h.p)).toBeGreaterThanOrEqual(1);
    expect([await perUser(ending, u0), await perUser(ending, u1)]).toEqual([0, 0]);
    expect(await droppedAt(ending)).toBeInstanceOf(Date);
    expect(await perUser(open, u0)).toBe(1);
    const again = await droppedAt(ending);
    await dropEndedUserCounters(h.p);
    expect(await droppedAt(ending)).toEqual(again);

    // Reconciliation finds nothing to repair: the dropped template is skipped, not "repaired" back.
    expect((await reconcileWorkspace(h.p, ws.id)).repairs).toEqual([]);
    expect((await grant(ending, 'late-1')).json().error.code).toBe('outside_claim_window');

    // Reopened: the counters come back from the coupon rows before the window opens, so the limit still holds.
    const reopened = await ws.api.patch(`/v1/coupon-templates/${ending.id}`, { claimEnd: new Date(h.clock.now().getTime() + DAY).toISOString() });
    expect(reopened.statusCode).toBe(200);
    expect(await droppedAt(ending)).toBeNull();
    expect([await perUser(ending, u0), await perUser(ending, u1)]).toEqual([2, 1]);
    expect(await h.p.counters.get(keys.stock(ws.id, { id: ending.id, campaignId: null }))).toBe(3);
    expect((await grant(ending, 'late-0')).json().error.code).toBe('user_limit_reached');
    expect((await grant(ending, 'late-1')).statusCode).toBe(201);
    expect((await grant(ending, 'late-1')).json().error.code).toBe('user_limit_reached');
    expect((await reconcileWorkspace(h.p, ws.id)).repairs).toEqual([]);
  });
});
