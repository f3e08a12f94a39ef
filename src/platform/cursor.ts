import { AppError } from './errors.ts';

/** Keyset cursors over (created_at desc, id desc): stable while rows are added. */
export interface TimeCursor {
  createdAt: Date;
  id: string;
}

export const encodeCursor = (at: Date, id: string): string => Buffer.from(`${at.toISOString()}|${id}`).toString('base64url');

export function decodeCursor(c: string | undefined): TimeCursor | undefined {
  if (!c) return undefined;
  const [at, id] = Buffer.from(c, 'base64url').toString().split('|');
  const d = new Date(at ?? '');
  if (!id || Number.isNaN(d.getTime())) throw new AppError('validation_failed', 'Bad cursor.', [{ path: 'cursor', message: 'Not a cursor this API issued.' }]);
  return { createdAt: d, id };
}

/** Cuts a limit+1 page and names the next cursor. */
export function page<R extends { createdAt: Date; id: string }, V>(rows: R[], limit: number, view: (r: R) => V): { items: V[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items: items.map(view), nextCursor: rows.length > limit && last ? encodeCursor(last.createdAt, last.id) : null };
}
