import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManualClock } from '../clock.ts';
import { AppError } from '../errors.ts';
import { counterKey, counterPrefix, type CounterKey } from './counters.keys.ts';
import type { Counters, TakeResult } from './counters.port.ts';
import { dayWindow, lastDaysWindow, rollingWindow } from './counters.windows.ts';

/**
 * The one contract every Counters adapter passes (DESIGN.md "Hot counters": neither may ever
 * oversell). Each adapter's test file calls `countersContract` with a setup that gives two
 * independent instances on one store — as two processes would have — and the manual clock
 * both read. Every test makes its own workspace id, so nothing is shared or truncated.
 */
export interface CountersFixture {
  counters: Counters;
  /** A second instance on the same store (its own pool or connection). */
  peer: Counters;
  clock: ManualClock;
  close(): Promise<void>;
}

const SHANGHAI = 'Asia/Shanghai';

/** `skipReason` set: the suite is listed as skipped, with the reason in its title. */
export function countersContract(name: string, setup: () => Promise<CountersFixture>, skipReason?: string): void {
  describe.skipIf(skipReason !== undefined)(`Counters contract: ${name}${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
    let f: CountersFixture;
    beforeAll(async () => {
      f = await setup();
    });
    afterAll(async () => {
      await f?.close();
    });

    const ws = (): string => `ws_${randomBytes(6).toString('hex')}`;
    /** Keys of one scope (one hash tag) in a fresh workspace. */
    const scope = (s = 'tpl:cpt_1') => {
      const w = ws();
      return (n: string): CounterKey => counterKey(w, s, n);
    };
    const oks = (rs: TakeResult[]): number => rs.filter((r) => r.ok).length;

    it('takes up to the limit and then refuses, saying what is left', async () => {
      const k = scope()('stock');
      const c = f.counters;
      expect(await c.take(k, { limit: 3 })).toEqual({ ok: true, remaining: 2 });
      expect(await c.take(k, { limit: 3 })).toEqual({ ok: true, remaining: 1 });
      expect(await c.take(k, { limit: 3 })).toEqual({ ok: true, remaining: 0 });
      expect(await c.take(k, { limit: 3 })).toEqual({ ok: false, remaining: 0 });
      expect(await c.get(k)).toBe(3);
      expect(await f.peer.get(k)).toBe(3);
    });

    it('takes amounts above one, all or nothing, and never stores a take bigger than the limit', async () => {
      const key = scope();
      const c = f.counters;
      expect(await c.take(key('budget'), { limit: 10, amount: 4 })).toEqual({ ok: true, remaining: 6 });
      expect(await c.take(key('budget'), { limit: 10, amount: 7 })).toEqual({ ok: false, remaining: 6 });
      expect(await c.take(key('budget'), { limit: 10, amount: 6 })).toEqual({ ok: true, remaining: 0 });
      expect(await c.get(key('budget'))).toBe(10);
      expect(await c.take(key('fresh'), { limit: 5, amount: 6 })).toEqual({ ok: false, remaining: 5 });
      expect(await c.get(key('fresh'))).toBe(0);
      expect(await c.take(key('zero'), { limit: 0 })).toEqual({ ok: false, remaining: 0 });
    });

    it('sees a raised limit on the next take (stock added while takes run) and a lowered one as nothing left', async () => {
      const k = scope()('stock');
      await f.counters.take(k, { limit: 2, amount: 2 });
      expect(await f.counters.take(k, { limit: 2 })).toEqual({ ok: false, remaining: 0 });
      expect(await f.counters.take(k, { limit: 5 })).toEqual({ ok: true, remaining: 2 });
      expect(await f.counters.take(k, { limit: 1 })).toEqual({ ok: false, remaining: 0 });
    });

    it('keeps exact integers up to 2^53 − 1 (budgets in minor units)', async () => {
      const k = scope('cmp:c1')('budget');
      const limit = Number.MAX_SAFE_INTEGER;
      expect(await f.counters.take(k, { limit, amount: 1_234_567_890_123_456 })).toEqual({ ok: true, remaining: limit - 1_234_567_890_123_456 });
      expect(await f.counters.take(k, { limit, amount: 3 })).toEqual({ ok: true, remaining: limit - 1_234_567_890_123_459 });
      expect(await f.counters.get(k)).toBe(1_234_567_890_123_459);
      // takeMany calls made at once go in one combined step: the same exact arithmetic.
      const rs = await Promise.all([5, 7, limit].map((amount) => f.counters.takeMany([{ key: k, limit, amount }])));
      expect(rs).toEqual([
        { ok: true, remaining: [limit - 1_234_567_890_123_464] },
        { ok: true, remaining: [limit - 1_234_567_890_123_471] },
        { ok: false, failedIndex: 0, remaining: [limit - 1_234_567_890_123_471] },
      ]);
      expect(await f.counters.get(k)).toBe(1_234_567_890_123_471);
    });

    it('200 concurrent takes at the last unit of stock, from two instances: exactly one wins', async () => {
      const k = scope()('stock');
      await f.counters.set(k, 999);
      const rs = await Promise.all(Array.from({ length: 200 }, (_, i) => (i % 2 ? f.peer : f.counters).take(k, { limit: 1000 })));
      expect(oks(rs)).toBe(1);
      expect(rs.filter((r) => !r.ok).every((r) => r.remaining === 0)).toBe(true);
      expect(await f.counters.get(k)).toBe(1000);
    });

    it('concurrent takes by one user against a per-user limit, amounts 1 and 2', async () => {
      const key = scope();
      const ones = await Promise.all(Array.from({ length: 60 }, (_, i) => (i % 2 ? f.peer : f.counters).take(key('user:42'), { limit: 3 })));
      expect(oks(ones)).toBe(3);
      expect(await f.counters.get(key('user:42'))).toBe(3);
      const twos = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? f.peer : f.counters).take(key('user:43'), { limit: 5, amount: 2 })));
      expect(oks(twos)).toBe(2);
      expect(await f.counters.get(key('user:43'))).toBe(4);
    });

    it('takeMany: stock AND per-user limit AND budget in one step; one overflow takes nothing from any', async () => {
      const key = scope('cmp:c1');
      const grant = (user: string, face: number) => [
        { key: key('tpl:a:stock'), limit: 100 },
        { key: key(`tpl:a:user:${user}`), limit: 1 },
        { key: key('budget'), limit: 500, amount: face },
      ];
      expect(await f.counters.takeMany(grant('u1', 200))).toEqual({ ok: true, remaining: [99, 0, 300] });
      // The per-user limit is full: neither stock nor budget moves.
      expect(await f.counters.takeMany(grant('u1', 200))).toEqual({ ok: false, failedIndex: 1, remaining: [99, 0, 300] });
      // The budget would overflow: neither stock nor u2's limit moves.
      expect(await f.counters.takeMany(grant('u2', 301))).toEqual({ ok: false, failedIndex: 2, remaining: [99, 1, 300] });
      expect(await f.counters.get(key('tpl:a:stock'))).toBe(1);
      expect(await f.counters.get(key('tpl:a:user:u2'))).toBe(0);
      expect(await f.counters.get(key('budget'))).toBe(200);
      expect(await f.counters.takeMany(grant('u2', 300))).toEqual({ ok: true, remaining: [98, 0, 0] });
    });

    it('takeMany applies items in order: two items on one key add up', async () => {
      const k = scope()('stock');
      expect(await f.counters.takeMany([{ key: k, limit: 5, amount: 3 }, { key: k, limit: 5, amount: 3 }])).toEqual({ ok: false, failedIndex: 1, remaining: [5, 5] });
      expect(await f.counters.get(k)).toBe(0);
      expect(await f.counters.takeMany([{ key: k, limit: 5, amount: 2 }, { key: k, limit: 5, amount: 3 }])).toEqual({ ok: true, remaining: [0, 0] });
    });

    it('concurrent takeMany grants: stock of 7 among 40 users, budget for exactly 7', async () => {
      const key = scope('cmp:c2');
      const rs = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? f.peer : f.counters).takeMany([
        { key: key('stock'), limit: 7 },
        { key: key(`user:${i % 20}`), limit: 1 },
        { key: key('budget'), limit: 700, amount: 100 },
      ])));
      const won = rs.filter((r) => r.ok).length;
      expect(won).toBe(7);
      expect(await f.counters.get(key('stock'))).toBe(7);
      expect(await f.counters.get(key('budget'))).toBe(700);
      let perUser = 0;
      for (let u = 0; u < 20; u++) {
        const used = await f.counters.get(key(`user:${u}`));
        expect(used).toBeLessThanOrEqual(1);
        perUser += used;
      }
      expect(perUser).toBe(7);
    });

    it('takeMany calls made at once (combined into one step by the adapter) each keep their own all-or-nothing outcome, in order', async () => {
      const key = scope('cmp:c9');
      const day = dayWindow(f.clock.now(), SHANGHAI);
      const rs = await Promise.all([
        [{ key: key('stock'), limit: 3 }, { key: key('uday:1'), limit: 1, window: day }],
        [{ key: key('uday:2'), limit: 1, window: day }, { key: key('stock'), limit: 3, amount: 5 }], // refused at its second item: uday:2 untouched
        [{ key: key('uday:1'), limit: 1, window: day }, { key: key('stock'), limit: 3 }], // refused: the first call took uday:1
        [{ key: key('stock'), limit: 3, amount: 2 }, { key: key('uday:2'), limit: 1, window: day }],
        [{ key: key('stock'), limit: 3 }], // refused: the stock is gone
        [{ key: key('mixed'), limit: 5, window: rollingWindow(1000) }, { key: key('stock'), limit: 3 }], // refused: its window is not kept
        [{ key: key('mixed'), limit: 5 }], // no window: counts forever
        [{ key: key('pair'), limit: 9, amount: 2 }, { key: key('pair'), limit: 9, amount: 3 }, { key: key('stock'), limit: 3 }], // refused: both writes to pair undone
        [{ key: key('pair'), limit: 9 }],
      ].map((items) => f.counters.takeMany(items)));
      expect(rs).toEqual([
        { ok: true, remaining: [2, 0] },
        { ok: false, failedIndex: 1, remaining: [1, 2] },
        { ok: false, failedIndex: 0, remaining: [0, 2] },
        { ok: true, remaining: [0, 0] },
        { ok: false, failedIndex: 0, remaining: [0] },
        { ok: false, failedIndex: 1, remaining: [5, 0] },
        { ok: true, remaining: [4] },
        { ok: false, failedIndex: 2, remaining: [9, 9, 0] },
        { ok: true, remaining: [8] },
      ]);
      expect([await f.counters.get(key('stock')), await f.counters.get(key('uday:1'), { window: day }), await f.counters.get(key('uday:2'), { window: day })]).toEqual([3, 1, 1]);
      f.clock.advance(1000);
      expect(await f.counters.get(key('mixed'))).toBe(1);
      // uday:2 was first touched by the refused call; the call that took it gave it the day's expiry.
      f.clock.set(new Date(Math.max(day.expiresAt.getTime(), f.clock.now().getTime())));
      expect(await f.counters.get(key('uday:2'), { window: day })).toBe(0);
      expect(await f.counters.get(key('stock'))).toBe(3);
    });

    it('takeEach: independent groups in order; a refused group takes nothing, the others still take', async () => {
      const w = ws();
      const k = (s: string, n: string): CounterKey => counterKey(w, s, n);
      const rs = await f.counters.takeEach([
        [{ key: k('user:1', 'cap'), limit: 1 }, { key: k('user:1', 'all'), limit: 5 }],
        [{ key: k('user:2', 'cap'), limit: 1 }, { key: k('user:2', 'all'), limit: 0 }], // refused: takes nothing
        [{ key: k('user:1', 'cap'), limit: 1 }], // sees the first group's take
        [{ key: k('user:3', 'cap'), limit: 2, amount: 2 }],
      ]);
      expect(rs).toEqual([
        { ok: true, remaining: [0, 4] },
        { ok: false, failedIndex: 1, remaining: [1, 0] },
        { ok: false, failedIndex: 0, remaining: [0] },
        { ok: true, remaining: [0] },
      ]);
      expect([await f.counters.get(k('user:1', 'cap')), await f.counters.get(k('user:1', 'all')), await f.counters.get(k('user:2', 'cap')), await f.counters.get(k('user:3', 'cap'))]).toEqual([1, 1, 0, 2]);
    });

    it('takeEach: a group far down a long batch sees the first one; windows expire and start afresh inside a batch', async () => {
      const w = ws();
      const k = (s: string, n: string): CounterKey => counterKey(w, s, n);
      // 600 groups (more than one script call on Redis): the last takes the bucket the first took.
      const groups = Array.from({ length: 600 }, (_, i) => [{ key: k(`user:${i === 599 ? 0 : i}`, 'cap'), limit: 1 }]);
      const rs = await f.counters.takeEach(groups);
      expect(rs.filter((r) => r.ok)).toHaveLength(599);
      expect(rs[599]).toEqual({ ok: false, failedIndex: 0, remaining: [0] });
      // A rolling bucket past its end counts from zero again and gets a new end; a sliding
      // window sums its days, and a day bucket outside it no longer counts.
      const rate = k('ip:1', 'rate');
      expect(await f.counters.takeEach([[{ key: rate, limit: 1, window: rollingWindow(1000) }]])).toEqual([{ ok: true, remaining: [0] }]);
      f.clock.advance(1500);
      expect(await f.counters.takeEach([[{ key: rate, limit: 1, window: rollingWindow(1000) }], [{ key: rate, limit: 1, window: rollingWindow(1000) }]]))
        .toEqual([{ ok: true, remaining: [0] }, { ok: false, failedIndex: 0, remaining: [0] }]);
      f.clock.advance(999);
      expect(await f.counters.get(rate)).toBe(1);
      f.clock.advance(2);
      expect(await f.counters.get(rate)).toBe(0);
      const cap = k('user:9', 'cap:all');
      const three = () => lastDaysWindow(f.clock.now(), SHANGHAI, 3);
      expect((await f.counters.takeEach([[{ key: cap, limit: 2, window: three() }], [{ key: cap, limit: 2, window: three() }], [{ key: cap, limit: 2, window: three() }]])).map((r) => r.ok)).toEqual([true, true, false]);
      f.clock.advance(3 * 86_400_000);
      expect(await f.counters.takeEach([[{ key: cap, limit: 2, window: three() }]])).toEqual([{ ok: true, remaining: [1] }]);
    });

    it('concurrent takeEach batches over one shared cap never pass it (two instances)', async () => {
      const w = ws();
      const k = (s: string, n: string): CounterKey => counterKey(w, s, n);
      // 8 batches of 25 recipients; every recipient also takes the shared "all" bucket limited to 30.
      const batches = Array.from({ length: 8 }, (_, b) => Array.from({ length: 25 }, (_, i) => [
        { key: k('user:x', 'all'), limit: 30 }, { key: k(`user:x`, `u${b}-${i}`), limit: 1 },
      ]));
      const rs = await Promise.all(batches.map((g, i) => (i % 2 ? f.peer : f.counters).takeEach(g)));
      expect(rs.flat().filter((r) => r.ok)).toHaveLength(30);
      expect(await f.counters.get(k('user:x', 'all'))).toBe(30);
    });

    it('concurrent takeMany over the same keys listed in opposite orders never deadlocks', async () => {
      const key = scope();
      const a = key('a');
      const b = key('b');
      const rs = await Promise.all(Array.from({ length: 60 }, (_, i) => (i % 2 ? f.peer : f.counters).takeMany(i % 3 ? [{ key: a, limit: 1000 }, { key: b, limit: 1000 }] : [{ key: b, limit: 1000 }, { key: a, limit: 1000 }])));
      expect(rs.filter((r) => r.ok).length).toBe(60);
      expect(await f.counters.get(a)).toBe(60);
      expect(await f.counters.get(b)).toBe(60);
    });

    it('takeMany refuses keys of different hash tags (they could not be atomic on Redis Cluster)', async () => {
      const w = ws();
      await expect(f.counters.takeMany([{ key: counterKey(w, 'tpl:a', 'stock'), limit: 1 }, { key: counterKey(w, 'tpl:b', 'stock'), limit: 1 }])).rejects.toMatchObject({ code: 'internal_error' });
      await expect(f.counters.takeMany([])).rejects.toMatchObject({ code: 'validation_failed' });
    });

    it('give returns units and never makes used negative', async () => {
      const key = scope();
      await f.counters.take(key('stock'), { limit: 10, amount: 2 });
      expect(await f.counters.give(key('stock'), 5)).toEqual({ used: 0, returned: 2 });
      expect(await f.counters.get(key('stock'))).toBe(0);
      expect(await f.counters.give(key('never'), 3)).toEqual({ used: 0, returned: 0 });
      expect(await f.counters.take(key('stock'), { limit: 10, amount: 10 })).toEqual({ ok: true, remaining: 0 });
      expect(await f.counters.give(key('stock'), 4)).toEqual({ used: 6, returned: 4 });
      expect(await f.counters.take(key('stock'), { limit: 10, amount: 4 })).toEqual({ ok: true, remaining: 0 });
    });

    it('concurrent gives and takes keep used within [0, limit]', async () => {
      const k = scope()('stock');
      await f.counters.set(k, 5);
      const ops = Array.from({ length: 80 }, (_, i) => (i % 2 ? f.peer : f.counters)).map((c, i) => (i % 4 === 0 ? c.give(k, 1) : c.take(k, { limit: 10 })));
      const rs = await Promise.all(ops);
      const taken = rs.filter((r, i) => i % 4 !== 0 && (r as TakeResult).ok).length;
      const returned = rs.filter((_, i) => i % 4 === 0).reduce((s, r) => s + (r as { returned: number }).returned, 0);
      const used = await f.counters.get(k);
      expect(used).toBe(5 + taken - returned);
      expect(used).toBeGreaterThanOrEqual(0);
      expect(used).toBeLessThanOrEqual(10);
    });

    it('per-user-per-day limit follows the workspace day: Asia/Shanghai midnight is 16:00Z', async () => {
      const k = scope()('user:7:daily');
      const take = () => f.counters.take(k, { limit: 2, window: dayWindow(f.clock.now(), SHANGHAI) });
      f.clock.set('2026-11-22T15:59:58Z'); // 23:59:58 in Shanghai
      expect(await take()).toEqual({ ok: true, remaining: 1 });
      expect(await take()).toEqual({ ok: true, remaining: 0 });
      f.clock.set('2026-11-22T15:59:59.999Z');
      expect(await take()).toEqual({ ok: false, remaining: 0 });
      expect(await f.counters.get(k, { window: dayWindow(f.clock.now(), SHANGHAI) })).toBe(2);
      f.clock.set('2026-11-22T16:00:00Z'); // 00:00 on the 23rd in Shanghai, still the 22nd in UTC
      expect(await take()).toEqual({ ok: true, remaining: 1 });
      f.clock.set('2026-11-23T00:00:00Z'); // UTC midnight is 08:00 in Shanghai: the same local day
      expect(await take()).toEqual({ ok: true, remaining: 0 });
      expect(await take()).toEqual({ ok: false, remaining: 0 });
      // The 22nd's bucket ended with its day.
      expect(await f.counters.get(k, { window: dayWindow(new Date('2026-11-22T12:00:00Z'), SHANGHAI) })).toBe(0);
    });

    it('frequency cap over 3 days, one bucket per local day, across the Shanghai midnight', async () => {
      const k = scope('user:9')('cap:sms');
      const take = () => f.counters.take(k, { limit: 2, window: lastDaysWindow(f.clock.now(), SHANGHAI, 3) });
      f.clock.set('2026-11-20T15:00:00Z'); // 23:00 on the 20th, Shanghai
      expect(await take()).toEqual({ ok: true, remaining: 1 });
      f.clock.set('2026-11-20T16:30:00Z'); // 00:30 on the 21st
      expect(await take()).toEqual({ ok: true, remaining: 0 });
      expect(await take()).toEqual({ ok: false, remaining: 0 });
      f.clock.set('2026-11-22T15:59:59Z'); // last second of the 22nd: the window is 20th–22nd
      expect(await take()).toEqual({ ok: false, remaining: 0 });
      f.clock.set('2026-11-22T16:00:00Z'); // the 23rd: the 20th's send left the window
      expect(await f.counters.get(k, { window: lastDaysWindow(f.clock.now(), SHANGHAI, 3) })).toBe(1);
      expect(await take()).toEqual({ ok: true, remaining: 0 });
      expect(await take()).toEqual({ ok: false, remaining: 0 });
      // Give back in a sliding window: the newest bucket first.
      expect(await f.counters.give(k, 1, { window: lastDaysWindow(f.clock.now(), SHANGHAI, 3) })).toEqual({ used: 1, returned: 1 });
      f.clock.set('2026-11-23T16:00:00Z'); // the 24th: the 21st's send left the window, the 23rd's was given back
      expect(await f.counters.get(k, { window: lastDaysWindow(f.clock.now(), SHANGHAI, 3) })).toBe(0);
    });

    it('rolling window (rate limit) starts at the first take and restarts after it lasts', async () => {
      const k = scope('ip:10.0.0.1')('claims');
      const w = rollingWindow(60_000);
      f.clock.set('2026-11-22T10:00:00Z');
      expect(await f.counters.take(k, { limit: 2, window: w })).toEqual({ ok: true, remaining: 1 });
      f.clock.advance(30_000);
      expect(await f.counters.take(k, { limit: 2, window: w })).toEqual({ ok: true, remaining: 0 });
      f.clock.advance(29_999);
      expect(await f.counters.take(k, { limit: 2, window: w })).toEqual({ ok: false, remaining: 0 });
      f.clock.advance(1);
      expect(await f.counters.get(k, { window: w })).toBe(0);
      expect(await f.counters.take(k, { limit: 2, window: w })).toEqual({ ok: true, remaining: 1 });
      // The new window runs from this take, not from the old one's end.
      f.clock.advance(59_999);
      expect(await f.counters.take(k, { limit: 2, window: w })).toEqual({ ok: true, remaining: 0 });
      expect(await f.counters.take(k, { limit: 2, window: w })).toEqual({ ok: false, remaining: 0 });
    });

    it('a key used without a window after its rolling window ended counts from zero and keeps no expiry', async () => {
      const k = scope()('mixed');
      f.clock.set('2026-11-22T10:00:00Z');
      await f.counters.take(k, { limit: 5, amount: 5, window: rollingWindow(1000) });
      f.clock.advance(1000);
      expect(await f.counters.take(k, { limit: 5, amount: 2 })).toEqual({ ok: true, remaining: 3 });
      f.clock.advance(86_400_000);
      expect(await f.counters.get(k)).toBe(2);
    });

    it('set, get and reset for reconciliation, per bucket', async () => {
      const key = scope();
      await f.counters.set(key('stock'), 7);
      expect(await f.counters.get(key('stock'))).toBe(7);
      expect(await f.counters.take(key('stock'), { limit: 10, amount: 3 })).toEqual({ ok: true, remaining: 0 });
      await f.counters.set(key('stock'), 0);
      expect(await f.counters.take(key('stock'), { limit: 10, amount: 10 })).toEqual({ ok: true, remaining: 0 });
      await f.counters.reset(key('stock'));
      expect(await f.counters.get(key('stock'))).toBe(0);

      f.clock.set('2026-11-22T03:00:00Z');
      const today = dayWindow(f.clock.now(), SHANGHAI);
      await f.counters.set(key('daily'), 2, { window: today });
      expect(await f.counters.take(key('daily'), { limit: 2, window: today })).toEqual({ ok: false, remaining: 0 });
      // A sliding window's buckets are set one by one, as fixed windows with the same ids.
      const three = lastDaysWindow(f.clock.now(), SHANGHAI, 3);
      await f.counters.set(key('cap'), 1, { window: { kind: 'fixed', id: three.ids[0]!, expiresAt: three.expiresAt } });
      await f.counters.set(key('cap'), 1, { window: { kind: 'fixed', id: three.ids[2]!, expiresAt: three.expiresAt } });
      expect(await f.counters.get(key('cap'), { window: three })).toBe(2);
      await expect(f.counters.set(key('cap'), 1, { window: three as never })).rejects.toMatchObject({ code: 'validation_failed' });
      await f.counters.reset(key('cap'), { window: three });
      expect(await f.counters.get(key('cap'), { window: three })).toBe(0);
    });

    it('resetPrefix forgets every counter under a prefix of one tag, windowed buckets too, and nothing beside it', async () => {
      const w = ws();
      const other = ws();
      const c = f.counters;
      const k = (s: string, n: string): CounterKey => counterKey(w, s, n);
      f.clock.set('2026-11-22T03:00:00Z');
      const today = dayWindow(f.clock.now(), SHANGHAI);
      const gone = [k('tpl:a', 'tpl:a:user:1'), k('tpl:a', 'tpl:a:user:22'), k('tpl:a', 'tpl:a:user:3')];
      await c.take(gone[0]!, { limit: 5 });
      await c.take(gone[1]!, { limit: 5, amount: 2 });
      await c.take(gone[2]!, { limit: 5, window: today });
      await c.take(gone[2]!, { limit: 5 }); // the same name without a window: a second bucket
      // Beside the prefix: the tag's other names, the same name in another tag and another workspace, a name one character past it.
      const kept = [k('tpl:a', 'tpl:a:stock'), k('tpl:a', 'tpl:a:user'), k('tpl:a', 'tpl:a:user;1'), k('tpl:ab', 'tpl:a:user:1'), counterKey(other, 'tpl:a', 'tpl:a:user:1')];
      for (const key of kept) await c.take(key, { limit: 5 });

      expect(await c.resetPrefix(counterPrefix(w, 'tpl:a', 'tpl:a:user:'))).toBe(4);
      expect(await c.get(gone[0]!)).toBe(0);
      expect(await f.peer.get(gone[1]!)).toBe(0);
      expect(await c.get(gone[2]!, { window: today })).toBe(0);
      expect(await c.get(gone[2]!)).toBe(0);
      for (const key of kept) expect(await c.get(key)).toBe(1);
      expect(await c.take(gone[1]!, { limit: 1 })).toEqual({ ok: true, remaining: 0 });
      expect(await c.resetPrefix(counterPrefix(w, 'tpl:a', 'tpl:a:user:'))).toBe(1);

      // Glob and LIKE characters in a prefix are plain characters.
      await c.take(k('tpl:a', 'x*:1'), { limit: 5 });
      await c.take(k('tpl:a', 'xy:1'), { limit: 5 });
      await c.take(k('tpl:a', 'x%_:1'), { limit: 5 });
      expect(await c.resetPrefix(counterPrefix(w, 'tpl:a', 'x*'))).toBe(1);
      expect(await c.get(k('tpl:a', 'xy:1'))).toBe(1);
      expect(await c.get(k('tpl:a', 'x%_:1'))).toBe(1);
      expect(() => counterPrefix(w, 'tpl:{a}', '')).toThrow(AppError);
    });

    it('refuses bad numbers, keys and windows as broken rules (AppError validation_failed)', async () => {
      const k = scope()('stock');
      for (const opts of [{ limit: -1 }, { limit: 1.5 }, { limit: 3, amount: 0 }, { limit: 3, amount: 2 ** 53 }, { limit: Number.NaN }]) {
        const err = await f.counters.take(k, opts).then(() => null, (e: unknown) => e);
        expect(err).toBeInstanceOf(AppError);
        expect(err).toMatchObject({ code: 'validation_failed' });
      }
      await expect(f.counters.give(k, -1)).rejects.toMatchObject({ code: 'validation_failed' });
      await expect(f.counters.set(k, -1)).rejects.toMatchObject({ code: 'validation_failed' });
      await expect(f.counters.take('stock' as CounterKey, { limit: 1 })).rejects.toMatchObject({ code: 'validation_failed' });
      f.clock.set('2026-11-22T10:00:00Z');
      const ended = { kind: 'fixed' as const, id: 'd2026-11-21', expiresAt: new Date('2026-11-21T16:00:00Z') };
      await expect(f.counters.take(k, { limit: 1, window: ended })).rejects.toMatchObject({ code: 'validation_failed' });
      await expect(f.counters.take(k, { limit: 1, window: { kind: 'fixed', id: 'bad id', expiresAt: new Date('2027-01-01') } })).rejects.toMatchObject({ code: 'validation_failed' });
      expect(await f.counters.get(k)).toBe(0);
    });
  });
}
