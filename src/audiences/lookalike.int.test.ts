import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, newWorkspace, type Harness } from '../../test/support/harness.ts';
import * as customers from '../customers/customers.service.ts';
import * as segments from './segments.service.ts';
import { mulberry32 } from '../demo/random.ts';

/**
 * Lookalike expansion on generated data. Three groups of users:
 * - seed (tagged `group=seed`, the seed segment is that attribute): recent, frequent
 *   `video_play` watchers who also buy, drawn from one behavioural profile;
 * - planted look-alikes: drawn from the SAME profile, but not tagged, so not in the seed;
 * - random users: random recency, random frequency and a random mix of other events; a
 *   quarter of them also watch a few videos (decoys sharing part of the seed's event mix).
 * The N most similar non-members must be the planted ones: the expectation is the set the
 * generator planted, whatever the random draw was.
 */
const NOW = '2026-11-22T04:00:00Z';
const nowMs = new Date(NOW).getTime();
const H = 3_600_000;

const rng = mulberry32; // deterministic, so a failure can be replayed

let h: Harness;
let ws: Awaited<ReturnType<typeof newWorkspace>>;
let seedId: string;
const seedUsers: string[] = [];
const planted: string[] = [];
const randoms: string[] = [];

beforeAll(async () => {
  h = await createHarness();
  h.clock.set(NOW);
  ws = await newWorkspace(h);
  const r = rng(424242);
  const users: { externalId: string; attributes: Record<string, string> }[] = [];
  const events: { externalId: string; name: string; timestamp: string; properties: Record<string, unknown> }[] = [];
  let order = 0;
  const at = (hoursAgo: number) => new Date(nowMs - Math.floor(hoursAgo * H)).toISOString();
  /** The seed's profile: 15–25 video plays in the last 3 days, 2–3 orders of ¥150–250. */
  const watcher = (id: string) => {
    for (let k = 0, n = 15 + Math.floor(r() * 11); k < n; k++) events.push({ externalId: id, name: 'video_play', timestamp: at(r() * 72), properties: {} });
    for (let k = 0, n = 2 + Math.floor(r() * 2); k < n; k++) events.push({ externalId: id, name: 'order_paid', timestamp: at(r() * 72), properties: { orderId: `o${++order}`, amount: 15000 + Math.floor(r() * 10000) } });
  };
  /** Everyone else: 0–12 events of other kinds spread over 90 days, sometimes an order. */
  const other = (id: string) => {
    for (let k = 0, n = Math.floor(r() * 13); k < n; k++) {
      const name = ['page_view', 'add_to_cart', 'search', 'share'][Math.floor(r() * 4)]!;
      events.push({ externalId: id, name, timestamp: at(r() * 90 * 24), properties: {} });
    }
    // Decoys: a quarter of them also watch a few videos, at any time in the 90 days.
    if (r() < 0.25) for (let k = 0, n = 1 + Math.floor(r() * 8); k < n; k++) events.push({ externalId: id, name: 'video_play', timestamp: at(r() * 90 * 24), properties: {} });
    if (r() < 0.3) events.push({ externalId: id, name: 'order_paid', timestamp: at(r() * 90 * 24), properties: { orderId: `o${++order}`, amount: 1000 + Math.floor(r() * 60000) } });
  };
  for (let i = 0; i < 30; i++) { const id = `seed${i}`; seedUsers.push(id); users.push({ externalId: id, attributes: { group: 'seed' } }); }
  for (let i = 0; i < 12; i++) { const id = `twin${i}`; planted.push(id); users.push({ externalId: id, attributes: { group: 'none' } }); }
  for (let i = 0; i < 250; i++) { const id = `rnd${i}`; randoms.push(id); users.push({ externalId: id, attributes: { group: 'none' } }); }
  // Interleave creation so user ids (the tie-break) do not favour any group.
  users.sort((a, b) => (a.externalId < b.externalId ? -1 : 1));
  expect((await ws.api.post('/v1/users', { users })).statusCode).toBeLessThan(300);
  seedUsers.forEach(watcher);
  planted.forEach(watcher);
  randoms.forEach(other);
  for (let i = 0; i < events.length; i += 1000) expect((await ws.api.post('/v1/events', { events: events.slice(i, i + 1000) })).statusCode).toBe(202);
  const seg = await ws.api.post('/v1/segments', { name: 'seed', definition: { attr: 'group', op: 'eq', value: 'seed' }, refresh: 'manual' });
  expect(seg.statusCode).toBe(201);
  seedId = seg.json().id;
  await h.drain();
});
afterAll(async () => { await h.close(); });

async function preview(definition: unknown) {
  const r = await ws.api.post('/v1/segments/preview', { definition });
  return r;
}
async function membersOf(definition: unknown): Promise<string[]> {
  const seg = await ws.api.post('/v1/segments', { name: 'x', definition, refresh: 'manual' });
  expect(seg.statusCode, seg.body).toBe(201);
  await h.drain();
  return ((await ws.api.get(`/v1/segments/${seg.json().id}/members?limit=1000`)).json().items as string[]).sort();
}

describe('lookalike expansion', () => {
  it('ranks the planted look-alikes above random users, never returns seed members, and is deterministic', async () => {
    const top = await membersOf({ lookalike: { segment: seedId, size: planted.length } });
    expect(top).toEqual([...planted].sort());
    // A larger N keeps every planted user and fills up with others, never the seed.
    const wider = await membersOf({ lookalike: { segment: seedId, size: planted.length + 20 } });
    expect(wider.length).toBe(planted.length + 20);
    for (const id of planted) expect(wider).toContain(id);
    for (const id of wider) expect(seedUsers).not.toContain(id);
    expect(await membersOf({ lookalike: { segment: seedId, size: planted.length + 20 } })).toEqual(wider);
    // The seed expanded by its lookalike, through the same language.
    const expanded = await membersOf({ any: [{ segment: seedId }, { lookalike: { segment: seedId, size: planted.length } }] });
    expect(expanded).toEqual([...seedUsers, ...planted].sort());
    // Single-user evaluation gives the same answer as the batch one.
    for (const id of [planted[0]!, randoms[0]!, seedUsers[0]!]) {
      const uid = await customers.internalId(h.p.db, ws.id, id);
      expect(await segments.userInDefinition(h.p, ws.id, uid, { lookalike: { segment: seedId, size: planted.length } })).toBe(planted.includes(id));
    }
  });

  it('is validated: the seed must exist here, sizes are bounded, a reference cycle is a 400', async () => {
    const missing = await preview({ lookalike: { segment: 'seg_nope', size: 10 } });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error.details[0].path).toBe('definition.lookalike.segment');
    for (const size of [0, -1, 1.5, 1_000_001]) {
      const r = await preview({ lookalike: { segment: seedId, size } });
      expect(r.statusCode, String(size)).toBe(400);
      expect(r.json().error.details[0].path).toBe('definition.lookalike.size');
    }
    expect((await preview({ lookalike: { segment: seedId } })).statusCode).toBe(400);
    expect((await preview({ lookalike: { segment: seedId, size: 5, extra: 1 } })).statusCode).toBe(400);
    // Another workspace's segment is unknown here.
    const other = await newWorkspace(h);
    expect((await other.api.post('/v1/segments/preview', { definition: { lookalike: { segment: seedId, size: 5 } } })).statusCode).toBe(400);
    // A → lookalike(B), then B → A: the PATCH closing the cycle is refused at the reference.
    const b = (await ws.api.post('/v1/segments', { name: 'b', definition: { attr: 'group', op: 'eq', value: 'none' }, refresh: 'manual' })).json().id as string;
    await h.drain();
    const a = (await ws.api.post('/v1/segments', { name: 'a', definition: { lookalike: { segment: b, size: 5 } }, refresh: 'manual' })).json().id as string;
    await h.drain();
    const cycle = await ws.api.patch(`/v1/segments/${b}`, { definition: { segment: a } });
    expect(cycle.statusCode).toBe(400);
    expect(cycle.json().error.details[0].path).toBe('definition.segment');
    const self = await ws.api.patch(`/v1/segments/${a}`, { definition: { lookalike: { segment: a, size: 5 } } });
    expect(self.statusCode).toBe(400);
    expect(self.json().error.details[0].path).toBe('definition.lookalike.segment');
  });
});
