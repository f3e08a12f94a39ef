import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, newWorkspace, type Harness } from '../../test/support/harness.ts';
import { expectOk } from '../../test/support/fixtures.ts';
import { backfillCatalog } from '../platform/migrations/0002-customers-identities.ts';

describe('catalog', () => {
  let h: Harness;
  beforeAll(async () => { h = await createHarness(); });
  afterAll(async () => { await h.close(); });

  it('lists attributes with types and top values, events with exact counts and property types', async () => {
    const ws = await newWorkspace(h);
    const cities = ['GZ', 'GZ', 'GZ', 'SZ', 'SZ', 'BJ'];
    await expectOk(await ws.api.post('/v1/users', { users: cities.map((city, i) => ({
      externalId: `u${i}`, platform: i < 4 ? 'ios' : 'web', attributes: { city, vip: i % 3 === 0, age: 20 + i, joined: '2026-01-0' + (i + 1) },
    })) }));
    // Values beyond the top 10 are cut; ties break by value.
    await expectOk(await ws.api.post('/v1/users', { users: Array.from({ length: 12 }, (_, i) => ({ externalId: `t${i}`, attributes: { tag: `tag-${String(i).padStart(2, '0')}` } })) }));
    await expectOk(await ws.api.post('/v1/events', { events: [
      { externalId: 'u0', name: 'page_view', properties: { url: '/' }, messageId: 'm1' },
      { externalId: 'u1', name: 'page_view', properties: { url: '/x', ms: 12 }, messageId: 'm2' },
      { anonymousId: 'a1', name: 'page_view', properties: { url: '/y' } },
      { externalId: 'u1', name: 'order_paid', properties: { orderId: 'o1', amount: 100 } },
      { externalId: 'u1', name: 'register' },
    ] }));
    // A retried batch (same messageIds) does not count twice.
    await expectOk(await ws.api.post('/v1/events', { events: [{ externalId: 'u0', name: 'page_view', properties: { url: '/' }, messageId: 'm1' }] }));

    const r = await ws.api.get('/v1/catalog');
    expect(r.statusCode).toBe(200);
    const cat = r.json();
    const attr = (name: string) => cat.attributes.find((a: { name: string }) => a.name === name);
    expect(attr('city')).toEqual({ name: 'city', type: 'string', source: 'inferred', topValues: [{ value: 'GZ', count: 3 }, { value: 'SZ', count: 2 }, { value: 'BJ', count: 1 }] });
    expect(attr('vip')).toEqual({ name: 'vip', type: 'boolean', source: 'inferred', topValues: [{ value: false, count: 4 }, { value: true, count: 2 }] });
    expect(attr('age')).toEqual({ name: 'age', type: 'number', source: 'inferred' });
    expect(attr('joined')).toEqual({ name: 'joined', type: 'date', source: 'inferred' });
    expect(attr('platform').topValues).toEqual([{ value: 'ios', count: 4 }, { value: 'web', count: 2 }]);
    expect(attr('createdAt')).toEqual({ name: 'createdAt', type: 'date', source: 'builtIn' });
    expect(attr('tag').topValues.map((v: { value: string }) => v.value)).toEqual(Array.from({ length: 10 }, (_, i) => `tag-${String(i).padStart(2, '0')}`));
    expect(cat.events.map((e: { name: string; count: number }) => [e.name, e.count])).toEqual([['order_paid', 1], ['page_view', 3], ['register', 1]]);
    const pv = cat.events.find((e: { name: string }) => e.name === 'page_view');
    expect(pv.properties).toEqual([{ name: 'ms', type: 'number' }, { name: 'url', type: 'string' }]);
    expect(pv.lastSeenAt).toBe(h.clock.now().toISOString());
    expect(cat.events.find((e: { name: string }) => e.name === 'register').properties).toEqual([]);
    expect(cat.sample.users).toBe(6 + 12 + 1); // the anonymous profile is a profile too
  });

  it('the migration types and counts data ingested before it, first value first', async () => {
    const ws = await newWorkspace(h);
    // Rows written straight to the tables, as the ingest of an older version left them.
    await h.p.pool.query(`insert into users (workspace_id, external_id, attributes, created_at, updated_at) values
      ($1, 'old-1', '{"city":"GZ","age":30,"vip":true,"since":"2025-01-02","nested":{"a":1}}', now(), now()),
      ($1, 'old-2', '{"city":5,"age":"x","nick":"2025-13-40"}', now(), now())`, [ws.id]);
    const ids = (await h.p.pool.query(`select id from users where workspace_id = $1 order by external_id`, [ws.id])).rows.map((r) => r.id);
    await h.p.pool.query(`insert into events (workspace_id, user_id, name, ts, properties) values
      ($1, $2, 'page_view', '2026-01-01T00:00:00Z', '{"url":"/","ms":5}'), ($1, $3, 'page_view', '2026-01-03T00:00:00Z', '{"url":7,"at":"2026-01-01T08:00:00+08:00"}'),
      ($1, $2, 'register', '2026-01-02T00:00:00Z', '{}')`, [ws.id, ids[0], ids[1]]);
    await backfillCatalog(h.p.db as never, ws.id);
    const cat = (await ws.api.get('/v1/catalog')).json();
    const types = Object.fromEntries(cat.attributes.filter((a: { source: string }) => a.source === 'inferred').map((a: { name: string; type: string }) => [a.name, a.type]));
    expect(types).toEqual({ city: 'string', age: 'number', vip: 'boolean', since: 'date', nick: 'string' });
    expect(cat.events).toEqual([
      { name: 'page_view', count: 2, lastSeenAt: '2026-01-03T00:00:00.000Z', properties: [{ name: 'at', type: 'date' }, { name: 'ms', type: 'number' }, { name: 'url', type: 'string' }] },
      { name: 'register', count: 1, lastSeenAt: '2026-01-02T00:00:00.000Z', properties: [] },
    ]);
  });

  it('follows a declared type, belongs to its workspace, and rejects unknown parameters', async () => {
    const a = await newWorkspace(h);
    const b = await newWorkspace(h);
    await expectOk(await a.api.post('/v1/users', { users: [{ externalId: 'x', attributes: { onlyInA: 'yes', code: '7' } }] }));
    await expectOk(await a.api.post('/v1/events', { events: [{ externalId: 'x', name: 'a_only_event' }] }));
    await expectOk(await a.api.put('/v1/attributes/code', { type: 'number' }));
    const catA = (await a.api.get('/v1/catalog')).json();
    expect(catA.attributes.find((x: { name: string }) => x.name === 'code')).toEqual({ name: 'code', type: 'number', source: 'declared' });
    const catB = JSON.stringify((await b.api.get('/v1/catalog')).json());
    expect(catB).not.toContain('onlyInA');
    expect(catB).not.toContain('a_only_event');
    const bad = await a.api.get('/v1/catalog?sample=5');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details[0].path).toBe('querystring.sample');
    expect((await (await a.as('viewer')).get('/v1/catalog')).statusCode).toBe(200);
  });
});
