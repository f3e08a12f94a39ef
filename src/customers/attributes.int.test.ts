import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, newWorkspace, type Harness } from '../../test/support/harness.ts';
import { expectOk } from '../../test/support/fixtures.ts';
import * as customers from './customers.service.ts';

describe('typed attributes', () => {
  let h: Harness;
  beforeAll(async () => { h = await createHarness(); });
  afterAll(async () => { await h.close(); });

  it('infers a type from the first value of each new attribute and keeps it', async () => {
    const ws = await newWorkspace(h);
    await expectOk(await ws.api.post('/v1/users', { users: [
      { externalId: 'a', attributes: { city: 'Guangzhou', age: 31, vip: true, birthday: '1990-05-01', lastSeen: '2026-03-01T08:00:00+08:00', prefs: { a: 1 }, gone: null } },
      { externalId: 'b', attributes: { city: 42, nickname: '2026-13-45' } },
    ] }));
    // A later value of another JSON type does not change the inferred type.
    await expectOk(await ws.api.post('/v1/users', { users: [{ externalId: 'c', attributes: { age: 'thirty', score: 1.5 } }] }));
    const types = await customers.attributeTypes(h.p.db, ws.id);
    expect(Object.fromEntries([...types].filter(([n]) => !['externalId', 'phone', 'email', 'platform', 'createdAt', 'firstOrderAt', 'lastOrderAt', 'orderCount', 'orderTotal'].includes(n)))).toEqual({
      city: 'string', age: 'number', vip: 'boolean', birthday: 'date', lastSeen: 'date', nickname: 'string', score: 'number',
    });
    expect(types.get('createdAt')).toBe('date');
    expect(types.get('orderCount')).toBe('number');
  });

  it('infers event property types per event name', async () => {
    const ws = await newWorkspace(h);
    await expectOk(await ws.api.post('/v1/events', { events: [
      { externalId: 'a', name: 'add_to_cart', properties: { sku: 'tea', price: 5900, gift: false } },
      { externalId: 'a', name: 'order_paid', properties: { orderId: 'o1', amount: 100, couponCode: 'X', paidOn: '2026-05-01' } },
      { externalId: 'b', name: 'add_to_cart', properties: { sku: 12, size: 'L' } },
    ] }));
    expect(Object.fromEntries(await customers.eventPropertyTypes(h.p.db, ws.id, 'add_to_cart'))).toEqual({ sku: 'string', price: 'number', gift: 'boolean', size: 'string' });
    expect(Object.fromEntries(await customers.eventPropertyTypes(h.p.db, ws.id, 'order_paid'))).toEqual({ orderId: 'string', amount: 'number', couponCode: 'string', paidOn: 'date' });
    expect((await customers.eventPropertyTypes(h.p.db, ws.id, 'nothing')).size).toBe(0);
    // Keys no type row can hold are stored with the event but not typed.
    await expectOk(await ws.api.post('/v1/events', { events: [{ externalId: 'a', name: 'odd', properties: { 'a\u0000b': 1, ['k'.repeat(300)]: 2, ok: 3 } }] }));
    expect(Object.fromEntries(await customers.eventPropertyTypes(h.p.db, ws.id, 'odd'))).toEqual({ ok: 'number' });
  });

  it('PUT declares or changes a type; built-ins are fixed; bad input names the field', async () => {
    const ws = await newWorkspace(h);
    await expectOk(await ws.api.post('/v1/users', { users: [{ externalId: 'a', attributes: { zip: 510000 } }] }));
    const put = await ws.api.put('/v1/attributes/zip', { type: 'string' });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toEqual({ name: 'zip', type: 'string', source: 'declared' });
    expect((await ws.api.put('/v1/attributes/tier', { type: 'number' })).json()).toEqual({ name: 'tier', type: 'number', source: 'declared' });
    // Ingesting after a declaration never overrides it.
    await expectOk(await ws.api.post('/v1/users', { users: [{ externalId: 'b', attributes: { tier: 'gold' } }] }));
    expect((await customers.attributeTypes(h.p.db, ws.id)).get('tier')).toBe('number');

    const builtIn = await ws.api.put('/v1/attributes/createdAt', { type: 'string' });
    expect(builtIn.statusCode).toBe(409);
    expect(builtIn.json().error.code).toBe('invalid_state');
    const badType = await ws.api.put('/v1/attributes/zip', { type: 'integer' });
    expect(badType.statusCode).toBe(400);
    expect(badType.json().error.details.map((d: { path: string }) => d.path)).toEqual(['type']);
    const unknown = await ws.api.put('/v1/attributes/zip', { type: 'string', format: 'x' });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error.details.map((d: { path: string }) => d.path)).toContain('format');
    expect((await ws.api.put('/v1/attributes/zip', {})).json().error.details[0].path).toBe('type');
  });

  it('GET /v1/attributes lists built-in and custom attributes in name order, paged', async () => {
    const ws = await newWorkspace(h);
    await expectOk(await ws.api.post('/v1/users', { users: [{ externalId: 'a', attributes: { city: 'SZ', age: 3, zone: 'A' } }] }));
    const all = (await ws.api.get('/v1/attributes?limit=1000')).json();
    expect(all.nextCursor).toBeNull();
    expect(all.items.map((i: { name: string }) => i.name)).toEqual(['age', 'city', 'createdAt', 'email', 'externalId', 'firstOrderAt', 'lastOrderAt', 'orderCount', 'orderTotal', 'phone', 'platform', 'zone']);
    expect(all.items.find((i: { name: string }) => i.name === 'createdAt')).toEqual({ name: 'createdAt', type: 'date', source: 'builtIn' });
    expect(all.items.find((i: { name: string }) => i.name === 'age')).toEqual({ name: 'age', type: 'number', source: 'inferred' });
    const names: string[] = [];
    let cursor: string | null = null;
    do {
      const r: { items: { name: string }[]; nextCursor: string | null } = (await ws.api.get(`/v1/attributes?limit=5${cursor ? `&cursor=${cursor}` : ''}`)).json();
      names.push(...r.items.map((i: { name: string }) => i.name));
      cursor = r.nextCursor;
    } while (cursor);
    expect(names).toEqual(all.items.map((i: { name: string }) => i.name));
    expect((await ws.api.get('/v1/attributes?sort=name')).statusCode).toBe(400);
  });

  it('readers read, writers change; another workspace sees none of it', async () => {
    const a = await newWorkspace(h);
    const b = await newWorkspace(h);
    await expectOk(await a.api.post('/v1/users', { users: [{ externalId: 'a', attributes: { secretA: 'x' } }] }));
    const viewer = await a.as('viewer');
    expect((await viewer.get('/v1/attributes')).statusCode).toBe(200);
    expect((await viewer.put('/v1/attributes/secretA', { type: 'number' })).statusCode).toBe(403);
    expect((await b.api.get('/v1/attributes?limit=1000')).json().items.map((i: { name: string }) => i.name)).not.toContain('secretA');
    await expectOk(await b.api.put('/v1/attributes/secretA', { type: 'number' }));
    expect((await customers.attributeTypes(h.p.db, a.id)).get('secretA')).toBe('string');
    expect((await customers.attributeTypes(h.p.db, b.id)).get('secretA')).toBe('number');
  });
});
