import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, newWorkspace, type Client, type Harness } from './support/harness.ts';
import { expectOk, expectPaged } from './support/fixtures.ts';
import { keys } from '../src/coupons/coupons.service.ts';
import { runMonitors, RATE_MIN } from '../src/alerts/alerts.service.ts';
import { dayWindow } from '../src/platform/counters/counters.windows.ts';

/**
 * Never overspend (issue 5): reconciliation repairs counters that drifted from the ledger (Redis
 * lost its keys; a worker died between the take and the write) with an alert per repair; loss
 * monitors; the alert webhook to approvers. Runs on Redis counters when REDIS_URL is set.
 */
let h: Harness;
beforeAll(async () => { h = await createHarness(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}); });
afterAll(async () => { await h.close(); });

const DAY = 86_400_000;
function templateBody(over: Record<string, unknown> = {}) {
  const now = h.clock.now().getTime();
  return { name: 'T', type: 'direct', value: 100, totalStock: 3, claimStart: new Date(now - 3_600_000).toISOString(), claimEnd: new Date(now + 400 * DAY).toISOString(), validity: { days: 30 }, ...over };
}
async function setup(api: Client, n: number, over: Record<string, unknown> = {}) {
  const users = Array.from({ length: n }, (_, i) => ({ externalId: `u-${i}`, attributes: { tier: 'gold' } }));
  await expectOk(await api.post('/v1/users', { users }));
  const tpl = (await expectOk(await api.post('/v1/coupon-templates', templateBody(over)))).json<{ id: string; campaignId: string | null }>();
  return { ids: users.map((u) => u.externalId), tpl };
}
const internalId = async (ws: string, externalId: string) => (await h.p.pool.query('select id from users where workspace_id = $1 and external_id = $2', [ws, externalId])).rows[0].id as string;

describe('reconciliation', () => {
  it('Redis lost its keys: the next grants would oversell; reconciliation restores stock, per-user and per-day counters from the rows, with an alert each', async () => {
    const ws = await newWorkspace(h);
    const { ids, tpl } = await setup(ws.api, 5, { perUserLimit: 1, perUserDailyLimit: 1 });
    for (const u of ids.slice(0, 3)) await expectOk(await ws.api.post(`/v1/coupon-templates/${tpl.id}/grant`, { externalId: u }));
    const t = { id: tpl.id, campaignId: null };
    const u0 = await internalId(ws.id, ids[0]!);
    const day = dayWindow(h.clock.now(), 'Asia/Shanghai');
    // The loss: every counter of the template is gone.
    await h.p.counters.reset(keys.stock(ws.id, t));
    for (const u of ids.slice(0, 3)) {
      const uid = await internalId(ws.id, u);
      await h.p.counters.reset(keys.user(ws.id, t, uid));
      await h.p.counters.reset(keys.userDay(ws.id, t, uid), { window: day });
    }
    const r = (await expectOk(await ws.api.post('/v1/rewards/reconcile'))).json();
    expect(r.repairs).toHaveLength(1 + 3 * 2);
    expect(r.repairs.find((x: { key: string }) => x.key.endsWith(':stock'))).toMatchObject({ was: 0, now: 3 });
    expect(await h.p.counters.get(keys.stock(ws.id, t))).toBe(3);
    expect(await h.p.counters.get(keys.user(ws.id, t, u0))).toBe(1);
    // Nothing oversold: stock is out, and u-0 is at its limit.
    expect((await ws.api.post(`/v1/coupon-templates/${tpl.id}/grant`, { externalId: ids[3] })).json().error.code).toBe('out_of_stock');
    const alerts = (await ws.api.get('/v1/alerts?kind=counter_repaired')).json();
    expect(alerts.items).toHaveLength(7);
    // A second run finds nothing to repair.
    expect((await ws.api.post('/v1/rewards/reconcile')).json().repairs).toHaveLength(0);
    // Only an admin runs it.
    expect((await (await ws.as('operator')).post('/v1/rewards/reconcile')).statusCode).toBe(403);
  });

  it('a worker died between the counter take and the DB write: the stranded stock, limit and budget are given back by reconciliation', async () => {
    const ws = await newWorkspace(h);
    const now = h.clock.now().getTime();
    const cmp = (await expectOk(await ws.api.post('/v1/campaigns', { name: 'C', goal: 'other', startAt: new Date(now - 3_600_000).toISOString(), endAt: new Date(now + 30 * DAY).toISOString(), budget: { amount: 300 } }))).json().id;
    const { ids, tpl } = await setup(ws.api, 4, { campaignId: cmp, perUserLimit: 2 });
    await expectOk(await ws.api.post(`/v1/coupon-templates/${tpl.id}/grant`, { externalId: ids[0] }));
    const t = { id: tpl.id, campaignId: cmp };
    const u0 = await internalId(ws.id, ids[0]!);
    // The dead worker's take for u-0's second coupon: stock, u-0's limit and 100 of budget, then no coupon row.
    // (Reconciliation finds per-user counters of users who hold a coupon of the template: docs/rewards.md.)
    const dead = await h.p.counters.takeMany([
      { key: keys.stock(ws.id, t), limit: 3 }, { key: keys.user(ws.id, t, u0), limit: 2 }, { key: keys.budget(ws.id, cmp), limit: 300, amount: 100 },
    ]);
    expect(dead.ok).toBe(true);
    expect((await ws.api.post(`/v1/coupon-templates/${tpl.id}/grant`, { externalId: ids[0] })).json().error.code).toBe('user_limit_reached');
    const r = (await expectOk(await ws.api.post('/v1/rewards/reconcile'))).json();
    expect(r.repairs.map((x: { key: string; was: number; now: number }) => [x.key.split('}:')[1]!.replace(/user:\d+/, 'user'), x.was, x.now]).sort()).toEqual([
      ['budget', 200, 100], [`tpl:${tpl.id}:stock`, 2, 1], [`tpl:${tpl.id}:user`, 2, 1],
    ].sort());
    // u-0 gets its second coupon, and the budget pays for exactly three in all.
    await expectOk(await ws.api.post(`/v1/coupon-templates/${tpl.id}/grant`, { externalId: ids[0] }));
    await expectOk(await ws.api.post(`/v1/coupon-templates/${tpl.id}/grant`, { externalId: ids[2] }));
    expect((await ws.api.post(`/v1/coupon-templates/${tpl.id}/grant`, { externalId: ids[3] })).json().error.code).toMatch(/out_of_stock|budget_exhausted/);
    const budget = (await ws.api.get(`/v1/campaigns/${cmp}/budget`)).json();
    expect(budget).toMatchObject({ committed: 300, reserved: 300 });
    expect((await ws.api.get('/v1/alerts?kind=counter_repaired')).json().items).toHaveLength(3);
  });
});

describe('loss monitors and the alert webhook', () => {
  it('grants far above the recent rate, a grant outside the eligible audience, a user past a limit, spend past the budget: alerts, POSTed to the approvers\' webhook', async () => {
    const received: unknown[] = [];
    const server = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (c) => { body += c; });
      req.on('end', () => { received.push(JSON.parse(body)); res.writeHead(204).end(); });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const ws = await newWorkspace(h);
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/alerts`;
      // Private targets are refused unless allowed (SSRF), as for webhook providers.
      await expectOk(await ws.api.put('/v1/alert-settings', { webhookUrl: url, allowPrivateNetworks: true }));
      const now = h.clock.now().getTime();
      const cmp = (await expectOk(await ws.api.post('/v1/campaigns', { name: 'C', goal: 'other', startAt: new Date(now - 3_600_000).toISOString(), endAt: new Date(now + 30 * DAY).toISOString(), budget: { amount: 100_000 } }))).json().id;
      const n = RATE_MIN + 5;
      const { ids, tpl } = await setup(ws.api, n, { totalStock: 1000, campaignId: cmp, eligibility: { attr: 'tier', op: 'eq', value: 'gold' } });
      for (const u of ids) await expectOk(await ws.api.post(`/v1/coupon-templates/${tpl.id}/grant`, { externalId: u }));
      await expectOk(await ws.api.post(`/v1/coupon-templates/${tpl.id}/grant`, { externalId: ids[0] }));
      // u-1 left the eligible audience after its grant; the limit went below what u-0 holds; a direct ledger edit overspends.
      await expectOk(await ws.api.post('/v1/users', { users: [{ externalId: ids[1], attributes: { tier: 'none' } }] }));
      await expectOk(await ws.api.patch(`/v1/coupon-templates/${tpl.id}`, { perUserLimit: 1 }));
      await h.p.pool.query(`insert into budget_ledger (workspace_id, campaign_id, kind, delta, created_at) values ($1, $2, 'reserve', 200000, now())`, [ws.id, cmp]);
      h.clock.advance(1000);
      await runMonitors(h.p, ws.id);
      await runMonitors(h.p, ws.id); // standing problems are raised once
      const kinds = (await ws.api.get('/v1/alerts')).json().items.map((a: { kind: string }) => a.kind).sort();
      expect(kinds).toEqual(['budget_overspent', 'grant_outside_audience', 'rate_spike', 'user_over_limit']);
      await h.drain();
      expect(received.map((b) => (b as { alert: { kind: string } }).alert.kind).sort()).toEqual(kinds);
      const all = (await ws.api.get('/v1/alerts?acked=false')).json().items;
      expect(all.every((a: { notifiedAt: string | null }) => a.notifiedAt)).toBe(true);
      const acked = (await expectOk(await ws.api.post(`/v1/alerts/${all[0].id}/ack`))).json();
      expect(acked.ackedBy).toBeTruthy();
      expect((await ws.api.get('/v1/alerts?acked=false')).json().items).toHaveLength(3);
      expect(received.length).toBe(4);
    } finally {
      server.close();
    }
  });

  it('a kill switch stops a campaign: every template it pays for refuses grants at once', async () => {
    const ws = await newWorkspace(h);
    const now = h.clock.now().getTime();
    const cmp = (await expectOk(await ws.api.post('/v1/campaigns', { name: 'C', goal: 'other', startAt: new Date(now - 3_600_000).toISOString(), endAt: new Date(now + 30 * DAY).toISOString() }))).json().id;
    const { ids, tpl } = await setup(ws.api, 2, { campaignId: cmp });
    await expectOk(await ws.api.post(`/v1/coupon-templates/${tpl.id}/grant`, { externalId: ids[0] }));
    expect((await (await ws.as('viewer')).post('/v1/kill-switches', { type: 'campaign', id: cmp })).statusCode).toBe(403);
    await expectOk(await (await ws.as('approver')).post('/v1/kill-switches', { type: 'campaign', id: cmp, reason: 'fraud wave' }));
    const r = await ws.api.post(`/v1/coupon-templates/${tpl.id}/grant`, { externalId: ids[1] });
    expect(r.statusCode).toBe(409);
    expect(r.json().error.code).toBe('killed');
    expect((await ws.api.get('/v1/kill-switches')).json().items).toMatchObject([{ type: 'campaign', id: cmp, reason: 'fraud wave' }]);
  });

  it('kill switches are a list: newest first (ties by type, then id, descending), a page at a time; bad queries are 400s', async () => {
    const ws = await newWorkspace(h);
    const kill = async (type: string, id: string) => expectOk(await ws.api.post('/v1/kill-switches', { type, id, reason: 'test' }));
    await kill('lottery', 'lot_old');
    h.clock.advance(1000);
    // Three at the same instant: the key after the time is (type, id), ids with the cursor's separators too.
    await kill('campaign', 'cmp|a:1');
    await kill('campaign', 'cmp|b:2');
    await kill('points', 'pts');
    h.clock.advance(1000);
    await kill('coupon_template', 'tpl_new');
    const walked = await expectPaged<{ type: string; id: string }>(ws.api, '/v1/kill-switches');
    expect(walked.map((k) => `${k.type}/${k.id}`)).toEqual(['coupon_template/tpl_new', 'points/pts', 'campaign/cmp|b:2', 'campaign/cmp|a:1', 'lottery/lot_old']);
    await expectOk(await ws.api.del(`/v1/kill-switches/points/pts`));
    expect((await ws.api.get('/v1/kill-switches')).json()).toMatchObject({ nextCursor: null });
    expect((await ws.api.get('/v1/kill-switches')).json().items).toHaveLength(4);
  });
});
