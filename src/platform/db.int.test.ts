import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createHarness, type Harness } from '../../test/support/harness.ts';

/** Statements marked `/* prepared:<name> *\/` run as named statements, prepared once per connection; others as before. */
let h: Harness;
beforeAll(async () => { h = await createHarness(); });
afterAll(async () => { await h.close(); });

it('a marked statement is prepared once per connection and reused; an unmarked one is not prepared', async () => {
  const seen = await h.p.db.transaction().execute(async (tx) => {
    const answers: number[] = [];
    for (const n of [1, 2, 3]) answers.push((await sql<{ n: number }>`/* prepared:test.echo */ select ${n}::int + 1 as n`.execute(tx)).rows[0]!.n);
    await sql`select 41 + 1 as unmarked`.execute(tx);
    const prepared = (await sql<{ name: string; statement: string }>`select name, statement from pg_prepared_statements where not from_sql`.execute(tx)).rows;
    return { answers, prepared };
  });
  expect(seen.answers).toEqual([2, 3, 4]);
  const echo = seen.prepared.filter((s) => s.statement.includes('select $1::int + 1'));
  expect(echo).toHaveLength(1);
  expect(echo[0]!.name).toMatch(/^test\.echo#\d+$/);
  expect(seen.prepared.some((s) => s.statement.includes('unmarked'))).toBe(false);
});
