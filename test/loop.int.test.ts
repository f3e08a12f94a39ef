import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, newWorkspace, type Harness } from './support/harness.ts';

/**
 * The closed loop of issue "Foundation", step by step over HTTP: users and events in, a
 * segment, an SMS template with a tracked link, an approved campaign with a "now" task, the
 * worker's sends, a click on the short link, an order, and the task report.
 */
describe('the first closed loop', () => {
  let h: Harness;
  beforeAll(async () => { h = await createHarness(); });
  afterAll(async () => { await h.close(); });

  it('sends, tracks the click and attributes the order', async () => {
    const ws = await newWorkspace(h);
    const api = ws.api;
    const now = h.clock.now();
    const daysAgo = (d: number) => new Date(now.getTime() - d * 86_400_000).toISOString();

    // 12 users in Guangzhou with phones, one without a phone, 5 in Beijing.
    const users = [
      ...Array.from({ length: 12 }, (_, i) => ({ externalId: `gz-${i}`, phone: `1380000${String(i).padStart(4, '0')}`, attributes: { city: 'Guangzhou', tier: i % 3 } })),
      { externalId: 'gz-nophone', attributes: { city: 'Guangzhou' } },
      ...Array.from({ length: 5 }, (_, i) => ({ externalId: `bj-${i}`, phone: `1390000${String(i).padStart(4, '0')}`, attributes: { city: 'Beijing' } })),
    ];
    expect((await api.post('/v1/users', { users })).json()).toEqual({ upserted: 18 });

    // gz-0 and gz-1 paid 3 days ago (so they are excluded by "did not pay in the last 2 days"? no: window 2 days)
    const events = [
      { externalId: 'gz-0', name: 'order_paid', timestamp: daysAgo(1), properties: { orderId: 'old-1', amount: 5000 }, messageId: 'e1' },
      { externalId: 'gz-1', name: 'page_view', timestamp: daysAgo(1), properties: { url: '/home' }, messageId: 'e2' },
      { externalId: 'gz-1', name: 'page_view', timestamp: daysAgo(1), properties: { url: '/home' }, messageId: 'e2' },
    ];
    expect((await api.post('/v1/events', { events })).json()).toEqual({ accepted: 3, deduplicated: 1 });

    // Guangzhou users who did not pay in the last 2 days: 13 - gz-0 = 12 (incl. the one without phone)
    const seg = await api.post('/v1/segments', {
      name: 'GZ no recent order', refresh: 'manual',
      definition: { all: [{ attr: 'city', op: 'eq', value: 'Guangzhou' }, { event: 'order_paid', window: { lastDays: 2 }, count: { op: 'eq', value: 0 } }] },
    });
    expect(seg.statusCode).toBe(201);
    expect(seg.json().status).toBe('computing');
    await h.drain();
    const segId = seg.json().id;
    const ready = (await api.get(`/v1/segments/${segId}`)).json();
    expect(ready).toMatchObject({ status: 'ready', count: 12 });
    const members = (await api.get(`/v1/segments/${segId}/members?limit=1000`)).json();
    expect(members.items).toHaveLength(12);
    expect(members.items).not.toContain('gz-0');
    expect(members.items).toContain('gz-nophone');

    const tpl = await api.post('/v1/templates', { name: 'sale', channel: 'sms', content: { signature: 'Shop', body: 'Hi {{ user.externalId }}: {{ "https://shop.example/sale?x=1" | track }}' } });
    expect(tpl.statusCode).toBe(201);
    const preview = (await api.post(`/v1/templates/${tpl.json().id}/render`, { externalId: 'gz-3' })).json();
    expect(preview.rendered.text).toMatch(/^【Shop】Hi gz-3: https:\/\/ml\.test\/l\/\w+ 拒收请回复R$/);
    expect(preview.smsSegments).toBe(1);

    const campaign = await api.post('/v1/campaigns', {
      name: 'Autumn sale', goal: 'repurchase', startAt: daysAgo(1), endAt: daysAgo(-30), conversion: { event: 'order_paid', windowDays: 7 },
    });
    expect(campaign.json()).toMatchObject({ status: 'draft' });
    const cid = campaign.json().id;
    const task = await api.post(`/v1/campaigns/${cid}/tasks`, { name: 'SMS blast', channel: 'sms', templateId: tpl.json().id, audience: { segmentId: segId }, schedule: { type: 'now' } });
    expect(task.statusCode).toBe(201);
    const taskId = task.json().id;

    // Nothing is sent before approval.
    await h.drain();
    expect((await api.get('/v1/sandbox/outbox')).json().items).toHaveLength(0);

    expect((await api.post(`/v1/campaigns/${cid}/submit`)).json().status).toBe('pending_approval');
    expect((await api.post(`/v1/campaigns/${cid}/approve`)).json().status).toBe('approved');
    await h.drain();

    const outbox = (await api.get('/v1/sandbox/outbox?limit=100')).json().items as { externalId: string; to: string; rendered: { text: string }; messageId: string }[];
    expect(outbox).toHaveLength(11); // 12 members, one has no phone
    expect(new Set(outbox.map((m) => m.externalId)).size).toBe(11);
    const gz3 = outbox.find((m) => m.externalId === 'gz-3')!;
    expect(gz3.to).toBe('13800000003');
    const code = /\/l\/(\w+)/.exec(gz3.rendered.text)![1]!;
    expect((await api.get(`/v1/campaigns/${cid}`)).json().status).toBe('running');

    // Click: 302 to the target with campaign and message parameters; $link_clicked recorded.
    const click = await h.app.inject({ method: 'GET', url: `/l/${code}` });
    expect(click.statusCode).toBe(302);
    const loc = new URL(click.headers.location as string);
    expect(loc.origin + loc.pathname).toBe('https://shop.example/sale');
    expect(loc.searchParams.get('x')).toBe('1');
    expect(loc.searchParams.get('mlc')).toBe(cid);
    expect(loc.searchParams.get('mlm')).toBe(gz3.messageId);
    expect(loc.searchParams.get('utm_campaign')).toBe(cid);
    await h.app.inject({ method: 'GET', url: `/l/${code}` }); // a second click: still one clicker
    await h.drain(); // the click log is written just after the redirect answers
    const timeline = (await api.get('/v1/users/gz-3/events?name=%24link_clicked')).json();
    expect(timeline.items).toHaveLength(2);
    expect((await h.app.inject({ method: 'GET', url: '/l/doesnotexist' })).statusCode).toBe(404);

    // Orders: gz-3 pays within the window (converts); gz-4 pays after it; bj-0 was never touched.
    h.clock.advance(2 * 86_400_000);
    const t = (d: number) => new Date(h.clock.now().getTime() + d * 86_400_000).toISOString();
    await api.post('/v1/events', { events: [
      { externalId: 'gz-3', name: 'order_paid', timestamp: t(0), properties: { orderId: 'o-1', amount: 19900 } },
      { externalId: 'gz-3', name: 'order_paid', timestamp: t(1), properties: { orderId: 'o-2', amount: 10000 } },
      { externalId: 'gz-4', name: 'order_paid', timestamp: t(30), properties: { orderId: 'o-3', amount: 99900 } },
      { externalId: 'bj-0', name: 'order_paid', timestamp: t(0), properties: { orderId: 'o-4', amount: 50000 } },
    ] });
    // The same order sent again under another messageId must not count twice.
    await api.post('/v1/events', { events: [{ externalId: 'gz-3', name: 'order_paid', timestamp: t(0), properties: { orderId: 'o-1', amount: 19900 } }] });

    const report = (await api.get(`/v1/tasks/${taskId}/report`)).json();
    expect(report).toMatchObject({
      targeted: 12, sent: 11, delivered: 11, failed: 0, clicked: 1, converted: 1, orders: 2, revenue: 29900, deferred: 0,
      suppressed: { noAddress: 1, frequency: 0, unsubscribed: 0, blacklisted: 0, control: 0 },
    });
    const buckets = Object.values(report.suppressed as Record<string, number>).reduce((a, b) => a + b, 0) + report.deferred + report.queued + report.sent + report.failedBeforeSend;
    expect(buckets).toBe(report.targeted);

    const profile = (await api.get('/v1/users/gz-3')).json();
    expect(profile).toMatchObject({ orderCount: 2, orderTotal: 29900, phone: '13800000003' });

    // Re-running the queue sends nobody twice.
    await h.drain();
    expect((await api.get('/v1/sandbox/outbox?limit=100')).json().items).toHaveLength(11);

    const audit = (await api.get('/v1/audit-log?limit=100')).json().items.map((a: { action: string }) => a.action);
    expect(audit).toEqual(expect.arrayContaining(['campaign.create', 'campaign.submit', 'campaign.approve', 'task.create', 'segment.create', 'template.create']));
  });
});
