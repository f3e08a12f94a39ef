import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, newWorkspace, type Harness } from '../../test/support/harness.ts';
import { expectOk } from '../../test/support/fixtures.ts';
import { invalidateEventHooks, registerEventHook, type IngestedEvent } from './event-hooks.ts';
import { internalId, recordPlatformEvents } from './customers.service.ts';

/**
 * Event hooks: each wanted event reaches its hook through a job enqueued with the events, once
 * per stored event (a duplicate messageId is not delivered again), and a failing hook is
 * retried alone.
 */
describe('event hooks', () => {
  let h: Harness;
  const seen = new Map<string, IngestedEvent[]>(); // hook name → events handled
  const wants = new Map<string, Map<string, Set<string>>>(); // workspace → hook → names
  let failuresLeft = 0;
  const add = (hook: string, e: IngestedEvent[]) => seen.set(hook, [...(seen.get(hook) ?? []), ...e]);

  beforeAll(async () => {
    h = await createHarness();
    for (const name of ['test.a', 'test.b']) {
      registerEventHook({
        name,
        wants: async (_p, ws) => wants.get(ws)?.get(name) ?? new Set(),
        handle: async (_p, events) => {
          if (name === 'test.b' && failuresLeft > 0) {
            failuresLeft--;
            throw new Error('hook b fails this time');
          }
          add(name, events);
        },
      });
    }
  });
  afterAll(async () => { await h.close(); });

  it('delivers the wanted events of a batch (orders too) to each hook once, with the user', async () => {
    const ws = await newWorkspace(h);
    wants.set(ws.id, new Map([['test.a', new Set(['check_in', 'order_paid'])], ['test.b', new Set(['check_in'])]]));
    invalidateEventHooks(ws.id);
    const batch = [
      { externalId: 'u1', name: 'check_in', properties: { day: 1 }, messageId: 'c1' },
      { externalId: 'u2', name: 'page_view', properties: { url: '/' }, messageId: 'p1' },
      { externalId: 'u2', name: 'order_paid', properties: { orderId: 'o1', amount: 500 }, messageId: 'o1' },
      { externalId: 'u3', name: 'check_in', properties: { day: 1 }, messageId: 'c2' },
    ];
    await expectOk(await ws.api.post('/v1/events', { events: batch }));
    // The same batch again: every messageId is a duplicate, so nothing new reaches a hook.
    await expectOk(await ws.api.post('/v1/events', { events: batch }));
    await h.drain();

    const mine = (hook: string) => (seen.get(hook) ?? []).filter((e) => e.workspaceId === ws.id);
    const wantedBy = (names: string[]) => batch.filter((e) => names.includes(e.name)).map((e) => `${e.externalId}:${e.name}`).sort();
    expect(mine('test.a').map((e) => `${e.externalId}:${e.name}`).sort()).toEqual(wantedBy(['check_in', 'order_paid']));
    expect(mine('test.b').map((e) => `${e.externalId}:${e.name}`).sort()).toEqual(wantedBy(['check_in']));
    const order = mine('test.a').find((e) => e.name === 'order_paid')!;
    expect(order.properties).toEqual({ orderId: 'o1', amount: 500 });
    expect(order.userId).toBe(await internalId(h.p.db, ws.id, 'u2'));
    expect(new Set(mine('test.a').map((e) => e.id)).size).toBe(mine('test.a').length);
  });

  it('retries a failing hook without running the other again', async () => {
    const ws = await newWorkspace(h);
    wants.set(ws.id, new Map([['test.a', new Set(['check_in'])], ['test.b', new Set(['check_in'])]]));
    invalidateEventHooks(ws.id);
    failuresLeft = 2;
    await expectOk(await ws.api.post('/v1/events', { events: [{ externalId: 'u1', name: 'check_in', messageId: 'x1' }] }));
    // Retries back off in time: move the manual clock past them while draining.
    for (let i = 0; i < 4; i++) {
      await h.drain();
      h.clock.advance(10 * 60_000);
    }
    await h.drain();
    const mine = (hook: string) => (seen.get(hook) ?? []).filter((e) => e.workspaceId === ws.id);
    expect(failuresLeft).toBe(0);
    expect(mine('test.a')).toHaveLength(1);
    expect(mine('test.b')).toHaveLength(1);
  });

  it('reaches hooks from platform events when the caller passes the platform, and only wanted names', async () => {
    const ws = await newWorkspace(h);
    wants.set(ws.id, new Map([['test.a', new Set(['$h5_view'])]]));
    invalidateEventHooks(ws.id);
    await expectOk(await ws.api.post('/v1/users', { users: [{ externalId: 'v1' }] }));
    const userId = await internalId(h.p.db, ws.id, 'v1');
    const ts = h.clock.now();
    await h.p.db.transaction().execute((tx) => recordPlatformEvents(tx, ws.id, [
      { userId, name: '$h5_view', ts, properties: { page: 'lottery' } },
      { userId, name: '$h5_click', ts, properties: { page: 'lottery' } },
    ], h.p));
    // Without the platform (delivery's own events) no hook is asked.
    await h.p.db.transaction().execute((tx) => recordPlatformEvents(tx, ws.id, [{ userId, name: '$h5_view', ts, properties: { page: 'coupon' } }]));
    await h.drain();
    const mine = (seen.get('test.a') ?? []).filter((e) => e.workspaceId === ws.id);
    expect(mine.map((e) => [e.name, e.properties])).toEqual([['$h5_view', { page: 'lottery' }]]);
  });
});
