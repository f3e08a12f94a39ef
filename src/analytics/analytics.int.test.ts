import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createHarness, type Harness } from '../../test/support/harness.ts';
import { maskEmail, maskPhone } from '../audiences/masking.ts';
import { copyOutCsv, inlineParameters } from '../platform/copy-out.ts';
import { maskedAddress } from './analytics.repo.ts';

let h: Harness;
beforeAll(async () => { h = await createHarness(); });
afterAll(async () => { await h.close(); });

it('the SQL mask of an export gives the same text as the masks of audiences/masking.ts', async () => {
  const cases: [string, string][] = [
    ['sms', '13800000000'], ['sms', '12345678'], ['sms', '1234567'], ['sms', '123'], ['sms', '12'], ['sms', ''],
    ['email', 'ann@example.com'], ['email', 'a@b.c'], ['email', '@example.com'], ['email', 'no-at-sign'], ['email', 'x@y@z.com'], ['email', ''],
    ['push', 'tok-ios-1'], ['wechat', 'oABCD'], ['wechat', 'oABC'], ['webhook', ''],
  ];
  const ts = (channel: string, to: string) => (channel === 'sms' ? maskPhone(to) : channel === 'email' ? maskEmail(to) : to.length > 4 ? `${to.slice(0, 4)}****` : '****');
  const rows = await sql<{ i: number; masked: string }>`
    select c.i, ${maskedAddress(sql.ref('c.channel'), sql.ref('c.to'))} as masked
    from jsonb_to_recordset(${JSON.stringify(cases.map(([channel, to], i) => ({ i, channel, to })))}::jsonb) as c(i int, channel text, "to" text) order by c.i`.execute(h.p.db);
  expect(rows.rows.map((r) => r.masked)).toEqual(cases.map(([c, t]) => ts(c, t)));
  const none = await sql<{ masked: string | null }>`select ${maskedAddress(sql.lit('sms'), sql`null::text`)} as masked`.execute(h.p.db);
  expect(none.rows[0]!.masked).toBeNull();
});

it('COPY takes the parameters inlined as literals, quotes and all', async () => {
  const q = sql`select ${"it's"}::text as a, ${42} as n, ${['x', "y'z"]}::text[] as xs, ${[]}::text[] as empty`.compile(h.p.db);
  expect(inlineParameters(q)).toBe(`select 'it''s'::text as a, 42 as n, array['x', 'y''z']::text[] as xs, array[]::text[] as empty`);
  const body = await copyOutCsv(h.p.pool, q, h.p.log, {});
  let text = '';
  for await (const chunk of body) text += String(chunk);
  expect(text).toBe(`a,n,xs,empty\nit's,42,"{x,y'z}",{}\n`);
  expect(() => inlineParameters(sql`select ${new Date()}`.compile(h.p.db))).toThrow(/cannot inline/);
});

it('a download cut off mid-COPY closes its connection instead of returning it busy to the pool', async () => {
  const body = await copyOutCsv(h.p.pool, sql`select pg_backend_pid() as pid, g, repeat('x', 200) as pad from generate_series(1, 2000000) g`.compile(h.p.db), h.p.log, {});
  let first = '';
  for await (const chunk of body) { first = String(chunk); break; } // the first chunk, then the client goes away
  const pid = Number(first.split('\n')[1]!.split(',')[0]);
  expect(pid).toBeGreaterThan(0);
  // The backend that ran the COPY is gone (its connection closed), and the pool is whole and answers.
  await expect.poll(async () => (await h.p.pool.query('select count(*)::int as n from pg_stat_activity where pid = $1', [pid])).rows[0].n as number).toBe(0);
  expect(h.p.pool.totalCount - h.p.pool.idleCount).toBe(0);
  expect((await h.p.pool.query('select 1 as one')).rows[0].one).toBe(1);
});
