import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, newWorkspace, type Harness } from '../../test/support/harness.ts';
import { expectOk } from '../../test/support/fixtures.ts';
import { ingestEventsBody, type EventInput } from './customers.schema.ts';
import * as service from './customers.service.ts';

/**
 * Ingestion has two paths (customers.service.ts): one statement for the common batch, and the
 * general transaction for the rest. The same batches, sent to one workspace over HTTP (which
 * takes the one statement whenever it can) and to another through the general path only, must
 * leave the same events, orders, order stats and catalog counts.
 */
describe('ingest: the one-statement path and the general transaction', () => {
  let h: Harness;
  beforeAll(async () => { h = await createHarness(); });
  afterAll(async () => { await h.close(); });

  const at = (minutesAgo: number) => new Date(h.clock.now().getTime() - minutesAgo * 60_000).toISOString();
  const parse = (events: unknown[]): EventInput[] => ingestEventsBody.parse({ events }).events;

  /** Everything ingestion writes for a workspace, keyed by what the caller sent (not internal ids). */
  async function stored(ws: string) {
    const q = async (text: string) => (await h.p.pool.query(text, [ws])).rows;
    return {
      events: await q(`select u.external_id, e.name, e.ts, e.properties, e.message_id from events e join users u on u.id = e.user_id
                       where e.workspace_id = $1 order by e.id`),
      orders: await q(`select o.order_id, u.external_id, o.amount, o.paid_at, o.coupon_code, o.first_order from orders o join users u on u.id = o.user_id
                       where o.workspace_id = $1 order by o.order_id`),
      users: await q(`select external_id, order_count, order_total, first_order_at, last_order_at from users where workspace_id = $1 order by external_id`),
      counts: await q(`select name, sum(count)::int as n from event_counts where workspace_id = $1 group by name order by name`),
    };
  }

  it('store the same rows for the same batches, including new users, repeated messageIds and orderIds', async () => {
    const fast = await newWorkspace(h);
    const general = await newWorkspace(h);
    await expectOk(await fast.api.post('/v1/users', { users: [{ externalId: 'known' }] }));
    await expectOk(await general.api.post('/v1/users', { users: [{ externalId: 'known' }] }));
    const batches: unknown[][] = [
      // Types every property first, so the later batches are ones the one statement may take.
      [
        { externalId: 'known', name: 'page_view', timestamp: at(300), properties: { url: '/' }, messageId: 'm0' },
        { externalId: 'known', name: 'order_paid', timestamp: at(290), properties: { orderId: 'o0', amount: 1000, couponCode: 'C1' }, messageId: 'm1' },
      ],
      // New users, two orders of one new buyer (the earlier one is the first order), no timestamp, microseconds.
      [
        { externalId: 'new-a', name: 'page_view', properties: { url: '/sale' } },
        { externalId: 'new-a', name: 'order_paid', timestamp: at(100), properties: { orderId: 'o2', amount: 2500 }, messageId: 'm2' },
        { externalId: 'new-a', name: 'order_paid', timestamp: at(120), properties: { orderId: 'o1', amount: 1500 }, messageId: 'm3' },
        { externalId: 'new-b', name: 'page_view', timestamp: '2026-12-01T08:00:00.123456+08:00', properties: { url: 'a\u0000b' } },
        { externalId: 'known', name: 'order_paid', timestamp: at(400), properties: { orderId: 'o3', amount: 700 } },
      ],
      // A repeated orderId with a new messageId: the event is stored, the order is not counted twice.
      [
        { externalId: 'new-b', name: 'order_paid', timestamp: at(50), properties: { orderId: 'o2', amount: 9999 }, messageId: 'm4' },
        { externalId: 'new-b', name: 'page_view', timestamp: at(49), properties: { url: '/x' }, messageId: 'm5' },
      ],
      // A messageId stored before (a page view, and an order's retry), and one repeated inside the batch: all ignored.
      [
        { externalId: 'known', name: 'page_view', timestamp: at(10), properties: { url: '/again' }, messageId: 'm0' },
        { externalId: 'known', name: 'order_paid', timestamp: at(290), properties: { orderId: 'o0', amount: 1000, couponCode: 'C1' }, messageId: 'm1' },
        { externalId: 'new-c', name: 'page_view', timestamp: at(9), properties: { url: '/c' }, messageId: 'm6' },
        { externalId: 'new-c', name: 'page_view', timestamp: at(8), properties: { url: '/c2' }, messageId: 'm6' },
        { externalId: 'new-c', name: 'order_paid', timestamp: at(7), properties: { orderId: 'o4', amount: 300 }, messageId: 'm7' },
      ],
    ];
    const answers = { fast: [] as unknown[], general: [] as unknown[] };
    for (const batch of batches) {
      answers.fast.push((await expectOk(await fast.api.post('/v1/events', { events: batch }))).json());
      answers.general.push(await service.ingestInTransaction(h.p, general.id, parse(batch), h.clock.now()));
    }
    expect(answers.fast).toEqual(answers.general);
    expect(answers.fast.at(-1)).toEqual({ accepted: 5, deduplicated: 3 });
    const a = await stored(fast.id);
    expect(a).toEqual(await stored(general.id));
    // And what both stored is what was sent.
    expect(a.events).toHaveLength(11);
    expect(a.events.map((e) => e.message_id)).toEqual(['m0', 'm1', null, null, 'm2', 'm3', null, 'm5', 'm4', 'm6', 'm7']);
    expect(a.events[3]).toMatchObject({ external_id: 'new-b', properties: { url: 'ab' } });
    expect(a.events[9]).toMatchObject({ message_id: 'm6', properties: { url: '/c' } }); // the first of the repeated messageId
    expect((a.events[3].ts as Date).toISOString()).toBe('2026-12-01T00:00:00.123Z');
    expect(a.orders.map((o) => [o.order_id, o.external_id, Number(o.amount), o.first_order])).toEqual([
      ['o0', 'known', 1000, true], ['o1', 'new-a', 1500, true], ['o2', 'new-a', 2500, false], ['o3', 'known', 700, true], ['o4', 'new-c', 300, true],
    ]);
    expect(a.users.map((u) => [u.external_id, u.order_count, Number(u.order_total)])).toEqual([
      ['known', 2, 1700], ['new-a', 2, 4000], ['new-b', 0, 0], ['new-c', 1, 300],
    ]);
    expect(a.counts).toEqual([{ name: 'order_paid', n: 6 }, { name: 'page_view', n: 5 }]);
  });

  it('the one statement takes a batch of known or new users, and declines a repeated messageId having stored nothing', async () => {
    const ws = await newWorkspace(h);
    const events = parse([{ externalId: 'p1', name: 'page_view', timestamp: at(5), properties: { url: '/' }, messageId: 'x1' }]);
    // Its property types are not known yet: declined, for the general path to type them.
    expect(await service.ingestInOneStatement(h.p, ws.id, events, new Set(), h.clock.now())).toBe(false);
    await service.ingestInTransaction(h.p, ws.id, events, h.clock.now());
    const next = parse([
      { externalId: 'p1', name: 'page_view', timestamp: at(4), properties: { url: '/a' }, messageId: 'x2' },
      { externalId: 'p2', name: 'page_view', timestamp: at(3), properties: { url: '/b' }, messageId: 'x3' },
    ]);
    expect(await service.ingestInOneStatement(h.p, ws.id, next, new Set(), h.clock.now())).toBe(true);
    // A name an event hook wants goes the general way (its jobs are enqueued there).
    expect(await service.ingestInOneStatement(h.p, ws.id, parse([{ externalId: 'p1', name: 'page_view', messageId: 'x9' }]), new Set(['page_view']), h.clock.now())).toBe(false);
    const repeated = parse([
      { externalId: 'p3', name: 'page_view', timestamp: at(2), properties: { url: '/c' }, messageId: 'x4' },
      { externalId: 'p1', name: 'page_view', timestamp: at(1), properties: { url: '/d' }, messageId: 'x2' },
    ]);
    expect(await service.ingestInOneStatement(h.p, ws.id, repeated, new Set(), h.clock.now())).toBe(false);
    const ids = (await h.p.pool.query(`select message_id from events where workspace_id = $1 order by id`, [ws.id])).rows.map((r) => r.message_id);
    expect(ids).toEqual(['x1', 'x2', 'x3']);
  });

  it('concurrent batches creating the same new users lose no event and create each user once', async () => {
    const ws = await newWorkspace(h);
    await expectOk(await ws.api.post('/v1/events', { events: [{ externalId: 'seed', name: 'page_view', properties: { url: '/' } }] }));
    const batches = Array.from({ length: 8 }, (_, b) => Array.from({ length: 60 }, (_, i) => ({
      externalId: `c-${(i * 7 + b) % 40}`, name: 'page_view', timestamp: at(i), properties: { url: `/${b}/${i}` }, messageId: `b${b}-${i}`,
    })));
    const answers = await Promise.all(batches.map(async (events) => (await expectOk(await ws.api.post('/v1/events', { events }))).json()));
    expect(answers).toEqual(batches.map(() => ({ accepted: 60, deduplicated: 0 })));
    const r = await h.p.pool.query(`select (select count(*)::int from events where workspace_id = $1) as e,
      (select count(*)::int from users where workspace_id = $1) as u, (select count(distinct external_id)::int from users where workspace_id = $1) as d`, [ws.id]);
    expect(r.rows[0]).toEqual({ e: 1 + 8 * 60, u: 41, d: 41 });
  });
  it('remembered user ids stay right: per workspace, and across an alias that merges into the user', async () => {
    const a = await newWorkspace(h);
    const b = await newWorkspace(h);
    const pv = (url: string) => ({ externalId: 'same', name: 'page_view', timestamp: at(1), properties: { url } });
    for (const ws of [a, b]) await expectOk(await ws.api.post('/v1/events', { events: [pv('/typed')] }));
    // Both workspaces' ids of 'same' are remembered now; each batch lands on its own user.
    for (const ws of [a, b, a]) await expectOk(await ws.api.post('/v1/events', { events: [pv(`/${ws.slug}`)] }));
    const owners = await h.p.pool.query(`select e.workspace_id, u.workspace_id as user_ws, count(*)::int as n from events e join users u on u.id = e.user_id
      where e.workspace_id = any($1) group by 1, 2 order by n`, [[a.id, b.id]]);
    expect(owners.rows).toEqual([{ workspace_id: b.id, user_ws: b.id, n: 2 }, { workspace_id: a.id, user_ws: a.id, n: 3 }]);
    // An alias deletes the anonymous profile, never the known user, so the remembered id still holds.
    await expectOk(await a.api.post('/v1/events', { events: [{ anonymousId: 'dev', name: 'page_view', timestamp: at(2), properties: { url: '/anon' } }] }));
    await expectOk(await a.api.post('/v1/users/alias', { anonymousId: 'dev', externalId: 'same' }));
    await expectOk(await a.api.post('/v1/events', { events: [pv('/after')] }));
    const timeline = (await a.api.get('/v1/users/same/events')).json().items.map((e: { properties: { url: string } }) => e.properties.url);
    expect(timeline.sort()).toEqual(['/after', '/anon', `/${a.slug}`, `/${a.slug}`, '/typed'].sort());
  });
});
