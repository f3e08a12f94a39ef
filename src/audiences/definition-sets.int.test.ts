import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, newWorkspace, type Harness } from '../../test/support/harness.ts';
import * as customers from '../customers/customers.service.ts';
import * as segments from './segments.service.ts';
import type { Definition } from './definition.schema.ts';
import { clearSetCache } from './set-operations.service.ts';
import { mulberry32 } from '../demo/random.ts';

/**
 * The set-based compiler (`u.id [not] in (select user_id … group by user_id having …)`)
 * against an oracle written in plain TypeScript over the same generated events: every count
 * operator at and around zero (users who never did it included or not), sum conditions that
 * hold at 0, avg/min/max/first/last of users without a numeric value, sequences with and
 * without a gap, and all of these under `any` and `not` (where PostgreSQL plans them as
 * subplans, not joins). Each definition is checked batch (saved segment) AND user by user.
 */
const NOW = '2026-11-22T04:00:00Z';
const nowMs = new Date(NOW).getTime();
const H = 3_600_000;
const D = 24 * H;

interface Ev { user: string; name: string; ts: number; amount?: number | string }

let h: Harness;
let ws: Awaited<ReturnType<typeof newWorkspace>>;
const users = Array.from({ length: 40 }, (_, i) => `s${String(i).padStart(2, '0')}`);
const events: Ev[] = [];

const rng = mulberry32; // deterministic, so a failure can be replayed

beforeAll(async () => {
  h = await createHarness();
  h.clock.set(NOW);
  ws = await newWorkspace(h);
  const r = rng(20261122);
  for (const [i, u] of users.entries()) {
    if (i % 7 === 0) continue; // some users never do anything
    const n = Math.floor(r() * 6);
    for (let k = 0; k < n; k++) {
      const name = ['purchase', 'add_to_cart', 'page_view'][Math.floor(r() * 3)]!;
      const ts = nowMs - Math.floor(r() * 20 * D);
      // Some orders carry no number (a string that is not numeric, or nothing): skipped by aggregates.
      const x = r();
      const amount = name === 'purchase' ? (x < 0.15 ? 'n/a' : x < 0.25 ? undefined : Math.floor(r() * 400) - 50) : undefined;
      events.push({ user: u, name, ts, amount });
    }
  }
  expect((await ws.api.post('/v1/users', { users: users.map((externalId) => ({ externalId })) })).statusCode).toBeLessThan(300);
  const body = events.map((e, i) => ({ externalId: e.user, name: e.name, timestamp: new Date(e.ts).toISOString(), messageId: `m${i}`, properties: e.amount === undefined ? {} : { amount: e.amount } }));
  expect((await ws.api.post('/v1/events', { events: body })).statusCode).toBe(202);
});
afterAll(async () => { await h.close(); });

/** Members by the service: saved segment (batch) and userInDefinition (single user) must agree. */
async function members(definition: Definition): Promise<string[]> {
  const seg = await ws.api.post('/v1/segments', { name: 'x', definition, refresh: 'manual' });
  if (seg.statusCode !== 201) throw new Error(seg.body);
  await h.drain();
  const list = ((await ws.api.get(`/v1/segments/${seg.json().id}/members?limit=1000`)).json().items as string[]).sort();
  for (const u of users) {
    const uid = await customers.internalId(h.p.db, ws.id, u);
    expect(await segments.userInDefinition(h.p, ws.id, uid, definition), `single-user ${u}: ${JSON.stringify(definition)}`).toBe(list.includes(u));
  }
  return list;
}

const cmp = (op: string, a: number, b: number) => ({ eq: a === b, neq: a !== b, gt: a > b, gte: a >= b, lt: a < b, lte: a <= b })[op]!;
const of = (u: string, name: string, lastDays?: number) =>
  events.filter((e) => e.user === u && e.name === name && (lastDays === undefined || (e.ts >= nowMs - lastDays * D && e.ts <= nowMs)));
const nums = (es: Ev[]) => es.map((e) => e.amount).filter((a): a is number => typeof a === 'number');
const expected = (pred: (u: string) => boolean) => users.filter(pred).sort();

describe('set-based behaviour conditions match an oracle on random data', () => {
  it('every count operator around zero, with and without a window', async () => {
    for (const op of ['eq', 'neq', 'gt', 'gte', 'lt', 'lte'] as const) {
      for (const value of [0, 1, 2]) {
        for (const lastDays of [undefined, 7]) {
          const def: Definition = { event: 'purchase', count: { op, value }, ...(lastDays ? { window: { lastDays } } : {}) };
          expect(await members(def), JSON.stringify(def)).toEqual(expected((u) => cmp(op, of(u, 'purchase', lastDays).length, value)));
        }
      }
    }
  }, 300_000); // 36 segments, each also asked user by user

  it('sum holds at zero for users without events; avg/min/max need a number', async () => {
    const sum = (u: string) => nums(of(u, 'purchase')).reduce((a, b) => a + b, 0);
    for (const [op, value] of [['lte', 100], ['gte', 200], ['eq', 0], ['neq', 0], ['lt', 0]] as const) {
      expect(await members({ event: 'purchase', sum: { prop: 'amount', op, value } }), `sum ${op} ${value}`).toEqual(expected((u) => cmp(op, sum(u), value)));
    }
    expect(await members({ event: 'purchase', sum: { prop: 'amount', op: 'between', value: [-10, 150] } })).toEqual(expected((u) => sum(u) >= -10 && sum(u) <= 150));
    const agg = { avg: (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length, min: (xs: number[]) => Math.min(...xs), max: (xs: number[]) => Math.max(...xs) };
    for (const k of ['avg', 'min', 'max'] as const) {
      expect(await members({ event: 'purchase', [k]: { prop: 'amount', op: 'lte', value: 120 } } as Definition), k)
        .toEqual(expected((u) => nums(of(u, 'purchase')).length > 0 && agg[k](nums(of(u, 'purchase'))) <= 120));
    }
  });

  it('first / last fail for users who never did it, also under not', async () => {
    const last = (u: string) => Math.max(...of(u, 'page_view').map((e) => e.ts));
    const within = (u: string) => of(u, 'page_view').length > 0 && last(u) >= nowMs - 5 * D;
    expect(await members({ event: 'page_view', last: { op: 'withinLastDays', value: 5 } })).toEqual(expected(within));
    expect(await members({ not: { event: 'page_view', last: { op: 'withinLastDays', value: 5 } } })).toEqual(expected((u) => !within(u)));
  });

  it('sequences with and without a gap, alone and under any / not', async () => {
    const seq = (u: string, gap?: number) => of(u, 'add_to_cart').some((a) => of(u, 'purchase').some((p) => p.ts > a.ts && (gap === undefined || p.ts - a.ts <= gap * H)));
    const steps = [{ event: 'add_to_cart' }, { event: 'purchase' }];
    expect(await members({ sequence: steps })).toEqual(expected((u) => seq(u)));
    expect(await members({ sequence: steps, maxGapHours: 72 })).toEqual(expected((u) => seq(u, 72)));
    expect(await members({ not: { sequence: steps, maxGapHours: 72 } })).toEqual(expected((u) => !seq(u, 72)));
    const three = (u: string) => of(u, 'page_view').some((v) => of(u, 'add_to_cart').some((a) => a.ts > v.ts && of(u, 'purchase').some((p) => p.ts > a.ts)));
    expect(await members({ sequence: [{ event: 'page_view' }, ...steps] })).toEqual(expected(three));
  });

  it('combinations: any of a count that holds at zero and a did-not, and not of both', async () => {
    const n = (u: string, name: string, d?: number) => of(u, name, d).length;
    const a = (u: string) => n(u, 'purchase') < 2 || n(u, 'page_view', 7) === 0;
    const def: Definition = { any: [{ event: 'purchase', count: { op: 'lt', value: 2 } }, { event: 'page_view', window: { lastDays: 7 }, count: { op: 'eq', value: 0 } }] };
    expect(await members(def)).toEqual(expected(a));
    expect(await members({ not: def })).toEqual(expected((u) => !a(u)));
    expect(await members({ all: [{ event: 'add_to_cart' }, { not: { event: 'purchase', count: { op: 'gte', value: 2 } } }] }))
      .toEqual(expected((u) => n(u, 'add_to_cart') >= 1 && !(n(u, 'purchase') >= 2)));
  });

  it('set operations of saved segments: the in-memory preview equals the compiled computation', async () => {
    const save = async (definition: Definition) => {
      const r = await ws.api.post('/v1/segments', { name: 's', definition, refresh: 'manual' });
      expect(r.statusCode, r.body).toBe(201);
      return r.json().id as string;
    };
    const a = await save({ event: 'purchase' });
    const b = await save({ event: 'page_view' });
    // A list snapshot has no stored set until a set operation needs it (built lazily).
    const listed = users.filter((_, i) => i % 3 === 0);
    const l = (await ws.api.post('/v1/segments/list', { name: 'l', externalIds: listed })).json().id as string;
    await h.drain();
    const did = (u: string, name: string) => of(u, name).length > 0;
    const cases: [Definition, (u: string) => boolean][] = [
      [{ any: [{ segment: a }, { segment: b }] }, (u) => did(u, 'purchase') || did(u, 'page_view')],
      [{ all: [{ segment: a }, { segment: b }] }, (u) => did(u, 'purchase') && did(u, 'page_view')],
      [{ all: [{ segment: a }, { not: { segment: b } }] }, (u) => did(u, 'purchase') && !did(u, 'page_view')],
      [{ all: [{ any: [{ segment: a }, { segment: l }] }, { not: { segment: b } }] }, (u) => (did(u, 'purchase') || listed.includes(u)) && !did(u, 'page_view')],
      // A complement: answered by the compiled SQL, same result.
      [{ not: { segment: a } }, (u) => !did(u, 'purchase')],
    ];
    const stored = await h.p.db.selectFrom('segmentSnapshotSets').select(['bitmapWords']).where('workspaceId', '=', ws.id).execute();
    expect(stored.length).toBeGreaterThan(0);
    expect(stored.every((x) => x.bitmapWords !== null && x.bitmapWords.length % 4 === 0)).toBe(true);
    for (const [definition, oracle] of cases) {
      const want = expected(oracle);
      clearSetCache(); // each case read from the stored bitmaps, not from the previous case's cache
      const r = (await ws.api.post('/v1/segments/preview', { definition })).json();
      expect(r.count, JSON.stringify(definition)).toBe(want.length);
      expect(r.sample).toEqual(want.slice(0, 20)); // externalIds sort like their ids here
      expect(await members(definition)).toEqual(want);
    }
  });
});
