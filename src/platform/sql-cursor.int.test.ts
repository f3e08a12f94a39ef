import { sql, Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { afterAll, expect, inject, it } from 'vitest';
import { cursorPages } from './sql-cursor.ts';

const pool = new pg.Pool({ connectionString: inject('databaseUrl'), max: 2 });
const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
afterAll(async () => { await db.destroy(); });

const series = (n: number, tag: string) => sql`select g, ${tag}::text as tag from generate_series(1, ${n}::int) g order by g`.compile(db);

it('reads every row a page at a time, in order, with the parameters bound', async () => {
  const pages: number[][] = [];
  for await (const page of cursorPages<{ g: number; tag: string }>(pool, series(12, 'x'), 5)) {
    expect(page.every((r) => r.tag === 'x')).toBe(true);
    pages.push(page.map((r) => r.g));
  }
  expect(pages).toEqual([[1, 2, 3, 4, 5], [6, 7, 8, 9, 10], [11, 12]]);
  let none = 0;
  for await (const page of cursorPages(pool, series(0, 'y'), 5)) none += page.length;
  expect(none).toBe(0);
  expect(pool.idleCount).toBe(pool.totalCount);
});

it('a consumer that stops early (a download cut off) ends the transaction and gives the connection back', async () => {
  const pids = new Set<number>();
  for await (const page of cursorPages<{ pid: number }>(pool, sql`select pg_backend_pid() as pid, g from generate_series(1, 100) g`.compile(db), 10)) {
    pids.add(page[0]!.pid);
    break;
  }
  expect(pool.idleCount).toBe(pool.totalCount);
  // The connection the cursor used (the pool hands out the last one given back) has no
  // transaction and no cursor left.
  const c = await pool.connect();
  try {
    const r = await c.query(`select pg_backend_pid() as pid, current_setting('transaction_read_only') as ro, (select count(*) from pg_cursors)::int as cursors`);
    expect(r.rows[0]).toEqual({ pid: [...pids][0], ro: 'off', cursors: 0 });
  } finally {
    c.release();
  }
});
