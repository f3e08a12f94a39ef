import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { migrateToLatest } from './db.ts';
import { migrations } from './migrations/index.ts';
import { createScratchDatabase } from '../../test/support/scratch-database.ts';

/**
 * Booting beside somebody else's DDL. Kysely's migrator lists every table of the database to
 * find its own, and that listing fails with 42P01 when a table is dropped under it: CI once
 * failed a test file's start because another file dropped its table at that moment.
 */
describe('migrateToLatest', () => {
  const pools: pg.Pool[] = [];
  afterAll(async () => { await Promise.all(pools.map((p) => p.end())); });
  const kysely = (url: string, log?: string[]) => {
    const pool = new pg.Pool({ connectionString: url, max: 2 });
    pools.push(pool);
    return { pool, db: new Kysely<unknown>({ dialect: new PostgresDialect({ pool }), log: (e) => { log?.push(e.query.sql); } }) };
  };

  it('on a migrated database reads only its own table, so tables dropped meanwhile cannot fail it', async () => {
    const statements: string[] = [];
    const { db } = kysely(inject('databaseUrl'), statements);
    const { pool: other } = kysely(inject('databaseUrl'));
    const table = `churn_${randomBytes(4).toString('hex')}`;
    let churning = true;
    const churn = (async () => {
      for (let i = 0; churning && i < 500; i++) await other.query(`create table ${table}_${i % 4} (id serial); drop table ${table}_${i % 4}`);
    })();
    try {
      for (let i = 0; i < 20; i++) expect(await migrateToLatest(db)).toEqual([]);
    } finally {
      churning = false;
      await churn;
    }
    expect(statements.length).toBeGreaterThan(0);
    // No catalog listing: the lookup is by name (to_regclass) and a read of the migration table.
    expect(statements.filter((s) => /pg_catalog|pg_class|pg_attribute|information_schema/.test(s))).toEqual([]);
  });

  it('retries a listing that met a dropped table, migrates an empty database, and starts on a newer one', async () => {
    const scratch = await createScratchDatabase(inject('databaseUrl'), 'migrace');
    try {
      const { pool, db } = kysely(scratch.url);
      // The listing's error, raised by the server for a relation that does not exist, the first
      // time the migrator lists tables: what a concurrent DROP TABLE makes it meet.
      let listings = 0;
      pool.on('connect', (client) => {
        const query = client.query.bind(client) as (...a: unknown[]) => unknown;
        (client as { query: unknown }).query = (text: unknown, ...rest: unknown[]) =>
          typeof text === 'string' && text.includes('pg_get_serial_sequence') && ++listings === 1
            ? query(`select 'public.dropped_meanwhile'::regclass`, ...rest.slice(1))
            : query(text, ...rest);
      });
      const applied = await migrateToLatest(db);
      expect(listings).toBeGreaterThan(1);
      expect(applied).toEqual(Object.keys(migrations));
      expect(await migrateToLatest(db)).toEqual([]);
      // A newer version migrated on: this (previous) build still starts, as in a rolling deploy.
      await pool.query(`insert into marketloop_migrations (name, timestamp) values ('9999-from-a-newer-version', now()::text)`);
      expect(await migrateToLatest(db)).toEqual([]);
    } finally {
      await Promise.all(pools.splice(0).map((p) => p.end()));
      await scratch.drop();
    }
  });
});
