import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, newWorkspace, type Harness } from '../../test/support/harness.ts';
import * as customers from '../customers/customers.service.ts';
import * as segments from './segments.service.ts';
import type { Definition } from './definition.schema.ts';

/**
 * The exact edges of API.md's definition language, on real PostgreSQL. "Now" is
 * 2026-11-22 12:00 in Asia/Shanghai (04:00Z); T-3 is the calendar day 2026-11-19 there.
 * Every definition is computed as a saved segment AND asked user by user through the
 * single-user evaluation: both answers must agree for every user of the workspace.
 */
const NOW = '2026-11-22T04:00:00Z';
const ago = (ms: number) => new Date(new Date(NOW).getTime() - ms).toISOString();
const H = 3_600_000;
const D = 24 * H;
type Workspace = Awaited<ReturnType<typeof newWorkspace>>;

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
  h.clock.set(NOW);
});
afterAll(async () => { await h.close(); });

/** Members of `definition` (sorted), checked batch vs preview count vs single-user for each of `users`. */
async function membersIn(ws: Workspace, users: string[], definition: Definition): Promise<string[]> {
  const r = await ws.api.post('/v1/segments/preview', { definition });
  if (r.statusCode !== 200) throw new Error(r.body);
  const count = r.json().count as number;
  // The sample is capped; compute the full list through a saved segment for exactness.
  const seg = await ws.api.post('/v1/segments', { name: 'x', definition, refresh: 'manual' });
  if (seg.statusCode !== 201) throw new Error(seg.body);
  await h.drain();
  const list = (await ws.api.get(`/v1/segments/${seg.json().id}/members?limit=1000`)).json().items as string[];
  expect(list.length).toBe(count);
  for (const id of users) {
    const uid = await customers.internalId(h.p.db, ws.id, id);
    expect(await segments.userInDefinition(h.p, ws.id, uid, definition), `single-user ${id}: ${JSON.stringify(definition)}`).toBe(list.includes(id));
  }
  return list.sort();
}

/** The paths named by a 400 for this definition. */
async function rejectedAt(ws: Workspace, definition: unknown): Promise<string[]> {
  const r = await ws.api.post('/v1/segments/preview', { definition });
  expect(r.statusCode, JSON.stringify(definition)).toBe(400);
  return r.json().error.details.map((d: { path: string }) => d.path);
}

describe('segment definition semantics', () => {
  let ws: Workspace;
  const members = (definition: Definition) => membersIn(ws, ['a', 'b', 'c', 'd', 'e', 'nobody'], definition);

  beforeAll(async () => {
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
    // age is typed number (inferred from the first value ingested), so b's "30" reads as 30.
    expect(await members({ attr: 'age', op: 'gte', value: 30 })).toEqual(['a', 'b', 'c']);
    expect(await members({ attr: 'age', op: 'eq', value: 30 })).toEqual(['a', 'b']);
    expect(await members({ attr: 'age', op: 'between', value: [18, 30] })).toEqual(['a', 'b', 'd']);
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
    expect(await members({ not: { attr: 'age', op: 'gt', value: 20 } })).toEqual(['d', 'e', 'nobody']);
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
    const young = await mk({ any: [{ attr: 'vip', op: 'eq', value: true }, { attr: 'age', op: 'lt', value: 20 }] });
    expect(await members({ any: [{ segment: buyers }, { segment: young }] })).toEqual(['a', 'b', 'd']);
    expect(await members({ all: [{ segment: buyers }, { segment: young }] })).toEqual(['a']);
    expect(await members({ all: [{ segment: buyers }, { not: { segment: young } }] })).toEqual(['b']);
  });

  it('an SQL definition: same members in the snapshot and for each user', async () => {
    expect(await members({ sql: "select external_id from users where attributes->>'city' in ('Guangzhou', 'Beijing')" })).toEqual(['a', 'b']);
    expect(await members({ sql: "select u.external_id from users u join events e on e.user_id = u.id where e.name = 'order_paid' -- buyers" })).toEqual(['a', 'b']);
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

describe('typed attributes', () => {
  let ws: Workspace;
  const users = ['p1', 'p2', 'p3', 'p4'];
  const members = (definition: Definition) => membersIn(ws, users, definition);

  beforeAll(async () => {
    ws = await newWorkspace(h);
    // Types are inferred from the first value ingested (p1's, in this batch), then `level` is declared.
    const r = await ws.api.post('/v1/users', { users: [
      { externalId: 'p1', attributes: { score: 10, code: 'A1', birthday: '1990-05-01', joined: '2026-11-19', member: true, since: '2026-11-19T00:30:00+08:00', level: '7', prefs: { a: 1 } } },
      { externalId: 'p2', attributes: { score: 9.5, code: 'B2', birthday: '1990-05-02', member: false, since: '2026-11-18T23:30:00+08:00', level: 12 } },
      { externalId: 'p3', attributes: { score: '100', code: 12, birthday: 'not a date', member: 'true', level: 'x' } },
      { externalId: 'p4' },
    ] });
    expect(r.statusCode).toBe(200);
    expect((await ws.api.put('/v1/attributes/level', { type: 'number' })).statusCode).toBe(200);
  });

  it('numbers compare numerically, numeric strings read as numbers', async () => {
    // As text "9.5" > "10"; as numbers it is the other way round.
    expect(await members({ attr: 'score', op: 'gt', value: 9.6 })).toEqual(['p1', 'p3']);
    expect(await members({ attr: 'score', op: 'lt', value: 10 })).toEqual(['p2']);
    expect(await members({ attr: 'score', op: 'between', value: [9.5, 10] })).toEqual(['p1', 'p2']);
    expect(await members({ attr: 'score', op: 'in', value: [10, 100] })).toEqual(['p1', 'p3']);
    expect(await members({ attr: 'score', op: 'neq', value: 10 })).toEqual(['p2', 'p3', 'p4']);
    // Declared after ingest: stored values are read by the declared type; "x" is no number.
    expect(await members({ attr: 'level', op: 'gte', value: 7 })).toEqual(['p1', 'p2']);
    expect(await members({ attr: 'level', op: 'exists' })).toEqual(['p1', 'p2', 'p3']);
    expect(await members({ attr: 'level', op: 'neq', value: 7 })).toEqual(['p2', 'p3', 'p4']);
  });

  it('strings and booleans', async () => {
    expect(await members({ attr: 'code', op: 'eq', value: 'A1' })).toEqual(['p1']);
    expect(await members({ attr: 'code', op: 'startsWith', value: 'B' })).toEqual(['p2']);
    expect(await members({ attr: 'code', op: 'eq', value: '12' })).toEqual(['p3']);
    expect(await members({ attr: 'code', op: 'notIn', value: ['A1', 'B2'] })).toEqual(['p3', 'p4']);
    expect(await members({ attr: 'member', op: 'eq', value: true })).toEqual(['p1', 'p3']);
    expect(await members({ attr: 'member', op: 'eq', value: false })).toEqual(['p2']);
    expect(await members({ attr: 'member', op: 'notExists' })).toEqual(['p4']);
  });

  it('dates stored as ISO strings compare as dates: days in the workspace timezone, instants as instants', async () => {
    expect(await members({ attr: 'birthday', op: 'on', value: '1990-05-01' })).toEqual(['p1']);
    expect(await members({ attr: 'birthday', op: 'before', value: '1990-05-02' })).toEqual(['p1']);
    expect(await members({ attr: 'birthday', op: 'between', value: ['1990-05-01', '1990-05-02'] })).toEqual(['p1', 'p2']);
    expect(await members({ attr: 'birthday', op: 'after', value: '1990-04-30' })).toEqual(['p1', 'p2']);
    expect(await members({ attr: 'birthday', op: 'exists' })).toEqual(['p1', 'p2', 'p3']);
    // '2026-11-19' is the start of that day in Shanghai (11-18T16:00Z), not UTC midnight.
    expect(await members({ attr: 'joined', op: 'after', value: '2026-11-19T04:00:00+08:00' })).toEqual([]);
    expect(await members({ attr: 'joined', op: 'before', value: '2026-11-19T00:00:01+08:00' })).toEqual(['p1']);
    expect(await members({ attr: 'joined', op: 'on', value: 'T-3' })).toEqual(['p1']);
    // Instants with an offset: 11-19 00:30 +08:00 is on T-3; 11-18 23:30 +08:00 is before it.
    expect(await members({ attr: 'since', op: 'on', value: 'T-3' })).toEqual(['p1']);
    expect(await members({ attr: 'since', op: 'before', value: 'T-3' })).toEqual(['p2']);
    expect(await members({ attr: 'since', op: 'between', value: ['T-4', 'T-3'] })).toEqual(['p1', 'p2']);
    expect(await members({ attr: 'since', op: 'withinLastDays', value: 3 })).toEqual([]);
    expect(await members({ attr: 'since', op: 'withinLastDays', value: 4 })).toEqual(['p1', 'p2']);
  });

  it('attributes without a type keep per-value JSON typing', async () => {
    expect(await members({ attr: 'prefs', op: 'exists' })).toEqual(['p1']);
    expect(await members({ attr: 'nothing', op: 'eq', value: 5 })).toEqual([]);
    expect(await members({ attr: 'nothing', op: 'neq', value: 5 })).toEqual(users);
  });

  it('an operator or value that does not fit the type is a 400 naming the path', async () => {
    expect(await rejectedAt(ws, { all: [{ attr: 'score', op: 'exists' }, { attr: 'code', op: 'exists' }, { attr: 'score', op: 'contains', value: '1' }] })).toContain('definition.all[2].op');
    expect(await rejectedAt(ws, { attr: 'code', op: 'gt', value: 'A' })).toContain('definition.op');
    expect(await rejectedAt(ws, { attr: 'member', op: 'in', value: [true] })).toContain('definition.op');
    expect(await rejectedAt(ws, { attr: 'birthday', op: 'eq', value: '1990-05-01' })).toContain('definition.op');
    expect(await rejectedAt(ws, { attr: 'score', op: 'eq', value: '10' })).toContain('definition.value');
    expect(await rejectedAt(ws, { attr: 'code', op: 'in', value: ['A1', 1] })).toContain('definition.value[1]');
    expect(await rejectedAt(ws, { any: [{ attr: 'birthday', op: 'before', value: 'yesterday' }] })).toContain('definition.any[0].value');
    expect(await rejectedAt(ws, { attr: 'level', op: 'startsWith', value: '1' })).toContain('definition.op');
  });
});

describe('a string attribute that holds an object or an array', () => {
  let ws: Workspace;
  const users = ['q1', 'q2', 'q3', 'q4', 'q5'];
  const members = (definition: Definition) => membersIn(ws, users, definition);

  beforeAll(async () => {
    ws = await newWorkspace(h);
    // `code` is typed string by q1's value; the others hold an object, an array, a boolean, nothing.
    const r = await ws.api.post('/v1/users', { users: [
      { externalId: 'q1', attributes: { code: 'A1' } },
      { externalId: 'q2', attributes: { code: { a: 1 } } },
      { externalId: 'q3', attributes: { code: ['x'] } },
      { externalId: 'q4', attributes: { code: true } },
      { externalId: 'q5' },
    ] });
    expect(r.statusCode).toBe(200);
  });

  it('an object or array is no string: it never matches, as if missing', async () => {
    // Their JSON text ('{"a": 1}', '["x"]') must not be compared as if it were a string value.
    expect(await members({ attr: 'code', op: 'eq', value: '{"a": 1}' })).toEqual([]);
    expect(await members({ attr: 'code', op: 'in', value: ['["x"]', 'A1'] })).toEqual(['q1']);
    expect(await members({ attr: 'code', op: 'startsWith', value: '[' })).toEqual([]);
    expect(await members({ attr: 'code', op: 'contains', value: 'a' })).toEqual([]);
    expect(await members({ attr: 'code', op: 'neq', value: '{"a": 1}' })).toEqual(users);
    expect(await members({ attr: 'code', op: 'notIn', value: ['A1', '["x"]'] })).toEqual(['q2', 'q3', 'q4', 'q5']);
    // A boolean reads as its text.
    expect(await members({ attr: 'code', op: 'in', value: ['true'] })).toEqual(['q4']);
  });
});

describe('single-user evaluation reads types from a per-process cache', () => {
  it('sees a type declared through this process at its next evaluation', async () => {
    const ws = await newWorkspace(h);
    // `code` is inferred a number from r1's value; r2's "A1" is then no number.
    expect((await ws.api.post('/v1/users', { users: [{ externalId: 'r1', attributes: { code: 12 } }, { externalId: 'r2', attributes: { code: 'A1' } }] })).statusCode).toBe(200);
    const r2 = await customers.internalId(h.p.db, ws.id, 'r2');
    const def: Definition = { attr: 'code', op: 'in', value: ['A1'] };
    // Cached now: a string list does not fit a number attribute.
    await expect(segments.userInDefinition(h.p, ws.id, r2, def)).rejects.toMatchObject({ code: 'validation_failed' });
    expect((await ws.api.put('/v1/attributes/code', { type: 'string' })).statusCode).toBe(200);
    expect(await segments.userInDefinition(h.p, ws.id, r2, def)).toBe(true);
  });
});

describe('behaviour aggregates and first / last', () => {
  let ws: Workspace;
  const users = ['b1', 'b2', 'b3', 'b4'];
  const members = (definition: Definition) => membersIn(ws, users, definition);
  const paid = (externalId: string, at: string, amount: number, orderId: string) => ({ externalId, name: 'order_paid', timestamp: at, properties: { orderId, amount } });

  beforeAll(async () => {
    ws = await newWorkspace(h);
    await ws.api.post('/v1/users', { users: users.map((externalId) => ({ externalId })) });
    const r = await ws.api.post('/v1/events', { events: [
      paid('b1', ago(1 * D), 30000, 'o1'), // T-1 (2026-11-21 12:00 Shanghai)
      paid('b1', ago(10 * D), 20000, 'o2'), // T-10
      paid('b2', ago(2 * D), 5000, 'o3'), // T-2
      { externalId: 'b3', name: 'page_view', timestamp: ago(1 * H), properties: { url: '/' } },
      { externalId: 'b3', name: 'refund', timestamp: ago(1 * H), properties: { amount: 'a lot' } },
    ] });
    expect(r.statusCode).toBe(202);
  });

  it('sum over no events is 0', async () => {
    expect(await members({ event: 'order_paid', sum: { prop: 'amount', op: 'gte', value: 50000 } })).toEqual(['b1']);
    expect(await members({ event: 'order_paid', window: { lastDays: 7 }, sum: { prop: 'amount', op: 'gte', value: 50000 } })).toEqual([]);
    expect(await members({ event: 'order_paid', sum: { prop: 'amount', op: 'lt', value: 10000 } })).toEqual(['b2', 'b3', 'b4']);
    expect(await members({ event: 'order_paid', sum: { prop: 'amount', op: 'eq', value: 0 } })).toEqual(['b3', 'b4']);
    expect(await members({ event: 'order_paid', window: { from: 'T-1', to: 'T+0' }, sum: { prop: 'amount', op: 'eq', value: 30000 } })).toEqual(['b1']);
    expect(await members({ event: 'order_paid', where: [{ prop: 'amount', op: 'gte', value: 25000 }], sum: { prop: 'amount', op: 'between', value: [30000, 30000] } })).toEqual(['b1']);
  });

  it('avg, min and max over no events fail', async () => {
    expect(await members({ event: 'order_paid', avg: { prop: 'amount', op: 'gte', value: 20000 } })).toEqual(['b1']);
    expect(await members({ event: 'order_paid', avg: { prop: 'amount', op: 'lt', value: 10000 } })).toEqual(['b2']);
    expect(await members({ event: 'order_paid', avg: { prop: 'amount', op: 'neq', value: 0 } })).toEqual(['b1', 'b2']);
    expect(await members({ event: 'order_paid', min: { prop: 'amount', op: 'lte', value: 20000 } })).toEqual(['b1', 'b2']);
    expect(await members({ event: 'order_paid', max: { prop: 'amount', op: 'gt', value: 25000 } })).toEqual(['b1']);
    expect(await members({ event: 'order_paid', max: { prop: 'amount', op: 'lt', value: 1 } })).toEqual([]);
    // "Did not have an order above 10,000" includes those who never ordered: not over max.
    expect(await members({ not: { event: 'order_paid', max: { prop: 'amount', op: 'gt', value: 10000 } } })).toEqual(['b2', 'b3', 'b4']);
  });

  it('first / last: the time of the first or last matching event; never did it fails', async () => {
    expect(await members({ event: 'order_paid', last: { op: 'before', value: 'T-7' } })).toEqual([]);
    expect(await members({ event: 'order_paid', last: { op: 'before', value: 'T-1' } })).toEqual(['b2']);
    expect(await members({ event: 'order_paid', last: { op: 'after', value: 'T-2' } })).toEqual(['b1']);
    expect(await members({ event: 'order_paid', first: { op: 'on', value: 'T-10' } })).toEqual(['b1']);
    expect(await members({ event: 'order_paid', first: { op: 'between', value: ['T-10', 'T-2'] } })).toEqual(['b1', 'b2']);
    // Exactly 24 h ago is inside the last 1×24 hours.
    expect(await members({ event: 'order_paid', last: { op: 'withinLastDays', value: 1 } })).toEqual(['b1']);
    expect(await members({ event: 'order_paid', window: { lastDays: 5 }, first: { op: 'on', value: 'T-1' } })).toEqual(['b1']);
    expect(await members({ not: { event: 'order_paid', last: { op: 'after', value: 'T-2' } } })).toEqual(['b2', 'b3', 'b4']);
  });

  it('an aggregate that does not fit is a 400 naming the path', async () => {
    expect(await rejectedAt(ws, { event: 'page_view', sum: { prop: 'url', op: 'gt', value: 1 } })).toContain('definition.sum.prop');
    expect(await rejectedAt(ws, { event: 'order_paid', where: [{ prop: 'amount', op: 'contains', value: '1' }] })).toContain('definition.where[0].op');
    expect(await rejectedAt(ws, { event: 'order_paid', count: { op: 'gte', value: 1 }, sum: { prop: 'amount', op: 'gt', value: 1 } })).toContain('definition.sum');
    expect(await rejectedAt(ws, { event: 'order_paid', last: { op: 'gt', value: 'T-1' } })).toContain('definition.last.op');
    expect(await rejectedAt(ws, { event: 'order_paid', avg: { prop: 'amount', op: 'between', value: [1] } })).toContain('definition.avg.value');
    expect(await rejectedAt(ws, { event: 'order_paid', first: { op: 'before', value: 'soon' } })).toContain('definition.first.value');
  });
});

describe('sequences', () => {
  let ws: Workspace;
  const users = ['q0', 'q1', 'q2', 'q3', 'q4', 'q5', 'q6', 'q7', 'q8'];
  const members = (definition: Definition) => membersIn(ws, users, definition);
  let n = 0;
  const ev = (externalId: string, name: string, at: string, properties: Record<string, unknown> = {}) => ({
    externalId, name, timestamp: at, properties: name === 'order_paid' ? { orderId: `o${++n}`, amount: 100, ...properties } : properties,
  });
  const cartThenPaid = [{ event: 'add_to_cart' }, { event: 'order_paid' }];

  beforeAll(async () => {
    ws = await newWorkspace(h);
    await ws.api.post('/v1/users', { users: users.map((externalId) => ({ externalId })) });
    const r = await ws.api.post('/v1/events', { events: [
      ev('q1', 'add_to_cart', ago(10 * H)), ev('q1', 'order_paid', ago(8 * H)),
      // The same instant is not "in that order".
      ev('q2', 'add_to_cart', ago(5 * H)), ev('q2', 'order_paid', ago(5 * H)),
      // Exactly 24 h apart; the cart is outside a 1-day window.
      ev('q3', 'add_to_cart', ago(30 * H)), ev('q3', 'order_paid', ago(6 * H)),
      ev('q4', 'order_paid', ago(20 * H)), ev('q4', 'add_to_cart', ago(10 * H)),
      // The earliest cart is too early for the gap; the later one works.
      ev('q5', 'add_to_cart', ago(40 * H)), ev('q5', 'add_to_cart', ago(9 * H)), ev('q5', 'order_paid', ago(8 * H)),
      ev('q6', 'add_to_cart', ago(3 * H), { sku: 'x' }), ev('q6', 'order_paid', ago(2 * H)),
      ev('q7', 'page_view', ago(12 * H)), ev('q7', 'add_to_cart', ago(11 * H)), ev('q7', 'order_paid', ago(10 * H)),
      // 24 h and one minute apart.
      ev('q8', 'add_to_cart', ago(30 * H + 60_000)), ev('q8', 'order_paid', ago(6 * H)),
    ] });
    expect(r.statusCode).toBe(202);
  });

  it('steps in strictly increasing time; equal timestamps are not ordered', async () => {
    expect(await members({ sequence: cartThenPaid })).toEqual(['q1', 'q3', 'q5', 'q6', 'q7', 'q8']);
    expect(await members({ sequence: [{ event: 'page_view' }, { event: 'add_to_cart' }, { event: 'order_paid' }] })).toEqual(['q7']);
    expect(await members({ sequence: [{ event: 'add_to_cart', where: [{ prop: 'sku', op: 'eq', value: 'x' }] }, { event: 'order_paid' }] })).toEqual(['q6']);
  });

  it('maxGapHours: a gap of exactly the limit counts; every candidate step is tried', async () => {
    expect(await members({ sequence: cartThenPaid, maxGapHours: 24 })).toEqual(['q1', 'q3', 'q5', 'q6', 'q7']);
    expect(await members({ sequence: cartThenPaid, maxGapHours: 2 })).toEqual(['q1', 'q5', 'q6', 'q7']);
    expect(await members({ sequence: cartThenPaid, maxGapHours: 1.5 })).toEqual(['q5', 'q6', 'q7']);
    expect(await members({ sequence: [{ event: 'page_view' }, { event: 'add_to_cart' }, { event: 'order_paid' }], maxGapHours: 1 })).toEqual(['q7']);
  });

  it('a step outside the window breaks the sequence', async () => {
    expect(await members({ sequence: cartThenPaid, window: { lastDays: 1 }, maxGapHours: 24 })).toEqual(['q1', 'q5', 'q6', 'q7']);
    expect(await members({ sequence: cartThenPaid, window: { lastDays: 1 } })).toEqual(['q1', 'q5', 'q6', 'q7']);
    expect(await members({ sequence: cartThenPaid, window: { lastDays: 2 }, maxGapHours: 24 })).toEqual(['q1', 'q3', 'q5', 'q6', 'q7']);
    expect(await members({ sequence: cartThenPaid, window: { since: ago(9 * H) } })).toEqual(['q5', 'q6']);
  });

  it('negated: added to cart and did not pay after', async () => {
    expect(await members({ all: [
      { event: 'add_to_cart', window: { lastDays: 2 } },
      { not: { sequence: cartThenPaid, window: { lastDays: 2 } } },
    ] })).toEqual(['q2', 'q4']);
    expect(await members({ not: { sequence: cartThenPaid } })).toEqual(['q0', 'q2', 'q4']);
  });
});
