import { z } from 'zod';

/** PostgreSQL text cannot hold NUL; a NUL in input is a 400, not a 500 from the database. */
export const pgText = (min = 1, max = 200) =>
  z.string().min(min).max(max).refine((s) => !s.includes('\u0000'), 'Must not contain the NUL character.');

/**
 * JSON for a jsonb column: jsonb rejects the \u0000 escape, so NUL characters inside
 * user-supplied properties are dropped (an odd run of backslashes marks a real escape).
 */
export function toJsonb(value: unknown): string {
  const json = JSON.stringify(value);
  // The look-behind scan costs more than the stringify on a batch-sized document; most have no NUL.
  return json.includes('\\u0000') ? json.replace(/(?<!\\)((?:\\\\)*)\\u0000/g, '$1') : json;
}
