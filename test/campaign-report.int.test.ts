import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, createHarness, newWorkspace, type Harness } from './support/harness.ts';
import { expectOk } from './support/fixtures.ts';
import { moveToNextLocal } from './support/time.ts';

/**
 * What a campaign earned (API.md "Analytics"), over HTTP from users to CSV: two tasks (an SMS
 * with a coupon its budget pays, an inbox message), a blacklisted user, a click, an inbox read,
 * a first order that redeems the coupon, a repeat buyer's two orders, an order after the window
 * and one by a user the campaign never touched.
 */
describe('campaign report and exports', () => {
  let h: Harness;
  beforeAll(async () => { h = await createHarness(); });
  afterAll(async () => { await h.close(); });

  it('funnel, attributed orders split into first orders and repeat buyers, coupons, ROI and tasks; CSV of messages and conversions', async () => {
    moveToNextLocal(h.clock, 12);
    const ws = await newWorkspace(h);
    const api = ws.api;
    const now = h.clock.now();
    const at = (ms: number) => new Date(now.getTime() + ms).toISOString();
    const DAY = 86_400_000;
    await expectOk(await api.post('/v1/users', { users: [
      ...['s0', 's1', 's2', 's3'].map((id, i) => ({ externalId: id, phone: `1380000000${i}`, attributes: { group: 'sms' } })),
      ...['i0', 'i1'].map((id) => ({ externalId: id, attributes: { group: 'inbox' } })),
      { externalId: 'never', phone: '13900000000', attributes: { group: 'none' } },
    ] }));
    // s1 bought before the campaign: a repeat buyer when it buys again.
    await expectOk(await api.post('/v1/events', { events: [{ externalId: 's1', name: 'order_paid', timestamp: at(-30 * DAY), properties: { orderId: 'before-1', amount: 1000 } }] }));
    await expectOk(await api.post('/v1/blacklist', { externalIds: ['s3'] }));
    const segment = async (group: string) => (await expectOk(await api.post('/v1/segments', { name: group, refresh: 'manual', definition: { attr: 'group', op: 'eq', value: group } }))).json().id as string;
    const [smsSeg, inboxSeg] = [await segment('sms'), await segment('inbox')];
    await h.drain();

    const campaign = (await expectOk(await api.post('/v1/campaigns', {
      name: 'Spring', goal: 'repurchase', startAt: at(-3_600_000), endAt: at(30 * DAY), budget: { amount: 100_000 }, conversion: { event: 'order_paid', windowDays: 7 },
    }))).json();
    const coupon = (await expectOk(await api.post('/v1/coupon-templates', {
      name: '20 off', type: 'direct', value: 2000, totalStock: 100, claimStart: at(-3_600_000), claimEnd: at(30 * DAY), validity: { days: 7 }, campaignId: campaign.id,
    }))).json();
    const smsTpl = (await expectOk(await api.post('/v1/templates', { name: 's', channel: 'sms', content: { signature: 'Shop', body: 'Code {{ coupon.code }} {{ "https://shop.example/spring" | track }}' } }))).json();
    const inboxTpl = (await expectOk(await api.post('/v1/templates', { name: 'i', channel: 'inbox', content: { title: 'Spring', body: 'Hi {{ user.externalId }}' } }))).json();
    const smsTask = (await expectOk(await api.post(`/v1/campaigns/${campaign.id}/tasks`, { name: 'SMS', channel: 'sms', templateId: smsTpl.id, audience: { segmentId: smsSeg }, schedule: { type: 'now' }, couponTemplateId: coupon.id }))).json();
    const inboxTask = (await expectOk(await api.post(`/v1/campaigns/${campaign.id}/tasks`, { name: 'Inbox', channel: 'inbox', templateId: inboxTpl.id, audience: { segmentId: inboxSeg }, schedule: { type: 'now' } }))).json();
    await expectOk(await api.post(`/v1/campaigns/${campaign.id}/submit`));
    await expectOk(await api.post(`/v1/campaigns/${campaign.id}/approve`));
    await h.drain();

    // s0 clicks its link; i0 reads its inbox message.
    const outbox = (await api.get('/v1/sandbox/outbox?channel=sms&limit=100')).json().items as { externalId: string; rendered: { text: string } }[];
    const s0 = outbox.find((m) => m.externalId === 's0')!;
    const code = /\/l\/(\w+)/.exec(s0.rendered.text)![1]!;
    expect((await h.app.inject({ method: 'GET', url: `/l/${code}` })).statusCode).toBe(302);
    const i0 = (await api.get('/v1/inbox/i0')).json().items as { id: string }[];
    await expectOk(await api.post('/v1/inbox/i0/read', { ids: [i0[0]!.id] }));
    await h.drain();

    // Orders: s0's first order ever redeems its coupon; s1 buys twice; s2 buys after the 7 days;
    // `never` was not touched.
    const s0Coupon = /Code (\S+)/.exec(s0.rendered.text)![1]!;
    h.clock.advance(DAY);
    expect((await expectOk(await api.post(`/v1/coupons/${s0Coupon}/redeem`, { externalId: 's0', orderId: 'o-s0', orderAmount: 12_000 }))).json()).toEqual({ discount: 2000, payable: 10_000 });
    await expectOk(await api.post('/v1/events', { events: [
      { externalId: 's0', name: 'order_paid', timestamp: at(DAY), properties: { orderId: 'o-s0', amount: 10_000, couponCode: s0Coupon } },
      { externalId: 's1', name: 'order_paid', timestamp: at(DAY), properties: { orderId: 'o-s1a', amount: 3000 } },
      { externalId: 's1', name: 'order_paid', timestamp: at(2 * DAY), properties: { orderId: 'o-s1b', amount: 4000 } },
      { externalId: 's2', name: 'order_paid', timestamp: at(8 * DAY), properties: { orderId: 'o-s2', amount: 50_000 } },
      { externalId: 'never', name: 'order_paid', timestamp: at(DAY), properties: { orderId: 'o-never', amount: 70_000 } },
    ] }));

    const report = (await expectOk(await api.get(`/v1/campaigns/${campaign.id}/report`))).json();
    expect(report).toMatchObject({
      campaignId: campaign.id, conversion: { event: 'order_paid', windowDays: 7 },
      // 6 targeted (s3 blacklisted: targeted, not reached), 5 reached, opened by s0 (click) and i0 (read), converted s0 and s1.
      funnel: { targeted: 6, reached: 5, opened: 2, converted: 2 },
      payers: 2, orders: 3, gmv: 17_000, couponDiscount: 2000,
      firstOrderUsers: 1, firstOrderGmv: 10_000, repeatUsers: 1, repeatGmv: 7000,
      roi: 8.5,
      coupons: [{ templateId: coupon.id, granted: 3, redeemed: 1, redeemRate: 0.3333, couponGmv: 12_000, discount: 2000 }],
    });
    // Both tasks were created at the same (manual) instant, so they come in id order: look them up by id.
    const taskOf = new Map((report.tasks as { taskId: string }[]).map((t) => [t.taskId, t]));
    expect(report.tasks).toHaveLength(2);
    expect(taskOf.get(smsTask.id)).toMatchObject({ name: 'SMS', channel: 'sms', targeted: 4, sent: 3, clicked: 1, converted: 2, orders: 3, revenue: 17_000 });
    expect(taskOf.get(inboxTask.id)).toMatchObject({ name: 'Inbox', channel: 'inbox', targeted: 2, sent: 2, converted: 0, orders: 0, revenue: 0 });

    // Messages CSV: one row per message; addresses in full for the export right, masked without it.
    const analyst = client(h.app, await ws.keyFor('analyst'));
    const full = await analyst.get(`/v1/campaigns/${campaign.id}/export?type=messages`);
    expect([full.statusCode, full.headers['content-type'], full.headers['x-masked']]).toEqual([200, 'text/csv; charset=utf-8', 'false']);
    const rows = parse(full.body, { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(6);
    expect(Object.keys(rows[0]!)).toEqual(['messageId', 'taskId', 'channel', 'externalId', 'to', 'variant', 'status', 'reason', 'couponCode', 'createdAt', 'sentAt', 'deliveredAt', 'failedAt', 'firstClickedAt']);
    const byUser = new Map(rows.map((r) => [r.externalId, r]));
    expect(byUser.get('s0')).toMatchObject({ taskId: smsTask.id, channel: 'sms', to: '13800000000', couponCode: s0Coupon });
    expect(byUser.get('s0')!.firstClickedAt).not.toBe('');
    expect(byUser.get('s3')).toMatchObject({ status: 'suppressed', reason: 'blacklisted', sentAt: '', couponCode: '' });
    expect(byUser.get('i1')).toMatchObject({ taskId: inboxTask.id, channel: 'inbox', firstClickedAt: '' });
    const viewer = client(h.app, await ws.keyFor('viewer'));
    const maskedRows = parse((await viewer.get(`/v1/campaigns/${campaign.id}/export?type=messages`)).body, { columns: true }) as Record<string, string>[];
    expect(maskedRows.find((r) => r.externalId === 's0')!.to).toBe('138****0000');

    // Conversions CSV: the attributed orders, oldest first, with the first touch and the buyer type.
    const conv = parse((await expectOk(await analyst.get(`/v1/campaigns/${campaign.id}/export?type=conversions`))).body, { columns: true }) as Record<string, string>[];
    expect(conv.map((r) => [r.orderId, r.externalId, r.amount, r.firstOrder, r.couponCode])).toEqual([
      ['o-s0', 's0', '10000', 'true', s0Coupon], ['o-s1a', 's1', '3000', 'false', ''], ['o-s1b', 's1', '4000', 'false', ''],
    ]);
    expect(new Date(conv[0]!.touchedAt).getTime()).toBeLessThanOrEqual(new Date(conv[0]!.paidAt).getTime());

    // Bad input and other workspaces.
    const bad = await analyst.get(`/v1/campaigns/${campaign.id}/export?type=orders`);
    expect([bad.statusCode, bad.json().error.code, bad.json().error.details[0].path]).toEqual([400, 'validation_failed', 'querystring.type']);
    const other = await newWorkspace(h);
    expect((await other.api.get(`/v1/campaigns/${campaign.id}/report`)).statusCode).toBe(404);
    expect((await other.api.get(`/v1/campaigns/${campaign.id}/export?type=messages`)).statusCode).toBe(404);
  });

  it('a conversion event other than order_paid: converted counts touched users who did it within the window; orders still count', async () => {
    moveToNextLocal(h.clock, 12);
    const ws = await newWorkspace(h);
    const api = ws.api;
    const now = h.clock.now();
    const at = (ms: number) => new Date(now.getTime() + ms).toISOString();
    await expectOk(await api.post('/v1/users', { users: ['a', 'b', 'c'].map((id, i) => ({ externalId: id, phone: `1370000000${i}`, attributes: { g: id === 'c' ? 'out' : 'in' } })) }));
    const seg = (await expectOk(await api.post('/v1/segments', { name: 'in', refresh: 'manual', definition: { attr: 'g', op: 'eq', value: 'in' } }))).json().id;
    await h.drain();
    const c = (await expectOk(await api.post('/v1/campaigns', { name: 'Activate', goal: 'activation', startAt: at(-3_600_000), endAt: at(30 * 86_400_000), conversion: { event: 'app_open', windowDays: 1 } }))).json();
    const tpl = (await expectOk(await api.post('/v1/templates', { name: 's', channel: 'sms', content: { signature: 'B', body: 'Open the app' } }))).json();
    await expectOk(await api.post(`/v1/campaigns/${c.id}/tasks`, { name: 'T', channel: 'sms', templateId: tpl.id, audience: { segmentId: seg }, schedule: { type: 'now' } }));
    await expectOk(await api.post(`/v1/campaigns/${c.id}/submit`));
    await expectOk(await api.post(`/v1/campaigns/${c.id}/approve`));
    await h.drain();
    // a opens the app within the day, b two days later, c (not in the campaign) at once; b pays within 1 day.
    await expectOk(await api.post('/v1/events', { events: [
      { externalId: 'a', name: 'app_open', timestamp: at(3_600_000) },
      { externalId: 'b', name: 'app_open', timestamp: at(2 * 86_400_000) },
      { externalId: 'c', name: 'app_open', timestamp: at(3_600_000) },
      { externalId: 'b', name: 'order_paid', timestamp: at(7_200_000), properties: { orderId: 'ob', amount: 900 } },
    ] }));
    expect((await ws.api.get(`/v1/campaigns/${c.id}/report`)).json()).toMatchObject({
      conversion: { event: 'app_open', windowDays: 1 }, funnel: { targeted: 2, reached: 2, opened: 0, converted: 1 }, payers: 1, orders: 1, gmv: 900,
    });
  });

  it('a campaign with no tasks yet reports zeros, and its exports are a header row', async () => {
    const ws = await newWorkspace(h);
    const now = h.clock.now();
    const c = (await expectOk(await ws.api.post('/v1/campaigns', { name: 'Empty', goal: 'other', startAt: now.toISOString(), endAt: new Date(now.getTime() + 86_400_000).toISOString() }))).json();
    expect((await ws.api.get(`/v1/campaigns/${c.id}/report`)).json()).toMatchObject({
      funnel: { targeted: 0, reached: 0, opened: 0, converted: 0 }, payers: 0, orders: 0, gmv: 0, couponDiscount: 0, roi: null, coupons: [], tasks: [],
    });
    expect((await ws.api.get(`/v1/campaigns/${c.id}/export?type=conversions`)).body).toBe('orderId,externalId,amount,paidAt,touchedAt,firstOrder,couponCode\n');
  });
});
