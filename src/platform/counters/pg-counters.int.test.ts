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

  it('a sliding-window take leaves no never-expiring empty rows for the days it only read', async () => {
    const w = `ws_pgslide_${Date.now().toString(36)}`;
    hh.clock.set('2026-11-22T03:00:00Z');
    await hh.p.counters.take(counterKey(w, 'user:1', 'cap:sms'), { limit: 2, window: lastDaysWindow(hh.clock.now(), 'Asia/Shanghai', 7) });
    const rows = await sql<{ key: string; used: string; live: boolean }>`
      select key, used, expires_at is null or expires_at > ${hh.clock.now()} as live from counters where workspace_id = ${w} order by key`.execute(hh.p.db);
    expect(rows.rows.filter((r) => r.live)).toEqual([{ key: `{ws:${w}:user:1}:cap:sms@d2026-11-22`, used: '1', live: true }]);
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
