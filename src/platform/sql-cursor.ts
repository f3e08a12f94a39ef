import type { CompiledQuery } from 'kysely';
import type pg from 'pg';

/**
 * The rows of one query, a page at a time, through a server-side cursor: the query is planned
 * and sorted once, and memory stays at one page, however many rows there are (an export of a
 * million messages). The cursor lives in a read-only transaction on a connection of its own,
 * held until the last page is read or the consumer stops (a client that goes away mid-download
 * ends the generator, which closes the transaction and gives the connection back).
 */
export async function* cursorPages<R = Record<string, unknown>>(pool: pg.Pool, query: CompiledQuery, pageSize = 5_000): AsyncGenerator<R[]> {
  const client = await pool.connect();
  let ok = false;
  try {
    await client.query('begin transaction isolation level repeatable read read only');
    await client.query(`declare export_rows no scroll cursor for ${query.sql}`, query.parameters as unknown[]);
    for (;;) {
      const page = await client.query(`fetch forward ${pageSize} from export_rows`);
      if (page.rows.length) yield page.rows as R[];
      if (page.rows.length < pageSize) break;
    }
    await client.query('commit');
    ok = true;
  } finally {
    if (!ok) await client.query('rollback').catch(() => undefined);
    client.release();
  }
}
