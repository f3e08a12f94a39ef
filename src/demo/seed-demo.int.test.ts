import { sql } from 'kysely';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../../test/support/harness.ts';
import { hashSecret } from '../platform/ids.ts';
import * as workspaces from '../workspaces/workspaces.service.ts';
import { DAY, demoUser, ORDER_MEAN } from './demo-data.ts';
import { seedDemo } from './seed-demo.ts';

/**
 * seed-demo on real PostgreSQL: two workspaces seeded with the same seed (an hour apart) hold
 * the same shop relative to their "now"; the shop looks like one (amount distribution, repeat
 * buyers, causality of timestamps); a re-run lands in the same workspace and adds nothing.
 */
describe('seed-demo', () => {
  let h: Harness;
  const base = `demo-t${randomBytes(4).toString('hex')}`;
  const USERS = 300;
  const SEED = 5;

  beforeAll(async () => { h = await createHarness(); });
  afterAll(async () => { await h.close(); });

  const wsId = async (slug: string) => (await h.p.db.selectFrom('workspaces').select('id').where('slug', '=', slug).executeTakeFirstOrThrow()).id;

  /** Users and events of a workspace with times made relative to `anchor`, for comparison across workspaces. */
  async function snapshot(slug: string, anchor: Date) {
    const id = await wsId(slug);
    const a = anchor.getTime();
    const users = await h.p.db.selectFrom('users').select(['id', 'externalId', 'phone', 'email', 'wechatOpenId', 'pushToken', 'platform', 'attributes', 'createdAt', 'orderCount', 'orderTotal', 'firstOrderAt'])
      .where('workspaceId', '=', id).orderBy('externalId').execute();
    const events = await h.p.db.selectFrom('events').innerJoin('users', 'users.id', 'events.userId')
      .select(['users.externalId', 'events.name', 'events.ts', 'events.properties', 'events.messageId'])
      .where('events.workspaceId', '=', id).orderBy('events.messageId').execute();
    const orders = await h.p.db.selectFrom('orders').select(['orderId', 'userId', 'amount', 'paidAt', 'firstOrder']).where('workspaceId', '=', id).orderBy('orderId').execute();
    return {
      id, users, events, orders,
      /** Everything but the timestamps. */
      content: {
        users: users.map(({ id: _, createdAt: _c, firstOrderAt: _f, ...u }) => u),
        events: events.map(({ ts: _, ...e }) => e),
        orders: orders.map(({ userId: _, paidAt: _p, ...o }) => o),
      },
      /** Event times as "ms before the anchor". */
      ago: events.map((e) => a - e.ts.getTime()),
    };
  }

  let firstAnchor: Date;
  let first: Awaited<ReturnType<typeof seedDemo>>;

  it('seeds the same shop for the same seed, relative to now', async () => {
    firstAnchor = h.clock.now();
    first = await seedDemo(h.p, { seed: SEED, users: USERS, slug: base });
    expect(first).toMatchObject({ slug: base, users: USERS, email: 'admin@demo.local' });
    expect(first.events).toBeGreaterThan(USERS * 5);

    h.clock.advance(3_600_000);
    const secondAnchor = h.clock.now();
    const second = await seedDemo(h.p, { seed: SEED, users: USERS, slug: `${base}-copy` });
    expect(second).toMatchObject({ slug: `${base}-copy`, users: first.users, events: first.events, orders: first.orders, password: first.password });
    expect(second.apiKey).not.toBe(first.apiKey);

    const a = await snapshot(base, firstAnchor);
    const b = await snapshot(`${base}-copy`, secondAnchor);
    expect(a.events.length).toBe(first.events);
    expect(b.content).toEqual(a.content);
    // Times are relative to now: the same within the local day they fall on (shoppers' hours
    // are local hours, so an hour later shifts them a little), and the later run is later.
    for (let i = 0; i < a.ago.length; i++) expect(Math.abs(b.ago[i]! - a.ago[i]!)).toBeLessThan(DAY + 3_600_000);
    expect(b.events.reduce((s, e) => s + e.ts.getTime(), 0)).toBeGreaterThan(a.events.reduce((s, e) => s + e.ts.getTime(), 0));

    // Another seed is another shop.
    const other = demoUser(SEED + 1, 0, firstAnchor.getTime());
    const same = demoUser(SEED, 0, firstAnchor.getTime());
    expect(other.user.phone === same.user.phone && other.events.length === same.events.length).toBe(false);
  });

  it('looks like a shop: causal timestamps, log-normal amounts, first and repeat buyers', async () => {
    const { users, events, orders } = await snapshot(base, firstAnchor);
    const now = firstAnchor.getTime();
    expect(users).toHaveLength(USERS);
    const byExt = new Map(users.map((u) => [u.externalId, u]));

    // Every event inside the 90 days, never before its user's registration; one register event each, at registration.
    for (const e of events) {
      const u = byExt.get(e.externalId)!;
      expect(e.ts.getTime(), `${e.messageId} after registration`).toBeGreaterThanOrEqual(u.createdAt.getTime());
      expect(e.ts.getTime()).toBeLessThanOrEqual(now);
      expect(e.ts.getTime()).toBeGreaterThanOrEqual(now - 90 * DAY);
    }
    const registers = events.filter((e) => e.name === 'register');
    expect(registers).toHaveLength(USERS);
    for (const r of registers) expect(r.ts.getTime()).toBe(byExt.get(r.externalId)!.createdAt.getTime());
    // Registrations spread over the window (not all on one day).
    const regDays = new Set(users.map((u) => Math.floor((now - u.createdAt.getTime()) / DAY)));
    expect(regDays.size).toBeGreaterThan(45);

    // Orders: one row per order_paid event, unique ids, mean near ¥200 with a right skew.
    const paid = events.filter((e) => e.name === 'order_paid');
    expect(orders).toHaveLength(paid.length);
    expect(new Set(paid.map((e) => e.properties.orderId)).size).toBe(paid.length);
    const amounts = orders.map((o) => Number(o.amount)).sort((x, y) => x - y);
    const mean = amounts.reduce((s, x) => s + x, 0) / amounts.length;
    const median = amounts[amounts.length >> 1]!;
    expect(mean).toBeGreaterThan(ORDER_MEAN * 0.8);
    expect(mean).toBeLessThan(ORDER_MEAN * 1.2);
    expect(median).toBeLessThan(mean * 0.9); // log-normal: median below mean
    expect(amounts[amounts.length - 1]!).toBeGreaterThan(3 * mean); // a long right tail
    for (const e of paid) {
      const items = e.properties.items as { price: number; quantity: number }[];
      expect(items.reduce((s, i) => s + i.price * i.quantity, 0)).toBe(e.properties.amount);
    }

    // Buyers: some once, a share of repeat buyers with 2–10 orders; profile stats agree with the orders table.
    const counts = users.map((u) => u.orderCount);
    const buyers = counts.filter((n) => n > 0).length;
    const repeat = counts.filter((n) => n >= 2).length;
    expect(buyers).toBeGreaterThan(USERS * 0.25);
    expect(buyers).toBeLessThan(USERS * 0.6);
    expect(counts.filter((n) => n === 1).length).toBeGreaterThan(repeat * 0.8);
    expect(repeat).toBeGreaterThan(buyers * 0.2);
    expect(Math.max(...counts)).toBeLessThanOrEqual(10);
    const firstFlags = new Map<string, number>();
    for (const o of orders) if (o.firstOrder) firstFlags.set(o.userId, (firstFlags.get(o.userId) ?? 0) + 1);
    expect(firstFlags.size).toBe(buyers);
    expect([...firstFlags.values()].every((n) => n === 1)).toBe(true);
    for (const u of users) {
      const mine = orders.filter((o) => o.userId === u.id);
      expect(u.orderCount).toBe(mine.length);
      expect(Number(u.orderTotal)).toBe(mine.reduce((s, o) => s + Number(o.amount), 0));
      if (mine.length) expect(mine.find((o) => o.firstOrder)!.paidAt.getTime()).toBe(Math.min(...mine.map((o) => o.paidAt.getTime())));
    }

    // Profiles: Chinese mobile numbers, some emails, a weighted spread of cities, attributes present.
    const phones = users.map((u) => u.phone).filter((x): x is string => !!x);
    expect(phones.length).toBeGreaterThan(USERS * 0.9);
    for (const ph of phones) expect(ph).toMatch(/^1(3\d|5[0-35-9]|8\d)\d{8}$/);
    const emails = users.filter((u) => u.email).length;
    expect(emails).toBeGreaterThan(USERS * 0.15);
    expect(emails).toBeLessThan(USERS * 0.6);
    const cities = new Map<string, number>();
    for (const u of users) cities.set(String(u.attributes.city), (cities.get(String(u.attributes.city)) ?? 0) + 1);
    expect(cities.size).toBeGreaterThanOrEqual(8);
    expect(Math.max(...cities.values())).toBeLessThan(USERS * 0.3);
    for (const u of users) {
      expect(u.attributes).toMatchObject({ age: expect.any(Number), memberLevel: expect.any(String), channel: expect.any(String), name: expect.any(String) });
      expect(['ios', 'android', 'web']).toContain(u.platform);
    }

    // Behaviour events carry what segments filter on.
    const views = events.filter((e) => e.name === 'page_view');
    expect(views.length).toBeGreaterThan(USERS * 3);
    expect(views.every((e) => typeof e.properties.url === 'string')).toBe(true);
    const withCampaign = views.filter((e) => e.properties.campaignId).length;
    expect(withCampaign).toBeGreaterThan(0);
    expect(withCampaign).toBeLessThan(views.length * 0.2);
    const carts = events.filter((e) => e.name === 'add_to_cart');
    expect(carts.length).toBeGreaterThan(paid.length);
    expect(carts.every((e) => typeof e.properties.sku === 'string' && Number.isInteger(e.properties.price))).toBe(true);
    // Every order was carted first: some add_to_cart of the same user precedes it.
    for (const o of paid) expect(carts.some((c) => c.externalId === o.externalId && c.ts < o.ts)).toBe(true);
  });

  it('leaves segments, an SMS template, a draft campaign and a working login', async () => {
    const id = await wsId(base);
    const segs = await h.p.db.selectFrom('segments').select(['name', 'status', 'count']).where('workspaceId', '=', id).execute();
    expect(segs.length).toBeGreaterThanOrEqual(5);
    expect(segs.every((s) => s.status === 'ready')).toBe(true);
    expect(segs.find((s) => s.name.startsWith('Repeat buyers'))!.count).toBeGreaterThan(0);
    const tpl = await h.p.db.selectFrom('templates').select(['channel']).where('workspaceId', '=', id).execute();
    expect(tpl.map((t) => t.channel)).toContain('sms');
    const cmp = await h.p.db.selectFrom('campaigns').select(['id', 'status']).where('workspaceId', '=', id).execute();
    expect(cmp).toHaveLength(1);
    expect(cmp[0]!.status).toBe('draft');
    expect(await h.p.db.selectFrom('tasks').select('id').where('campaignId', '=', cmp[0]!.id).execute()).toHaveLength(1);

    const session = await workspaces.login(h.p, first.email, first.password, base);
    expect(session.workspaceId).toBe(id);
    expect(await workspaces.principalForKey(h.p, hashSecret(first.apiKey))).toMatchObject({ workspaceId: id, role: 'admin' });
  });

  it('re-runs into the same workspace without duplicating anything; another seed gets its own', async () => {
    const before = await snapshot(base, firstAnchor);
    h.clock.advance(2 * DAY);
    const again = await seedDemo(h.p, { seed: SEED, users: USERS, slug: base });
    expect(again).toMatchObject({ slug: base, events: first.events, orders: first.orders, password: first.password });
    const after = await snapshot(base, firstAnchor);
    expect(after.content).toEqual(before.content);
    expect(after.ago).toEqual(before.ago); // the re-run reused the first run's anchor
    expect(await workspaces.principalForKey(h.p, hashSecret(again.apiKey))).toMatchObject({ workspaceId: before.id });
    const objects = await h.p.db.selectFrom('segments').select(sql<number>`count(*)::int`.as('n')).where('workspaceId', '=', before.id).executeTakeFirstOrThrow();
    expect(objects.n).toBe(6);

    const other = await seedDemo(h.p, { seed: SEED + 1, users: 50, slug: base });
    expect(other.slug).toBe(`${base}-${SEED + 1}`);
    expect(other.password).not.toBe(first.password);
  });
});
