import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, createHarness, newWorkspace, type Client, type Harness } from '../../test/support/harness.ts';
import { expectOk } from '../../test/support/fixtures.ts';
import * as lotteries from '../lotteries/lotteries.service.ts';
import type { Principal } from '../workspaces/roles.ts';

/**
 * The H5 pages' API end to end over HTTP on real PostgreSQL (and Redis counters when REDIS_URL
 * is set): signed links, the token's bindings, claim and draw through the rewards services,
 * rate limits per IP and per device, and the events the pages leave for the campaign.
 */
let h: Harness;
let api: Client;
let ws: Awaited<ReturnType<typeof newWorkspace>>;
let pub: Client;
let admin: Principal;
let campaignId: string;

const hour = 3_600_000;
const users = ['alice', 'bob', 'carol', 'dave'];

beforeAll(async () => {
  h = await createHarness(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {});
  ws = await newWorkspace(h);
  api = ws.api;
  pub = client(h.app);
  admin = { workspaceId: ws.id, role: 'admin', actor: 'test' };
  await expectOk(await api.post('/v1/users', { users: users.map((externalId) => ({ externalId })) }));
  const now = h.clock.now().getTime();
  campaignId = (await expectOk(await api.post('/v1/campaigns', {
    name: 'H5', goal: 'activation', startAt: new Date(now - hour).toISOString(), endAt: new Date(now + 30 * 24 * hour).toISOString(),
  }))).json().id;
});
afterAll(async () => h?.close());

async function couponTemplate(totalStock: number, extra: Record<string, unknown> = {}): Promise<string> {
  const now = h.clock.now().getTime();
  return (await expectOk(await api.post('/v1/coupon-templates', {
    name: '20 off 100', type: 'threshold', value: 2000, minSpend: 10000, totalStock,
    claimStart: new Date(now - hour).toISOString(), claimEnd: new Date(now + 10 * 24 * hour).toISOString(), validity: { days: 7 }, ...extra,
  }))).json().id;
}

interface Link { url: string; shortUrl: string; code: string; token: string; tokenId: string; expiresAt: string }
async function link(externalId: string, page: { couponTemplateId?: string; lotteryId?: string }, extra: Record<string, unknown> = {}): Promise<Link> {
  return (await expectOk(await api.post('/v1/h5/links', { externalId, ...page, campaignId, ...extra }))).json<Link>();
}

let deviceSeq = 0;
const device = () => `device-${process.pid}-${++deviceSeq}-${Date.now().toString(36)}`;
const as = (token: string, dev = device(), ip?: string) => ({ 'x-h5-token': token, 'x-device-id': dev, ...(ip ? { 'x-forwarded-for': ip } : {}) });

async function eventsOf(externalId: string, name: string) {
  const r = await expectOk(await api.get(`/v1/users/${externalId}/events?name=${encodeURIComponent(name)}&limit=100`));
  return r.json<{ items: { name: string; properties: Record<string, unknown> }[] }>().items;
}

describe('H5 links', () => {
  it('issues a signed page link and its short form; the short link redirects to the page and counts the click', async () => {
    const tpl = await couponTemplate(10);
    const l = await link('alice', { couponTemplateId: tpl }, { ttlHours: 48 });
    expect(l.url).toBe(`https://ml.test/h5/coupon/${tpl}?t=${l.token}`);
    expect(l.shortUrl).toBe(`https://ml.test/h/${l.code}`);
    expect(new Date(l.expiresAt).getTime() - h.clock.now().getTime()).toBeGreaterThan(48 * hour - 2000);
    expect(new Date(l.expiresAt).getTime() - h.clock.now().getTime()).toBeLessThanOrEqual(48 * hour);

    const r = await pub.get(`/h/${l.code}`);
    expect(r.statusCode).toBe(302);
    expect(r.headers.location).toBe(l.url);
    const clicks = await eventsOf('alice', '$link_clicked');
    expect(clicks.filter((e) => e.properties.code === l.code).map((e) => e.properties.campaignId)).toEqual([campaignId]);
    expect((await pub.get('/h/doesnotexist0')).statusCode).toBe(404);

    const listed = (await expectOk(await api.get(`/v1/h5/links?page=coupon&pageId=${tpl}`))).json<{ items: Link[] }>();
    expect(listed.items.map((x) => x.code)).toEqual([l.code]);
  });

  it('refuses unknown users, pages and campaigns, two pages at once, and roles that may not write', async () => {
    const tpl = await couponTemplate(1);
    expect((await api.post('/v1/h5/links', { externalId: 'nobody', couponTemplateId: tpl })).json().error.code).toBe('not_found');
    expect((await api.post('/v1/h5/links', { externalId: 'alice', couponTemplateId: 'cpt_missing' })).json().error.code).toBe('not_found');
    expect((await api.post('/v1/h5/links', { externalId: 'alice', lotteryId: 'lot_missing' })).json().error.code).toBe('not_found');
    expect((await api.post('/v1/h5/links', { externalId: 'alice', couponTemplateId: tpl, campaignId: 'cmp_missing' })).json().error.code).toBe('not_found');
    const both = await api.post('/v1/h5/links', { externalId: 'alice', couponTemplateId: tpl, lotteryId: 'x' });
    expect(both.statusCode).toBe(400);
    const viewer = await ws.as('viewer');
    expect((await viewer.post('/v1/h5/links', { externalId: 'alice', couponTemplateId: tpl })).statusCode).toBe(403);
  });
});

describe('H5 coupon page', () => {
  it('shows the offer; a token is refused when missing, edited, for another page, or expired', async () => {
    const tpl = await couponTemplate(5);
    const other = await couponTemplate(5);
    const l = await link('bob', { couponTemplateId: tpl }, { ttlHours: 1 });
    const page = await expectOk(await pub.get(`/v1/h5/coupon/${tpl}`, as(l.token)));
    expect(page.headers['cache-control']).toBe('private, no-store');
    expect(page.json()).toMatchObject({ page: 'coupon', pageId: tpl, externalId: 'bob', campaignId, offer: { id: tpl, type: 'threshold', value: 2000, minSpend: 10000 }, myCoupons: [] });

    expect((await pub.get(`/v1/h5/coupon/${tpl}`)).json().error.code).toBe('invalid_token');
    // Bob's token re-signed for Alice without the key: the MAC no longer matches.
    const [body, mac] = l.token.split('.') as [string, string];
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString()) as Record<string, unknown>;
    const aliceLink = await link('alice', { couponTemplateId: tpl });
    const aliceUserId = (JSON.parse(Buffer.from(aliceLink.token.split('.')[0]!, 'base64url').toString()) as { u: string }).u;
    const forged = `${Buffer.from(JSON.stringify({ ...claims, u: aliceUserId, e: 'alice' })).toString('base64url')}.${mac}`;
    const f = await pub.post(`/v1/h5/coupon/${tpl}/claim`, {}, as(forged));
    expect([f.statusCode, f.json().error.code]).toEqual([400, 'invalid_token']);
    // A valid token opens only its own page, for claims too.
    const o = await pub.post(`/v1/h5/coupon/${other}/claim`, {}, as(l.token));
    expect([o.statusCode, o.json().error.code]).toEqual([403, 'forbidden']);
    expect((await pub.get(`/v1/h5/lottery/${tpl}`, as(l.token))).statusCode).toBe(403);
    const stats = (await expectOk(await api.get(`/v1/coupon-templates/${other}/stats`))).json();
    expect(stats.granted).toBe(0);

    h.clock.advance(hour);
    const e = await pub.get(`/v1/h5/coupon/${tpl}`, as(l.token));
    expect([e.statusCode, e.json().error.code]).toEqual([410, 'link_expired']);
  });

  it('claims once per link (a repeat answers the same coupon), lists it, and passes refusals through', async () => {
    const tpl = await couponTemplate(1);
    const carol = await link('carol', { couponTemplateId: tpl });
    const first = (await expectOk(await pub.post(`/v1/h5/coupon/${tpl}/claim`, {}, as(carol.token)))).json();
    expect(first.repeated).toBe(false);
    const again = (await expectOk(await pub.post(`/v1/h5/coupon/${tpl}/claim`, {}, as(carol.token)))).json();
    expect(again).toEqual({ ...first, repeated: true });
    const coupon = (await expectOk(await api.get(`/v1/coupons/${first.code}`))).json();
    expect(coupon).toMatchObject({ externalId: 'carol', templateId: tpl, source: 'h5' });
    const page = (await expectOk(await pub.get(`/v1/h5/coupon/${tpl}`, as(carol.token)))).json();
    expect(page.myCoupons.map((c: { code: string }) => c.code)).toEqual([first.code]);

    // The single unit is gone: Dave's claim is refused with the coupons service's code.
    const dave = await link('dave', { couponTemplateId: tpl });
    const r = await pub.post(`/v1/h5/coupon/${tpl}/claim`, {}, as(dave.token));
    expect([r.statusCode, r.json().error.code]).toEqual([409, 'out_of_stock']);
    const stats = (await expectOk(await api.get(`/v1/coupon-templates/${tpl}/stats`))).json();
    expect(stats.granted).toBe(1);

    // Both taps and the view are events with the campaign id.
    const clicks = (await eventsOf('carol', '$h5_click')).filter((ev) => ev.properties.pageId === tpl);
    expect(clicks.map((ev) => ev.properties.outcome).sort()).toEqual(['granted', 'repeated']);
    expect(new Set(clicks.map((ev) => ev.properties.campaignId))).toEqual(new Set([campaignId]));
    const daveClicks = (await eventsOf('dave', '$h5_click')).filter((ev) => ev.properties.pageId === tpl);
    expect(daveClicks.map((ev) => ev.properties.outcome)).toEqual(['out_of_stock']);
    const views = (await eventsOf('carol', '$h5_view')).filter((ev) => ev.properties.pageId === tpl);
    expect(views).toHaveLength(1);
    expect(views[0]!.properties).toMatchObject({ campaignId, page: 'coupon', tokenId: carol.tokenId });
  });
});

describe('H5 lottery page', () => {
  it('draws through the lotteries service: the prize is the one recorded, chances go down, a retried request does not draw twice', async () => {
    const now = h.clock.now().getTime();
    const lot = await lotteries.createLottery(h.p, admin, {
      name: 'Spin', startAt: new Date(now - hour).toISOString(), endAt: new Date(now + 24 * hour).toISOString(), costPerDraw: 1, noPrizeWeight: 1,
      chanceRules: [], pools: [], prizes: [{ key: 'tea', name: 'Tea', weight: 3, stock: 100 }, { key: 'cup', name: 'Cup', weight: 1, stock: 100 }],
    });
    await lotteries.grantChances(h.p, admin, lot.id, { externalId: 'alice', amount: 2, reason: 'test' });
    const l = await link('alice', { lotteryId: lot.id });
    const page = (await expectOk(await pub.get(`/v1/h5/lottery/${lot.id}`, as(l.token)))).json();
    expect(page.chances).toBe(2);
    expect(page.lottery.prizes.map((p: { key: string; probability: number }) => [p.key, p.probability])).toEqual([['tea', 0.6], ['cup', 0.2]]);

    const dev = device();
    const d1 = (await expectOk(await pub.post(`/v1/h5/lottery/${lot.id}/draw`, { requestId: 'tap-1' }, as(l.token, dev)))).json();
    expect(d1.chances).toBe(1);
    const replay = (await expectOk(await pub.post(`/v1/h5/lottery/${lot.id}/draw`, { requestId: 'tap-1' }, as(l.token, dev)))).json();
    expect(replay).toEqual(d1);
    const d2 = (await expectOk(await pub.post(`/v1/h5/lottery/${lot.id}/draw`, { requestId: 'tap-2' }, as(l.token, dev)))).json();
    expect(d2.drawId).not.toBe(d1.drawId);
    expect(d2.chances).toBe(0);
    const none = await pub.post(`/v1/h5/lottery/${lot.id}/draw`, { requestId: 'tap-3' }, as(l.token, dev));
    expect([none.statusCode, none.json().error.code]).toEqual([409, 'no_chances']);

    // What the page said is what the lottery recorded.
    const stats = await lotteries.stats(h.p, ws.id, lot.id);
    expect(stats.draws).toBe(2);
    const won = [d1, d2].filter((d) => d.prize).map((d) => d.prize.key);
    for (const p of stats.prizes) expect(p.won).toBe(won.filter((k) => k === p.key).length);
    const after = (await expectOk(await pub.get(`/v1/h5/lottery/${lot.id}`, as(l.token)))).json();
    expect(after.chances).toBe(0);
    expect(after.myPrizes.map((p: { drawId: string }) => p.drawId).sort()).toEqual([d1, d2].filter((d) => d.prize).map((d) => d.drawId).sort());
    const clicks = (await eventsOf('alice', '$h5_click')).filter((ev) => ev.properties.pageId === lot.id);
    expect(clicks.map((ev) => ev.properties.outcome).sort()).toEqual([...[d1, d2].map((d) => (d.prize ? 'won' : 'no_prize')), 'no_chances'].sort());
  });
});

describe('H5 lottery odds', () => {
  it("shows each user the odds of the pool that will draw for them (the first pool whose segment holds the user)", async () => {
    await expectOk(await api.post('/v1/users', { users: [{ externalId: 'carol', attributes: { tier: 'gold' } }] }));
    const gold = (await expectOk(await api.post('/v1/segments', { name: 'Gold', refresh: 'manual', definition: { attr: 'tier', op: 'eq', value: 'gold' } }))).json().id;
    await h.drain();
    const now = h.clock.now().getTime();
    const prizes = [{ key: 'tea', name: 'Tea', weight: 3, stock: 100 }, { key: 'cup', name: 'Cup', weight: 1, stock: 100 }];
    const poolWeights = { tea: 1, cup: 7 };
    const lot = await lotteries.createLottery(h.p, admin, {
      name: 'Tiers', startAt: new Date(now - hour).toISOString(), endAt: new Date(now + 24 * hour).toISOString(), costPerDraw: 1, noPrizeWeight: 4,
      chanceRules: [], prizes, pools: [{ segmentId: gold, noPrizeWeight: 2, prizes: Object.entries(poolWeights).map(([key, weight]) => ({ key, weight })) }],
    });
    const odds = async (externalId: string) => {
      const l = await link(externalId, { lotteryId: lot.id });
      const page = (await expectOk(await pub.get(`/v1/h5/lottery/${lot.id}`, as(l.token)))).json();
      return Object.fromEntries(page.lottery.prizes.map((p: { key: string; probability: number }) => [p.key, p.probability]));
    };
    const share = (w: Record<string, number>, none: number) => {
      const total = Object.values(w).reduce((a, b) => a + b, 0) + none;
      return Object.fromEntries(Object.entries(w).map(([k, v]) => [k, v / total]));
    };
    const base = share(Object.fromEntries(prizes.map((p) => [p.key, p.weight])), 4);
    const pool = share(poolWeights, 2);
    const [c, d] = [await odds('carol'), await odds('dave')];
    for (const k of ['tea', 'cup']) {
      expect(c[k]).toBeCloseTo(pool[k]!, 6);
      expect(d[k]).toBeCloseTo(base[k]!, 6);
    }
  });
});

describe('H5 points exchange', () => {
  it("exchanges the user's own points for chances at the lottery's rate, once per request id", async () => {
    const now = h.clock.now().getTime();
    const lot = await lotteries.createLottery(h.p, admin, {
      name: 'Points spin', startAt: new Date(now - hour).toISOString(), endAt: new Date(now + 24 * hour).toISOString(), costPerDraw: 1, noPrizeWeight: 1,
      pointsPerChance: 10, chanceRules: [], pools: [], prizes: [{ key: 'tea', name: 'Tea', weight: 1, stock: null }],
    });
    await expectOk(await api.post('/v1/points/carol/credit', { amount: 25, reason: 'test', refId: `h5-xchg-${lot.id}` }));
    const l = await link('carol', { lotteryId: lot.id });
    const page = (await expectOk(await pub.get(`/v1/h5/lottery/${lot.id}`, as(l.token)))).json();
    expect([page.chances, page.points, page.lottery.pointsPerChance]).toEqual([0, 25, 10]);
    const x = (await expectOk(await pub.post(`/v1/h5/lottery/${lot.id}/exchange`, { chances: 2, requestId: 'x-1' }, as(l.token)))).json();
    expect(x).toEqual({ chances: 2, pointsSpent: 20, pointsBalance: 5 });
    const again = (await expectOk(await pub.post(`/v1/h5/lottery/${lot.id}/exchange`, { chances: 2, requestId: 'x-1' }, as(l.token)))).json();
    expect([again.chances, again.pointsBalance]).toEqual([2, 5]);
    const poor = await pub.post(`/v1/h5/lottery/${lot.id}/exchange`, { chances: 1, requestId: 'x-2' }, as(l.token));
    expect([poor.statusCode, poor.json().error.code]).toEqual([409, 'insufficient_points']);
    const balance = (await expectOk(await api.get('/v1/points/carol'))).json();
    expect(balance.balance).toBe(5);
    expect(await lotteries.chancesOf(h.p, ws.id, lot.id, (JSON.parse(Buffer.from(l.token.split('.')[0]!, 'base64url').toString()) as { u: string }).u)).toBe(2);
  });
});

describe('H5 rate limits', () => {
  it('limits each device and each IP per rolling minute (429 rate_limited), and forgets after the window', async () => {
    await expectOk(await api.put('/v1/h5/settings', { perIpPerMinute: 5, perDevicePerMinute: 3 }));
    expect((await expectOk(await api.get('/v1/h5/settings'))).json()).toMatchObject({ perIpPerMinute: 5, perDevicePerMinute: 3 });
    const tpl = await couponTemplate(10);
    const l = await link('bob', { couponTemplateId: tpl });
    const ip = `203.0.113.${1 + (process.pid % 200)}`;
    const dev1 = device();
    const codes = async (dev: string, n: number, fromIp = ip) => {
      const out: number[] = [];
      for (let i = 0; i < n; i++) out.push((await pub.get(`/v1/h5/coupon/${tpl}`, as(l.token, dev, fromIp))).statusCode);
      return out;
    };
    expect(await codes(dev1, 4)).toEqual([200, 200, 200, 429]);
    const limited = await pub.post(`/v1/h5/coupon/${tpl}/claim`, {}, as(l.token, dev1, ip));
    expect([limited.statusCode, limited.json().error.code, limited.json().error.details[0].path]).toEqual([429, 'rate_limited', 'device']);
    // A second device from the same address has its own 3, but the address has 2 left of its 5.
    const dev2 = device();
    expect(await codes(dev2, 3)).toEqual([200, 200, 429]);
    expect((await pub.get(`/v1/h5/coupon/${tpl}`, as(l.token, dev2, ip))).json().error.details[0].path).toBe('ip');
    // Another address is not affected.
    expect(await codes(device(), 1, '198.51.100.7')).toEqual([200]);
    // The short link still answers an address over its limit, but records no click for it.
    const clicksBefore = (await eventsOf('bob', '$link_clicked')).filter((e) => e.properties.code === l.code).length;
    const over = await pub.get(`/h/${l.code}`, { 'x-forwarded-for': ip });
    expect([over.statusCode, over.headers.location]).toEqual([302, l.url]);
    expect((await eventsOf('bob', '$link_clicked')).filter((e) => e.properties.code === l.code)).toHaveLength(clicksBefore);
    // Refused calls took nothing: after the window everything is fresh.
    h.clock.advance(61_000);
    expect(await codes(dev1, 3)).toEqual([200, 200, 200]);
    await expectOk(await api.put('/v1/h5/settings', { perIpPerMinute: 600, perDevicePerMinute: 60 }));
  });

  it('a client without a device id gets one as a cookie and is counted by it', async () => {
    const tpl = await couponTemplate(10);
    const l = await link('dave', { couponTemplateId: tpl });
    const r = await pub.get(`/v1/h5/coupon/${tpl}`, { 'x-h5-token': l.token });
    expect(r.statusCode).toBe(200);
    const cookie = String(r.headers['set-cookie'] ?? '');
    expect(cookie).toMatch(/^ml_did=dev_[A-Za-z0-9]+;/);
    const again = await pub.get(`/v1/h5/coupon/${tpl}`, { 'x-h5-token': l.token, cookie: cookie.split(';')[0]! });
    expect(again.statusCode).toBe(200);
    expect(again.headers['set-cookie']).toBeUndefined();
  });
});
