import { CamelCasePlugin, Kysely, Migrator, PostgresDialect, sql, type Transaction } from 'kysely';
import pg from 'pg';
import type { Database } from './db-schema.ts';
import { migrations } from './migrations/index.ts';

export type Db = Kysely<Database>;
export type Tx = Transaction<Database> | Kysely<Database>;

// int8 (bigint ids, money sums) arrives as string so no precision is lost; numeric likewise.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => v);

/**
 * Hot statements may ask to be prepared: SQL that starts with a `/* prepared:<name> *\/` comment
 * runs as a named statement, which node-postgres parses once per connection and PostgreSQL
 * plans once (then reuses a generic plan). Planning the grant path's user lookup cost more
 * than running it (pg_stat_statements: 0.12 ms against 0.05 ms per batch). The text under a
 * marker must be constant: only the parameters change. Nothing else changes for unmarked SQL.
 */
const PREPARED = /^\/\* prepared:([\w.-]{1,40}) \*\//;
const MAX_PREPARED = 200;
const statementNames = new Map<string, string>();

function statementName(text: string): string | undefined {
  let name = statementNames.get(text);
  if (name === undefined && statementNames.size < MAX_PREPARED) {
    const m = PREPARED.exec(text);
    if (!m) return undefined;
    name = `${m[1]}#${statementNames.size}`;
    statementNames.set(text, name);
  }
  return name;
}

class PreparingClient extends pg.Client {
  // One signature for pg's overloads (`never` is assignable to each of their results); the
  // arguments pass through as they came.
  override query(...args: unknown[]): never {
    const [text, values, callback] = args;
    if (typeof text === 'string' && text.startsWith('/* prepared:') && (values === undefined || Array.isArray(values))) {
      const name = statementName(text);
      // A callback (PipelinedBatcher) goes with the statement: pg then answers through it, not a promise.
      if (name) return (super.query as (...a: unknown[]) => never)({ name, text, values: values as unknown[] | undefined }, ...(typeof callback === 'function' ? [callback] : []));
    }
    return (super.query as (...a: unknown[]) => never)(...args);
  }
}

export function createDb(url: string, max = 20): { db: Db; pool: pg.Pool } {
  const pool = new pg.Pool({ connectionString: url, max, application_name: `marketloop-${process.pid}`, Client: PreparingClient });
  // An idle client's error (server restart) must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), plugins: [new CamelCasePlugin()] });
  return { db, pool };
}

/**
 * Runs every pending migration; throws with the failing migration's name.
 *
 * Kysely's Migrator looks for its own tables by introspecting every table of the database, and
 * that query fails with 42P01 when any table is dropped while it runs (it names each table by
 * text). So a process starting beside someone else's DDL could fail to boot. Two guards:
 * when every migration is already recorded, the Migrator is not called at all (the common boot,
 * and every test harness); and a 42P01 raised before any migration ran is retried.
 */
export async function migrateToLatest(db: Kysely<unknown>): Promise<string[]> {
  if (await allMigrationsRecorded(db)) return [];
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: 'marketloop_migrations_lock',
  });
  for (let attempt = 1; ; attempt++) {
    const { error, results } = await migrator.migrateToLatest();
    const failed = results?.find((r) => r.status === 'Error');
    if (error && !failed && pgCode(error) === '42P01' && attempt < 5) continue;
    if (error) throw new Error(`migration ${failed?.migrationName ?? '?'} failed: ${String(error)}`);
    return (results ?? []).map((r) => r.migrationName);
  }
}

const MIGRATION_TABLE = 'marketloop_migrations';
const pgCode = (e: unknown) => (e as { code?: unknown } | null)?.code;

/**
 * True when the migration table lists every migration this build knows (looked up by name, not
 * by scanning the catalog). Newer migrations than this build knows are no reason to refuse: a
 * previous version's replica restarting mid-deploy must start (docs/operations.md).
 */
async function allMigrationsRecorded(db: Kysely<unknown>): Promise<boolean> {
  const exists = await sql<{ t: string | null }>`select to_regclass(${MIGRATION_TABLE})::text as t`.execute(db);
  if (!exists.rows[0]?.t) return false;
  const { rows } = await sql<{ name: string }>`select name from ${sql.table(MIGRATION_TABLE)}`.execute(db);
  const recorded = new Set(rows.map((r) => r.name));
  return Object.keys(migrations).every((name) => recorded.has(name));
}
