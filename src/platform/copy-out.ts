import type { CompiledQuery } from 'kysely';
import pg from 'pg';
import type { Logger } from 'pino';
import { to as copyTo } from 'pg-copy-streams';
import type { Readable } from 'node:stream';

/**
 * A query's rows as CSV, written by PostgreSQL: `COPY (query) TO STDOUT WITH (FORMAT csv,
 * HEADER)`, streamed as the server sends it. The server formats and quotes every row, so node
 * only passes bytes on: a campaign's 1,100,000 messages took 11 s through a cursor and a CSV
 * writer in node, and about 2 s this way (bench report). The columns' names are the query's
 * aliases; its values must already be text as the file should show them (dates, booleans).
 *
 * The COPY holds a connection of its own until the last byte. A consumer that stops early (a
 * download cut off) destroys the stream: the connection is then closed rather than returned to
 * the pool in the middle of a COPY, and the server drops the query.
 */
export async function copyOutCsv(pool: pg.Pool, query: CompiledQuery, log: Logger, context: Record<string, unknown>): Promise<Readable> {
  const client = await pool.connect();
  let released = false;
  const release = (err?: Error) => {
    if (released) return;
    released = true;
    client.release(err);
  };
  const stream = client.query(copyTo(`copy (${inlineParameters(query)}) to stdout with (format csv, header)`));
  stream.on('end', () => release());
  stream.on('error', (err) => {
    log.warn({ err, ...context }, 'CSV export stopped');
    release(err);
  });
  stream.on('close', () => release(new Error('CSV export closed before its end')));
  return stream;
}

/**
 * COPY takes no parameters: the compiled query's `$n` become literals. Strings through
 * node-postgres' escapeLiteral, numbers as numbers, arrays of strings as `array[…]` (the query
 * casts them, as it did the parameter). Only for queries built in this codebase, whose text has
 * no `$n` of its own.
 */
export function inlineParameters(query: CompiledQuery): string {
  const literal = (v: unknown): string => {
    if (typeof v === 'number' && Number.isFinite(v)) return String(v);
    if (typeof v === 'string') return pg.escapeLiteral(v);
    if (Array.isArray(v)) return `array[${v.map(literal).join(', ')}]`;
    throw new Error(`cannot inline a parameter of type ${typeof v}`);
  };
  return query.sql.replace(/\$(\d+)/g, (_, n: string) => {
    if (Number(n) < 1 || Number(n) > query.parameters.length) throw new Error(`no parameter $${n}`);
    return literal(query.parameters[Number(n) - 1]);
  });
}
