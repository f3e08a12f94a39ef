import { CamelCasePlugin, Kysely, Migrator, PostgresDialect, type Transaction } from 'kysely';
import pg from 'pg';
import type { Database } from './db-schema.ts';
import { migrations } from './migrations/index.ts';

export type Db = Kysely<Database>;
export type Tx = Transaction<Database> | Kysely<Database>;

// int8 (bigint ids, money sums) arrives as string so no precision is lost; numeric likewise.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => v);

export function createDb(url: string, max = 20): { db: Db; pool: pg.Pool } {
  const pool = new pg.Pool({ connectionString: url, max, application_name: `marketloop-${process.pid}` });
  // An idle client's error (server restart) must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), plugins: [new CamelCasePlugin()] });
  return { db, pool };
}

/** Runs every pending migration; throws with the failing migration's name. */
export async function migrateToLatest(db: Kysely<unknown>): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    migrationTableName: 'marketloop_migrations',
    migrationLockTableName: 'marketloop_migrations_lock',
  });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error) throw new Error(`migration ${failed?.migrationName ?? '?'} failed: ${String(error)}`);
  return (results ?? []).map((r) => r.migrationName);
}
