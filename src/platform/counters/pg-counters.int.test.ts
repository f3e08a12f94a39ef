import { sql } from 'kysely';
import { inject } from 'vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../../../test/support/harness.ts';
import { createDb, type Db } from '../db.ts';
import { counterKey } from './counters.keys.ts';
import { countersContract } from './counters.contract.ts';
import { lastDaysWindow, rollingWindow } from './counters.windows.ts';
import { PgCounters } from './pg-counters.adapter.ts';

/**
 * The contract on real PostgreSQL: the platform's own adapter (built by bootstrap, as without
 * REDIS_URL) and a peer on a second pool, as another process would have.
 */
let h: Harness;
let peerDb: Db;

countersContract('PostgreSQL', async () => {
  h = await createHarness();
  peerDb = createDb(inject('databaseUrl'), 8).db;
  return {
    counters: h.p.counters,
    peer: new PgCounters(peerDb, h.clock),
    clock: h.clock,
    close: async () => {
      await peerDb.destroy();
      await h.close();
    },
  };
});

describe('PostgreSQL counters adapter', () => {
  let hh: Harness;
  beforeAll(async () => {
    hh = await createHarness();
  });
  afterAll(async () => {
    await hh.close();
  });

  it('is what the platform gets without REDIS_URL', () => {
    expect(hh.p.counters.kind).toBe('postgres');
  });

  it('stores one row per bucket under the key workspace, and leaves none behind a refused step', async () => {
    const w = `ws_pgrow_${Date.now().toString(36)}`;
    const k = (n: string) => counterKey(w, 'tpl:x', n);
    await hh.p.counters.take(k('stock'), { limit: 5, amount: 2 });
    expect(await hh.p.counters.takeMany([{ key: k('stock'), limit: 5 }, { key: k('user:1'), limit: 0 }])).toMatchObject({ ok: false, failedIndex: 1 });
    const rows = await sql<{ key: string; used: string }>`select key, used from counters where workspace_id = ${w} order by key`.execute(hh.p.db);
    expect(rows.rows).toEqual([{ key: '{ws:' + w + ':tpl:x}:stock', used: '2' }]);
  });

  it('concurrent takeMany calls are combined in arrival order, yet each stays all-or-nothing on its own and a broken one fails alone', async () => {
    const w = `ws_pgcomb_${Date.now().toString(36)}`;
    const counters = new PgCounters(hh.p.db, hh.clock);
    const k = (n: string) => counterKey(w, 'tpl:x', n);
    // 30 users want 1 of a stock of 10; user 3 and user 4 have a per-user limit of 0 (refused
    // whole: their stock unit is not taken); one broken call (amount 0) fails on its own.
    const calls = Array.from({ length: 30 }, (_, i) => counters.takeMany([
      { key: k('stock'), limit: 10 },
      { key: k(`user:${i}`), limit: i === 3 || i === 4 ? 0 : 1 },
    ]));
    const broken = counters.takeMany([{ key: k('stock'), limit: 10, amount: 0 }]);
    await expect(broken).rejects.toMatchObject({ code: 'validation_failed' });
    const results = await Promise.all(calls);
    expect(results[3]).toMatchObject({ ok: false, failedIndex: 1 });
    expect(results[4]).toMatchObject({ ok: false, failedIndex: 1 });
    // Combined in arrival order: the first ten others win, every later one is refused on stock
    // (one transaction per call would let them race for the stock in any order).
    const winners = results.flatMap((r, i) => (r.ok ? [i] : []));
    expect(winners).toEqual([0, 1, 2, 5, 6, 7, 8, 9, 10, 11]);
    for (const i of [12, 20, 29]) expect(results[i]).toMatchObject({ ok: false, failedIndex: 0 });
    expect(await counters.get(k('stock'))).toBe(10);
    expect(await counters.get(k('user:3'))).toBe(0);
    expect(await counters.get(k('user:12'))).toBe(0);
    expect(await counters.get(k('user:11'))).toBe(1);
  });

  it('processes racing to create the same buckets: a step that lost the race is decided again, and no more than the limit is taken', async () => {
    const w = `ws_pgrace_${Date.now().toString(36)}`;
    // Twenty processes (each its own adapter, so nothing combines them) take from a stock that
    // does not exist yet and from per-user buckets that two of them share.
    const procs = Array.from({ length: 20 }, () => new PgCounters(hh.p.db, hh.clock));
    const k = (n: string) => counterKey(w, 'tpl:x', n);
    const results = await Promise.all(procs.map((c, i) => c.takeMany([{ key: k('stock'), limit: 7 }, { key: k(`user:${i % 10}`), limit: 1 }])));
    const winners = results.flatMap((r, i) => (r.ok ? [i % 10] : []));
    expect(winners).toHaveLength(7);
    expect(new Set(winners).size).toBe(7); // one per user at most
    expect(await procs[0]!.get(k('stock'))).toBe(7);
    // A batch of steps (takeEach) racing a single step on the same new buckets.
    const batch = procs[1]!.takeEach(Array.from({ length: 5 }, (_, i) => [{ key: k('stock2'), limit: 3 }, { key: k(`b:${i}`), limit: 1 }]));
    const single = procs[2]!.takeMany([{ key: k('stock2'), limit: 3 }, { key: k('b:0'), limit: 1 }]);
    const taken = [...(await batch), await single].filter((r) => r.ok).length;
    expect(taken).toBe(3);
    expect(await procs[0]!.get(k('stock2'))).toBe(3);
  });

  it.each([['INSERT', false], ['COPY', true]])('a step that read a bucket as missing while another transaction created it is decided again on the created state (new buckets by %s)', async (_how, copy) => {
    const w = `ws_pglost_${copy ? 'c' : 'i'}${Date.now().toString(36)}`;
    const counters = new PgCounters(hh.p.db, hh.clock, copy ? hh.p.pool : undefined);
    const stock = counterKey(w, 'tpl:x', 'stock');
    // Another process creates the stock bucket, already full, and has not committed yet.
    const other = await hh.p.pool.connect();
    try {
      await other.query('begin');
      await other.query('insert into counters (workspace_id, key, used) values ($1, $2, 5)', [w, stock]);
      const pending = counters.takeMany([{ key: stock, limit: 5 }, { key: counterKey(w, 'tpl:x', 'user:1'), limit: 1 }]);
      // Our step read the bucket as missing and now waits on the other's insert of it.
      for (let i = 0; ; i++) {
        const { rows } = await hh.p.pool.query<{ n: number }>(`select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and ((query like '%insert into counters%' and query like '%json_to_recordset%') or query like 'copy counters%')`);
        if (rows[0]!.n > 0) break;
        if (i > 500) throw new Error('the step never waited on the insert');
        await new Promise((r) => setTimeout(r, 10));
      }
      await other.query('commit');
      // Decided on an empty stock it would take a unit of a full one; decided again, it is refused.
      expect(await pending).toMatchObject({ ok: false, failedIndex: 0 });
      expect(counters.redecided).toBe(1);
      expect(await counters.get(stock)).toBe(5);
      expect(await counters.get(counterKey(w, 'tpl:x', 'user:1'))).toBe(0);
    } finally {
      other.release();
    }
  });

  it('a sliding-window take leaves no never-expiring empty rows for the days it only read', async () => {
    const w = `ws_pgslide_${Date.now().toString(36)}`;
    hh.clock.set('2026-11-22T03:00:00Z');
    await hh.p.counters.take(counterKey(w, 'user:1', 'cap:sms'), { limit: 2, window: lastDaysWindow(hh.clock.now(), 'Asia/Shanghai', 7) });
    const rows = await sql<{ key: string; used: string; live: boolean }>`
      select key, used, expires_at is null or expires_at > ${hh.clock.now()} as live from counters where workspace_id = ${w} order by key`.execute(hh.p.db);
    expect(rows.rows.filter((r) => r.live)).toEqual([{ key: `{ws:${w}:user:1}:cap:sms@d2026-11-22`, used: '1', live: true }]);
  });

  it("a sliding window's older days are read as one key range, and only its own days count", async () => {
    const w = `ws_pgrange_${Date.now().toString(36)}`;
    hh.clock.set('2026-11-23T03:00:00Z');
    const k = counterKey(w, 'tpl:x', 'cap');
    // A bucket of another window shape of the same key, inside the range's bounds ('d2026-11-22x').
    await hh.p.counters.take(k, { limit: 9, amount: 5, window: { kind: 'fixed', id: 'd2026-11-22x', expiresAt: new Date('2026-12-01T00:00:00Z') } });
    const three = () => lastDaysWindow(hh.clock.now(), 'Asia/Shanghai', 3);
    hh.clock.set('2026-11-22T03:00:00Z');
    expect(await hh.p.counters.takeMany([{ key: k, limit: 3, window: three() }])).toEqual({ ok: true, remaining: [2] });
    hh.clock.set('2026-11-23T03:00:00Z');
    expect(await hh.p.counters.takeMany([{ key: k, limit: 3, window: three() }])).toEqual({ ok: true, remaining: [1] });
    // On the 24th the window's older days, the 22nd and the 23rd, are one range that also holds 'd2026-11-22x'.
    hh.clock.set('2026-11-24T03:00:00Z');
    expect(await hh.p.counters.takeEach([[{ key: k, limit: 3, window: three() }], [{ key: k, limit: 3, window: three() }]])).toEqual([
      { ok: true, remaining: [0] }, { ok: false, failedIndex: 0, remaining: [0] },
    ]);
    expect(await hh.p.counters.get(k, { window: three() })).toBe(3);
  });

  it('purgeExpired reclaims only buckets whose window ended', async () => {
    const w = `ws_pgpurge_${Date.now().toString(36)}`;
    const counters = new PgCounters(hh.p.db, hh.clock);
    // Year 2000: the cut-off below is then earlier than any bucket another test file may keep alive.
    hh.clock.set('2000-01-01T10:00:00Z');
    await counters.take(counterKey(w, 'ip:1', 'rate'), { limit: 5, window: rollingWindow(1000) });
    await counters.take(counterKey(w, 'tpl:x', 'stock'), { limit: 5 });
    hh.clock.advance(2000);
    await counters.purgeExpired(new Date(hh.clock.now().getTime() - 500));
    const rows = await sql<{ key: string }>`select key from counters where workspace_id = ${w}`.execute(hh.p.db);
    expect(rows.rows.map((r) => r.key)).toEqual([`{ws:${w}:tpl:x}:stock`]);
  });
});
