import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../../test/support/harness.ts';
import { copyField, copyRows, copyTransaction } from './copy.ts';

let h: Harness;
const table = `copy_test_${randomBytes(4).toString('hex')}`;
beforeAll(async () => {
  h = await createHarness();
  await h.p.pool.query(`create table ${table} (id int primary key, t text, j jsonb)`);
});
afterAll(async () => {
  await h.p.pool.query(`drop table if exists ${table}`);
  await h.close();
});

const rowsOf = async () => (await h.p.pool.query(`select id, t, j from ${table} order by id`)).rows;

describe('COPY inside a transaction', () => {
  it('writes text with tabs, newlines, carriage returns, backslashes and nulls exactly, beside the other statements of the transaction', async () => {
    const texts = ['plain', 'a\tb', 'line1\nline2', 'cr\rlf', 'back\\slash \\N', '', null, '双十一\\t'];
    await copyTransaction(h.p.pool, async (tx) => {
      await sql`insert into ${sql.table(table)} (id, t) values (100, 'before')`.execute(tx);
      const text = texts.map((t, i) => `${i}\t${copyField(t)}\t${copyField(JSON.stringify({ t }))}\n`).join('');
      expect(await copyRows(tx, `copy ${table} (id, t, j) from stdin`, text)).toBe(true);
      // The copied rows are visible to the transaction's next statement.
      expect(Number((await sql<{ n: string }>`select count(*) as n from ${sql.table(table)}`.execute(tx)).rows[0]!.n)).toBe(texts.length + 1);
    });
    const rows = await rowsOf();
    expect(rows.filter((r) => r.id < 100).map((r) => r.t)).toEqual(texts);
    expect(rows.filter((r) => r.id < 100).map((r) => r.j.t)).toEqual(texts);
    expect(copyField(7)).toBe('7');
    expect(copyField(undefined)).toBe('\\N');
  });

  it('rolls back with the transaction, answers false outside one, and gives its connection back', async () => {
    await expect(copyTransaction(h.p.pool, async (tx) => {
      await copyRows(tx, `copy ${table} (id, t) from stdin`, '200\tgone\n');
      await sql`select 1 / 0`.execute(tx);
    })).rejects.toThrow(/division by zero/);
    expect((await rowsOf()).some((r) => r.id === 200)).toBe(false);
    // A duplicate key fails the COPY itself, with PostgreSQL's code.
    await expect(copyTransaction(h.p.pool, (tx) => copyRows(tx, `copy ${table} (id, t) from stdin`, '0\tdup\n'))).rejects.toMatchObject({ code: '23505' });
    expect(await copyRows(h.p.db, `copy ${table} (id, t) from stdin`, '300\tnot copied\n')).toBe(false);
    expect((await rowsOf()).some((r) => r.id === 300)).toBe(false);
    // Every connection the failed transactions held is back in the pool, none checked out.
    expect(h.p.pool.idleCount).toBe(h.p.pool.totalCount);
  });
});
