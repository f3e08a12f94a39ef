import type pg from 'pg';

/**
 * The sandbox an analyst's SQL segment runs in. Unlike the other repos this one takes a raw
 * pg client: the connection is dedicated to one query and thrown away afterwards (see
 * segment-sql.service.ts), which Kysely's pool cannot express.
 */
export const SANDBOX_ROLE = 'marketloop_segment_sql';

/** The server has no sandbox role (the migration could not create it). */
export class SandboxUnavailable extends Error {}

/** A database error of the analyst's query; `position` is within the analyst's own text. */
export class SandboxQueryError extends Error {
  constructor(readonly dbError: Error & { code?: string }, readonly position: number | null) {
    super(dbError.message);
  }
}

export type SandboxRequest =
  | { mode: 'validate' }
  | { mode: 'ids'; userId?: string }
  | { mode: 'preview'; sampleSize: number };

export type SandboxResult = { mode: 'validate' } | { mode: 'ids'; ids: string[] } | { mode: 'preview'; count: number; sample: string[] };

/**
 * The statement for a request: the analyst's query as a subquery whose first column names
 * members by externalId. It sits on lines of its own so a trailing `-- comment` cannot swallow
 * the closing parenthesis; `offset` is where it starts, to map error positions back.
 */
export function sandboxStatement(userSql: string, req: SandboxRequest): { text: string; offset: number } {
  // Only the end is trimmed, so error positions still count from the analyst's first character.
  // (A loop, not /[;\s]+$/, which backtracks quadratically on long runs of spaces.)
  let end = userSql.length;
  while (end > 0 && /[;\s]/.test(userSql[end - 1]!)) end--;
  const body = userSql.slice(0, end);
  const filter = req.mode === 'ids' && req.userId ? ' and u.id = $2::bigint' : '';
  const [pre, post] =
    req.mode === 'validate' ? ['', ' limit 0']
      : req.mode === 'ids' ? ["select coalesce(array_agg(m.id order by m.id), '{}') as ids from (", ') m']
        : ['with m as materialized (', `) select (select count(*)::int from m) as n, array(select m.external_id from m order by m.id limit ${Math.floor(req.sampleSize)}) as sample`];
  const head = `${pre}select u.id, u.external_id from users u where u.workspace_id = $1${filter} and u.external_id in (select x.c::text from (\n`;
  return { text: `${head}${body}\n) as x(c))${post}`, offset: head.length };
}

/**
 * Runs the query as the sandbox role, in a read-only transaction that is always rolled back.
 * The role sees only rows of `workspaceId` (row-level security bound to a context row written
 * here, see migration 0003) and can only SELECT users, events and orders.
 */
export async function runInSandbox(client: pg.PoolClient, workspaceId: string, userSql: string, timeoutMs: number, req: SandboxRequest): Promise<SandboxResult> {
  const { text, offset } = sandboxStatement(userSql, req);
  const params: unknown[] = req.mode === 'ids' && req.userId ? [workspaceId, req.userId] : [workspaceId];
  await client.query('begin');
  try {
    await client.query(`set local statement_timeout = ${Math.max(1, Math.floor(timeoutMs))}`);
    await client.query(
      `insert into segment_sql_context (pid, xid, workspace_id) values (pg_backend_pid(), pg_current_xact_id(), $1)
       on conflict (pid) do update set xid = excluded.xid, workspace_id = excluded.workspace_id`, [workspaceId]);
    await client.query(`select set_config('marketloop.workspace_id', $1, true)`, [workspaceId]);
    // The context row above is the last write: from here on nothing may write, whatever the role.
    await client.query('set transaction read only');
    try {
      await client.query(`set local role ${SANDBOX_ROLE}`);
    } catch (err) {
      if ((err as { code?: string }).code === '42704') throw new SandboxUnavailable(`role ${SANDBOX_ROLE} does not exist`);
      throw err;
    }
    // A role that may call set_config() could SET ROLE back to the app: refuse to run at all.
    const guard = await client.query<{ can: boolean }>("select has_function_privilege('pg_catalog.set_config(text, text, boolean)', 'execute') as can");
    if (guard.rows[0]!.can) throw new SandboxUnavailable(`${SANDBOX_ROLE} may call set_config()`);
    let rows: Record<string, unknown>[];
    try {
      // With parameters pg uses the extended protocol: exactly one statement, never a second one.
      rows = (await client.query(text, params)).rows;
    } catch (err) {
      const e = err as Error & { code?: string; position?: string };
      const at = e.position ? Number(e.position) - offset : NaN;
      throw new SandboxQueryError(e, Number.isFinite(at) && at >= 1 && at <= userSql.length + 1 ? at : null);
    }
    if (req.mode === 'validate') return { mode: 'validate' };
    if (req.mode === 'ids') return { mode: 'ids', ids: rows[0]!.ids as string[] };
    return { mode: 'preview', count: rows[0]!.n as number, sample: rows[0]!.sample as string[] };
  } finally {
    await client.query('rollback').catch(() => undefined);
  }
}
