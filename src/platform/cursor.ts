import { AppError } from './errors.ts';

/**
 * Keyset cursors over (created_at desc, id desc): stable while rows are added. The cursor names
 * the last row's key; the direction is the query's, so a list in ascending order (created_at, id)
 * uses the same cursor with `>` for `<`, and a list ordered by more columns packs them into `id`
 * (each such list documents its key where it builds it).
 */
export interface TimeCursor {
  createdAt: Date;
  id: string;
}

export const encodeCursor = (at: Date, id: string): string => Buffer.from(`${at.toISOString()}|${id}`).toString('base64url');

/** The 400 of a cursor this API did not issue (also for lists that check their packed keys). */
export const badCursor = (): AppError => new AppError('validation_failed', 'Bad cursor.', [{ path: 'cursor', message: 'Not a cursor this API issued.' }]);

export function decodeCursor(c: string | undefined): TimeCursor | undefined {
  if (!c) return undefined;
  // Split at the first bar only: an id may hold one (a packed key naming a caller's id).
  const text = Buffer.from(c, 'base64url').toString();
  const bar = text.indexOf('|');
  const at = bar < 0 ? '' : text.slice(0, bar);
  const id = bar < 0 ? '' : text.slice(bar + 1);
  const d = new Date(at);
  if (!id || Number.isNaN(d.getTime())) throw badCursor();
  return { createdAt: d, id };
}

/** Cuts a limit+1 page and names the next cursor. */
export function page<R extends { createdAt: Date; id: string }, V>(rows: R[], limit: number, view: (r: R) => V): { items: V[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items: items.map(view), nextCursor: rows.length > limit && last ? encodeCursor(last.createdAt, last.id) : null };
}
