import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, newWorkspace, type Harness } from '../../test/support/harness.ts';
import { expectOk, launch } from '../../test/support/fixtures.ts';

describe('identities: anonymous ids and alias', () => {
  let h: Harness;
  beforeAll(async () => { h = await createHarness(); });
  afterAll(async () => { await h.close(); });

  const iso = (hoursAgo: number) => new Date(h.clock.now().getTime() - hoursAgo * 3_600_000).toISOString();
  const count = async (api: Awaited<ReturnType<typeof newWorkspace>>['api'], definition: unknown) =>
    (await expectOk(await api.post('/v1/segments/preview', { definition }))).json().count as number;

  it('events before and after the alias are one person for behaviour conditions', async () => {
    const ws = await newWorkspace(h);
    await expectOk(await ws.api.post('/v1/events', { events: [
      { anonymousId: 'dev-1', name: 'page_view', timestamp: iso(5), properties: { url: '/a' } },
      { anonymousId: 'dev-1', name: 'add_to_cart', timestamp: iso(4), properties: { sku: 'tea' } },
    ] }));
    await expectOk(await ws.api.post('/v1/users', { users: [{ externalId: 'li', phone: '13800000001', attributes: { city: 'GZ' } }] }));
    // Before the alias the anonymous history is a person of its own.
    expect(await count(ws.api, { event: 'page_view' })).toBe(1);
    expect((await ws.api.get('/v1/users/li/events')).json().items).toHaveLength(0);

    const r = await ws.api.post('/v1/users/alias', { anonymousId: 'dev-1', externalId: 'li' });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ anonymousId: 'dev-1', externalId: 'li', status: 'merged', moved: { events: 2, orders: 0, messages: 0 } });
    // After it: the known user's events, both sides of the alias, and later anonymous events too.
    await expectOk(await ws.api.post('/v1/events', { events: [
      { externalId: 'li', name: 'page_view', timestamp: iso(1), properties: { url: '/b' } },
      { anonymousId: 'dev-1', name: 'page_view', timestamp: iso(0.5), properties: { url: '/c' } },
    ] }));
    expect((await ws.api.get('/v1/users/li/events')).json().items.map((e: { name: string }) => e.name)).toEqual(['page_view', 'page_view', 'add_to_cart', 'page_view']);
    expect(await count(ws.api, { event: 'page_view', count: { op: 'eq', value: 3 } })).toBe(1);
    expect(await count(ws.api, { all: [{ event: 'add_to_cart' }, { event: 'page_view', window: { lastDays: 1 } }] })).toBe(1);
    expect(await count(ws.api, { all: [{ attr: 'city', op: 'eq', value: 'GZ' }, { event: 'add_to_cart' }] })).toBe(1);
    expect(await count(ws.api, { event: 'page_view' })).toBe(1);
    expect((await ws.api.get(`/v1/users/${encodeURIComponent('$anon:dev-1')}`)).statusCode).toBe(404);
    const profile = (await ws.api.get('/v1/users/li')).json();
    expect(profile).toMatchObject({ externalId: 'li', phone: '13800000001', anonymousIds: ['dev-1'] });
  });

  it('is idempotent: a second alias changes nothing', async () => {
    const ws = await newWorkspace(h);
    await expectOk(await ws.api.post('/v1/events', { events: [{ anonymousId: 'd', name: 'page_view', timestamp: iso(2) }] }));
    expect((await ws.api.post('/v1/users/alias', { anonymousId: 'd', externalId: 'u' })).json().status).toBe('merged');
    const again = await ws.api.post('/v1/users/alias', { anonymousId: 'd', externalId: 'u' });
    expect(again.json()).toEqual({ anonymousId: 'd', externalId: 'u', status: 'unchanged', moved: { events: 0, orders: 0, messages: 0 } });
    expect((await ws.api.get('/v1/users/u/events')).json().items).toHaveLength(1);
    expect(await count(ws.api, { event: 'page_view' })).toBe(1);
    // The same anonymous id cannot then be claimed by somebody else.
    const other = await ws.api.post('/v1/users/alias', { anonymousId: 'd', externalId: 'someone-else' });
    expect(other.statusCode).toBe(409);
    expect(other.json().error).toMatchObject({ code: 'invalid_state', details: [{ path: 'anonymousId' }] });
    expect((await ws.api.get('/v1/users/u/events')).json().items).toHaveLength(1);
  });

  it('an anonymous id never seen is linked: its late events land on the known user', async () => {
    const ws = await newWorkspace(h);
    const r = await ws.api.post('/v1/users/alias', { anonymousId: 'late', externalId: 'new-user' });
    expect(r.json()).toEqual({ anonymousId: 'late', externalId: 'new-user', status: 'linked', moved: { events: 0, orders: 0, messages: 0 } });
    expect((await ws.api.get('/v1/users/new-user')).json().anonymousIds).toEqual(['late']);
    await expectOk(await ws.api.post('/v1/events', { events: [{ anonymousId: 'late', name: 'page_view', timestamp: iso(1) }] }));
    expect((await ws.api.get('/v1/users/new-user/events')).json().items).toHaveLength(1);
    expect((await ws.api.get(`/v1/users/${encodeURIComponent('$anon:late')}`)).statusCode).toBe(404);
    expect(await count(ws.api, { event: 'page_view' })).toBe(1);
  });

  it('moves orders and recomputes order stats and first-order flags', async () => {
    const ws = await newWorkspace(h);
    await expectOk(await ws.api.post('/v1/events', { events: [
      { anonymousId: 'buyer-dev', name: 'order_paid', timestamp: iso(48), properties: { orderId: 'o-anon', amount: 1000 } },
      { externalId: 'buyer', name: 'order_paid', timestamp: iso(24), properties: { orderId: 'o-known', amount: 2500 } },
    ] }));
    const r = (await ws.api.post('/v1/users/alias', { anonymousId: 'buyer-dev', externalId: 'buyer' })).json();
    expect(r.moved).toEqual({ events: 1, orders: 1, messages: 0 });
    expect((await ws.api.get('/v1/users/buyer')).json()).toMatchObject({ orderCount: 2, orderTotal: 3500, firstOrderAt: iso(48), lastOrderAt: iso(24) });
    const flags = await h.p.pool.query('select order_id, first_order from orders where workspace_id = $1 order by order_id', [ws.id]);
    expect(flags.rows).toEqual([{ order_id: 'o-anon', first_order: true }, { order_id: 'o-known', first_order: false }]);
    expect(await count(ws.api, { event: 'order_paid', count: { op: 'eq', value: 2 } })).toBe(1);
  });

  it('moves the messages the anonymous profile was sent, with their short links', async () => {
    const ws = await newWorkspace(h);
    await expectOk(await ws.api.post('/v1/events', { events: [{ anonymousId: 'msg-dev', name: 'page_view', timestamp: iso(3) }] }));
    const seg = (await expectOk(await ws.api.post('/v1/segments', { name: 'viewers', refresh: 'manual', definition: { event: 'page_view' } }))).json();
    await h.drain();
    const tpl = (await expectOk(await ws.api.post('/v1/templates', { name: 't', channel: 'sms', content: { signature: 'S', body: 'hi' } }))).json();
    const now = h.clock.now();
    const c = (await expectOk(await ws.api.post('/v1/campaigns', { name: 'c', goal: 'activation', startAt: new Date(now.getTime() - 3_600_000).toISOString(), endAt: new Date(now.getTime() + 86_400_000).toISOString() }))).json();
    await expectOk(await ws.api.post(`/v1/campaigns/${c.id}/tasks`, { name: 't', channel: 'sms', templateId: tpl.id, audience: { segmentId: seg.id }, schedule: { type: 'now' } }));
    await launch(h, ws.api, c.id);
    const before = (await ws.api.get(`/v1/users/${encodeURIComponent('$anon:msg-dev')}/messages`)).json().items;
    expect(before).toHaveLength(1);
    const r = (await ws.api.post('/v1/users/alias', { anonymousId: 'msg-dev', externalId: 'm' })).json();
    expect(r.moved).toEqual({ events: 1, orders: 0, messages: 1 });
    expect((await ws.api.get('/v1/users/m/messages')).json().items.map((m: { id: string }) => m.id)).toEqual(before.map((m: { id: string }) => m.id));
  });

  it('an alias racing ingest batches of the same anonymous id leaves every event on the known user', async () => {
    const ws = await newWorkspace(h);
    await expectOk(await ws.api.post('/v1/events', { events: [{ anonymousId: 'race', name: 'page_view', timestamp: iso(10) }] }));
    const batches = Array.from({ length: 6 }, (_, b) => ws.api.post('/v1/events', { events: Array.from({ length: 50 }, (_, i) => ({
      anonymousId: i % 2 ? 'race' : `race-other-${b}`, name: 'page_view', timestamp: iso(1), messageId: `race-${b}-${i}`,
    })) }));
    const [alias] = await Promise.all([ws.api.post('/v1/users/alias', { anonymousId: 'race', externalId: 'racer' }), ...batches.map(async (p) => expectOk(await p))]);
    expect(alias.statusCode).toBe(200);
    const r = await h.p.pool.query(
      `select (select count(*) from events e where e.workspace_id = $1 and not exists (select 1 from users u where u.id = e.user_id))::int as orphans,
              (select count(*) from users where workspace_id = $1 and external_id = '$anon:race')::int as anon_profiles,
              (select count(*) from events e join users u on u.id = e.user_id where e.workspace_id = $1 and u.external_id = 'racer')::int as racer_events`, [ws.id]);
    expect(r.rows[0]).toEqual({ orphans: 0, anon_profiles: 0, racer_events: 1 + 6 * 25 });
  });

  it('validates the event identity and the alias body; readers cannot alias', async () => {
    const ws = await newWorkspace(h);
    const both = await ws.api.post('/v1/events', { events: [{ externalId: 'a', anonymousId: 'b', name: 'x' }] });
    expect(both.statusCode).toBe(400);
    expect(both.json().error.details.map((d: { path: string }) => d.path)).toEqual(['events[0].anonymousId']);
    const neither = await ws.api.post('/v1/events', { events: [{ name: 'x' }] });
    expect(neither.json().error.details.map((d: { path: string }) => d.path)).toEqual(['events[0].externalId']);
    const reserved = await ws.api.post('/v1/users', { users: [{ externalId: '$anon:x' }] });
    expect(reserved.json().error.details.map((d: { path: string }) => d.path)).toEqual(['users[0].externalId']);
    const unknown = await ws.api.post('/v1/users/alias', { anonymousId: 'a', externalId: 'b', force: true });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error.details.map((d: { path: string }) => d.path)).toEqual(['force']);
    expect((await ws.api.post('/v1/users/alias', { anonymousId: 'a' })).json().error.details.map((d: { path: string }) => d.path)).toEqual(['externalId']);
    const viewer = await ws.as('viewer');
    expect((await viewer.post('/v1/users/alias', { anonymousId: 'a', externalId: 'b' })).statusCode).toBe(403);
  });
});
