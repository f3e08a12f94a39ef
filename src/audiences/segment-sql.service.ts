import type { Platform } from '../platform/context.ts';
import { AppError } from '../platform/errors.ts';
import type { SqlDefinition } from './definition.schema.ts';
import { runInSandbox, SandboxQueryError, SandboxUnavailable, type SandboxRequest, type SandboxResult } from './segment-sql.repo.ts';

/**
 * SQL segments: an analyst's SELECT, run read-only, under a statement timeout, as a PostgreSQL
 * role that sees only this workspace's users, events and orders (migration 0003).
 */
export const DEFAULT_SQL_TIMEOUT_MS = 60_000;
export const PREVIEW_SQL_TIMEOUT_MS = 15_000;
const VALIDATE_SQL_TIMEOUT_MS = 5_000;

// Errors of the query itself (syntax, permissions, read-only, bad casts, …) are the analyst's
// to fix; these classes are the server's (connection, resources, operator intervention,
// system/internal errors) and stay 500s.
const serverErrorClasses = new Set(['08', '53', '55', '57', '58', 'XX']);

const sqlPath = 'definition.sql';

/** One line of the server's message, no detail/hint/context/query: nothing about our internals. */
function sanitize(err: SandboxQueryError): string {
  const first = (err.dbError.message.split('\n')[0] ?? '').trim();
  const clipped = first.length > 300 ? `${first.slice(0, 300)}…` : first;
  return err.position ? `${clipped} (at character ${err.position} of the query)` : clipped;
}

function toAppError(err: unknown, timeoutMs: number): unknown {
  if (err instanceof SandboxUnavailable) {
    return new AppError('segment_sql_unavailable', 'SQL segments are not available: the database role marketloop_segment_sql is missing or not locked down. Run the migrations as a PostgreSQL superuser.');
  }
  if (!(err instanceof SandboxQueryError)) return err;
  const code = err.dbError.code ?? '';
  if (code === '57014') {
    const message = `The query ran longer than ${timeoutMs / 1000} s and was stopped.`;
    return new AppError('segment_sql_timeout', message, [{ path: sqlPath, message }]);
  }
  if (serverErrorClasses.has(code.slice(0, 2))) return err.dbError;
  return new AppError('segment_sql_invalid', 'The SQL query failed; see details.', [{ path: sqlPath, message: sanitize(err) }]);
}

export function timeoutOf(def: SqlDefinition, capMs: number = DEFAULT_SQL_TIMEOUT_MS * 10): number {
  return Math.min(def.timeoutSeconds ? def.timeoutSeconds * 1000 : DEFAULT_SQL_TIMEOUT_MS, capMs);
}

/**
 * Runs the query in the sandbox on a connection of its own that is destroyed afterwards, so
 * whatever session state the query could leave (advisory locks, settings) dies with it.
 * Throws `segment_sql_invalid`, `segment_sql_timeout` (400) or `segment_sql_unavailable`.
 */
export async function runSql(p: Platform, workspaceId: string, def: SqlDefinition, req: SandboxRequest, timeoutMs: number): Promise<SandboxResult> {
  const client = await p.pool.connect();
  try {
    return await runInSandbox(client, workspaceId, def.sql, timeoutMs, req);
  } catch (err) {
    throw toAppError(err, timeoutMs);
  } finally {
    client.release(true);
  }
}

/** Checks that the query parses and reads only what the sandbox may read (it runs with LIMIT 0). */
export async function validateSql(p: Platform, workspaceId: string, def: SqlDefinition): Promise<void> {
  await runSql(p, workspaceId, def, { mode: 'validate' }, timeoutOf(def, VALIDATE_SQL_TIMEOUT_MS));
}

/** Internal ids of the members (all of them, or whether `userId` is one). */
export async function sqlMemberIds(p: Platform, workspaceId: string, def: SqlDefinition, userId?: string): Promise<string[]> {
  const r = await runSql(p, workspaceId, def, { mode: 'ids', userId }, timeoutOf(def));
  return r.mode === 'ids' ? r.ids : [];
}

export async function previewSql(p: Platform, workspaceId: string, def: SqlDefinition, sampleSize: number): Promise<{ count: number; sample: string[] }> {
  const r = await runSql(p, workspaceId, def, { mode: 'preview', sampleSize }, timeoutOf(def, PREVIEW_SQL_TIMEOUT_MS));
  return r.mode === 'preview' ? { count: r.count, sample: r.sample } : { count: 0, sample: [] };
}
