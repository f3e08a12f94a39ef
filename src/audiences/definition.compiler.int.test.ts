import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, newWorkspace, type Harness } from '../../test/support/harness.ts';
import * as customers from '../customers/customers.service.ts';
import * as segments from './segments.service.ts';
import type { Definition } from './definition.schema.ts';

/**
 * The exact edges of API.md's definition language, on real PostgreSQL. "Now" is
 * 2026-11-22 12:00 in Asia/Shanghai (04:00Z); T-3 is the calendar day 2026-11-19 there.
 */
describe('segment definition semantics', () => {
  let h: Harness;
  let ws: Awaited<ReturnType<typeof newWorkspace>>;
  const NOW = '2026-11-22T04:00:00Z';
  const ago = (ms: number) => new Date(new Date(NOW).getTime() - ms).toISOString();
  const H = 3_600_000;
  const D = 24 * H;

  const members = async (definition: Definition): Promise<string[]> => {
    const r = await ws.api.post('/v1/segments/preview', { definition });
    if (r.statusCode !== 200) throw new Error(r.body);
    const count = r.json().count as number;
    // The sample is capped; compute the full list through a saved segment for exactness.
    const seg = await ws.api.post('/v1/segments', { name: 'x', definition, refresh: 'manual' });
    await h.drain();
    const list = (await ws.api.get(`/v1/segments/${seg.json().id}/members?limit=1000`)).json().items as string[];
    expect(list.length).toBe(count);
    // One code path: the single-user answer agrees with the batch answer for every user.
    for (const id of ['a', 'b', 'c', 'd', 'e', 'nobody']) {
      const uid = await customers.internalId(h.p.db, ws.id, id);
      expect(await segments.userInDefinition(h.p, ws.id, uid, definition), `single-user ${id}`).toBe(list.includes(id));
    }
    return list.sort();
  };

  beforeAll(async () => {
    h = await createHarness();
    h.clock.set(NOW);
    ws = await newWorkspace(h);
    await ws.api.post('/v1/users', { users: [
      // created 2026-11-19 00:30 Shanghai = 2026-11-18T16:30Z: on T-3, not before it
      { externalId: 'a', attributes: { city: 'Guangzhou', age: 30, vip: true, tags: 'New-Buyer' }, createdAt: '2026-11-18T16:30:00Z', phone: '13800000001' },
      // created 2026-11-18 23:30 Shanghai = 2026-11-18T15:30Z: before T-3
      { externalId: 'b', attributes: { city: 'Beijing', age: '30' }, createdAt: '2026-11-18T15:30:00Z' },
      { externalId: 'c', attributes: { city: 'guangzhou', age: 45 }, createdAt: ago(1 * H) },
      { externalId: 'd', attributes: { age: 18 }, createdAt: ago(40 * D) },
      { externalId: 'e', attributes: { city: null }, createdAt: ago(2 * D) },
      { externalId: 'nobody', createdAt: ago(100 * D) },
    ] });
    await ws.api.post('/v1/events', { events: [
      { externalId: 'a', name: 'order_paid', timestamp: ago(7 * D - 60_000), properties: { orderId: 'a1', amount: 30000 } }, // inside lastDays 7
      { externalId: 'b', name: 'order_paid', timestamp: ago(7 * D + 60_000), properties: { orderId: 'b1', amount: 5000 } }, // just outside
      { externalId: 'b', name: 'order_paid', timestamp: ago(20 * D), properties: { orderId: 'b2', amount: 8000 } },
      { externalId: 'c', name: 'page_view', timestamp: ago(1 * H), properties: { url: '/sale' } },
      { externalId: 'c', name: 'page_view', timestamp: ago(2 * H), properties: { url: '/home' } },
      // 2026-11-19 00:10 Shanghai (= 11-18T16:10Z) is inside from T-3; 11-18 23:50 Shanghai is not
      { externalId: 'd', name: 'page_view', timestamp: '2026-11-18T16:10:00Z', properties: { url: '/x' } },
      { externalId: 'e', name: 'page_view', timestamp: '2026-11-18T15:50:00Z', properties: { url: '/x' } },
    ] });
  });
  afterAll(async () => { await h.close(); });

  it('attribute operators and missing attributes', async () => {
    expect(await members({ attr: 'city', op: 'eq', value: 'Guangzhou' })).toEqual(['a']);
    // Without the attribute: fails everything but neq, notIn and notExists.
    expect(await members({ attr: 'city', op: 'neq', value: 'Guangzhou' })).toEqual(['b', 'c', 'd', 'e', 'nobody']);
    expect(await members({ attr: 'city', op: 'notIn', value: ['Guangzhou', 'Beijing'] })).toEqual(['c', 'd', 'e', 'nobody']);
    expect(await members({ attr: 'city', op: 'in', value: ['Guangzhou', 'Beijing'] })).toEqual(['a', 'b']);
    expect(await members({ attr: 'city', op: 'exists' })).toEqual(['a', 'b', 'c']);
    expect(await members({ attr: 'city', op: 'notExists' })).toEqual(['d', 'e', 'nobody']);
    expect(await members({ attr: 'tags', op: 'contains', value: 'Buyer' })).toEqual(['a']);
    expect(await members({ attr: 'tags', op: 'contains', value: 'buyer' })).toEqual([]);
    expect(await members({ attr: 'city', op: 'startsWith', value: 'G' })).toEqual(['a']);
    // A string "30" is not the number 30.
    expect(await members({ attr: 'age', op: 'gte', value: 30 })).toEqual(['a', 'c']);
    expect(await members({ attr: 'age', op: 'eq', value: 30 })).toEqual(['a']);
    expect(await members({ attr: 'age', op: 'between', value: [18, 30] })).toEqual(['a', 'd']);
    expect(await members({ attr: 'vip', op: 'eq', value: true })).toEqual(['a']);
  });

  it('dates are calendar days in the workspace timezone', async () => {
    expect(await members({ attr: 'createdAt', op: 'before', value: 'T-3' })).toEqual(['b', 'd', 'nobody']);
    expect(await members({ attr: 'createdAt', op: 'on', value: 'T-3' })).toEqual(['a']);
    expect(await members({ attr: 'createdAt', op: 'on', value: '2026-11-19' })).toEqual(['a']);
    expect(await members({ attr: 'createdAt', op: 'after', value: 'T-3' })).toEqual(['c', 'e']);
    expect(await members({ attr: 'createdAt', op: 'between', value: ['T-4', 'T-3'] })).toEqual(['a', 'b']);
    expect(await members({ attr: 'createdAt', op: 'withinLastDays', value: 3 })).toEqual(['c', 'e']);
    expect(await members({ attr: 'createdAt', op: 'before', value: '2026-11-18T15:45:00Z' })).toEqual(['b', 'd', 'nobody']);
  });

  it('behaviour: lastDays is N×24 hours, "did not" includes never-did, counts include zero', async () => {
    expect(await members({ event: 'order_paid', window: { lastDays: 7 } })).toEqual(['a']);
    expect(await members({ event: 'order_paid', window: { lastDays: 7 }, count: { op: 'eq', value: 0 } })).toEqual(['b', 'c', 'd', 'e', 'nobody']);
    expect(await members({ event: 'order_paid', count: { op: 'lt', value: 2 } })).toEqual(['a', 'c', 'd', 'e', 'nobody']);
    expect(await members({ event: 'order_paid', count: { op: 'gte', value: 2 } })).toEqual(['b']);
    expect(await members({ event: 'order_paid', where: [{ prop: 'amount', op: 'gte', value: 8000 }] })).toEqual(['a', 'b']);
    expect(await members({ event: 'page_view', where: [{ prop: 'url', op: 'eq', value: '/sale' }], window: { lastDays: 1 } })).toEqual(['c']);
    expect(await members({ event: 'page_view', window: { from: 'T-3', to: 'T-3' } })).toEqual(['d']);
    expect(await members({ event: 'page_view', window: { from: 'T-4', to: 'T+0' } })).toEqual(['c', 'd', 'e']);
    expect(await members({ event: 'order_paid', window: { since: ago(8 * D), until: ago(6 * D) } })).toEqual(['a', 'b']);
  });

  it('all / any / not, with not as the complement over all users', async () => {
    // API.md's example: paid before, not in the last 7 days, visited in the last 3.
    await ws.api.post('/v1/events', { events: [{ externalId: 'b', name: 'page_view', timestamp: ago(2 * D), properties: {} }] });
    expect(await members({ all: [
      { event: 'order_paid' },
      { event: 'order_paid', window: { lastDays: 7 }, count: { op: 'eq', value: 0 } },
      { event: 'page_view', window: { lastDays: 3 } },
    ] })).toEqual(['b']);
    expect(await members({ not: { attr: 'city', op: 'eq', value: 'Guangzhou' } })).toEqual(['b', 'c', 'd', 'e', 'nobody']);
    expect(await members({ not: { attr: 'age', op: 'gt', value: 20 } })).toEqual(['b', 'd', 'e', 'nobody']);
    expect(await members({ any: [{ attr: 'vip', op: 'eq', value: true }, { attr: 'age', op: 'lt', value: 20 }] })).toEqual(['a', 'd']);
    expect(await members({ not: { not: { attr: 'city', op: 'exists' } } })).toEqual(['a', 'b', 'c']);
  });

  it('segment references give union, intersection and difference', async () => {
    const mk = async (definition: Definition) => {
      const r = await ws.api.post('/v1/segments', { name: 'ref', definition, refresh: 'manual' });
      await h.drain();
      return r.json().id as string;
    };
    const buyers = await mk({ event: 'order_paid' });
    const young = await mk({ attr: 'age', op: 'lt', value: 31 });
    expect(await members({ any: [{ segment: buyers }, { segment: young }] })).toEqual(['a', 'b', 'd']);
    expect(await members({ all: [{ segment: buyers }, { segment: young }] })).toEqual(['a']);
    expect(await members({ all: [{ segment: buyers }, { not: { segment: young } }] })).toEqual(['b']);
  });

  it('a condition that does not fit is a 400 naming the path, not an empty result', async () => {
    const cases: [Definition, string][] = [
      [{ all: [{ attr: 'city', op: 'exists' }, { attr: 'createdAt', op: 'gt', value: 3 }] }, 'definition.all[1].op'],
      [{ any: [{ attr: 'phone', op: 'gt', value: 3 }] }, 'definition.any[0].op'],
      [{ attr: 'age', op: 'in', value: [] }, 'definition.value'],
      [{ attr: 'createdAt', op: 'before', value: 'last week' }, 'definition.value'],
      [{ not: { segment: 'seg_missing' } }, 'definition.not.segment'],
      [{ event: 'x', window: { from: 'T-3', to: 'nope' } } as unknown as Definition, 'definition.window.to'],
    ];
    for (const [definition, path] of cases) {
      const r = await ws.api.post('/v1/segments/preview', { definition });
      expect(r.statusCode, JSON.stringify(definition)).toBe(400);
      expect(r.json().error.details.map((d: { path: string }) => d.path), JSON.stringify(definition)).toContain(path);
    }
  });
});
