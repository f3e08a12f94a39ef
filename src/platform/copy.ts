import { CamelCasePlugin, Kysely, PostgresDialect } from 'kysely';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { Database } from './db-schema.ts';
import type { Tx } from './db.ts';

/**
 * Transactions whose bulk inserts can go through COPY.
 *
 * A delivery batch writes thousands of rows (messages, links, outbox, events, counter buckets);
 * COPY parses them for about two thirds of the server CPU that `INSERT … SELECT … FROM
 * json_to_recordset(…)` takes for the same rows (20,000 event rows: 120–130 ms against
 * 190–220 ms, measured on this machine), with no per-statement planning. Kysely cannot stream a
 * COPY, so such a transaction runs on one pooled connection held here, with a Kysely instance
 * of its own over that connection for every other statement; `copyRows` then writes through the
 * same connection. A repo calls copyRows and falls back to its INSERT when the transaction is not
 * one of these (copyRows answers false).
 */
const clients = new WeakMap<object, pg.PoolClient>();

export async function copyTransaction<T>(pool: pg.Pool, fn: (tx: Tx) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    // The pool Kysely sees: always this one connection, never released by Kysely.
    const conn = { query: client.query.bind(client), release: () => undefined };
    const db = new Kysely<Database>({
      dialect: new PostgresDialect({ pool: { connect: async () => conn, end: async () => undefined } as never }),
      plugins: [new CamelCasePlugin()],
    });
    clients.set(db, client);
    await client.query('begin');
    try {
      const result = await fn(db);
      await client.query('commit');
      return result;
    } catch (err) {
      // A connection that cannot even roll back is dropped from the pool rather than reused.
      await client.query('rollback').catch((e: Error) => { broken = e; });
      throw err;
    }
  } finally {
    client.release(broken);
  }
}

/**
 * COPY `text` (rows in COPY's text format, see copyField) with `statement` (`copy t (a, b) from
 * stdin`) in the transaction `tx`, when it is a copyTransaction; false otherwise (nothing written).
 */
export async function copyRows(tx: Tx, statement: string, text: string): Promise<boolean> {
  const client = clients.get(tx);
  if (!client) return false;
  if (text.length === 0) return true;
  await new Promise<void>((resolve, reject) => {
    const stream = client.query(copyFrom(statement));
    stream.on('finish', resolve);
    stream.on('error', reject);
    stream.end(text);
  });
  return true;
}

const SPECIAL = /[\\\t\n\r]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** One field in COPY's text format: null is `\N`; backslash, tab, newline and carriage return escaped. */
export function copyField(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return '\\N';
  const s = typeof v === 'string' ? v : String(v);
  // replace() scans once and returns the string itself when nothing matches.
  return s.replace(SPECIAL, (c) => ESCAPES[c]!);
}
