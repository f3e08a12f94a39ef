import type { FormInstance } from 'antd';
import { ApiError, type ErrorDetail } from '../api/client.ts';

export type FieldPath = (string | number)[];

/** `definition.all[2].op` → `['definition','all',2,'op']`. */
export function parseDetailPath(path: string): FieldPath {
  const out: FieldPath = [];
  for (const m of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    if (m[2] !== undefined) out.push(Number(m[2]));
    else if (m[1] !== undefined) out.push(/^\d+$/.test(m[1]) ? Number(m[1]) : m[1]);
  }
  return out;
}

export interface ShownError {
  message: string;
  /** Details that match no field of the form; shown under the message. */
  unmatched: ErrorDetail[];
}

/** Any thrown value as a message the operator can read. */
export function toShownError(err: unknown): ShownError {
  if (err instanceof ApiError) return { message: err.message, unmatched: err.details };
  return { message: err instanceof Error ? err.message : String(err), unmatched: [] };
}

/**
 * Puts each `details` entry of an API error on its form field. `fieldOf` turns an API path
 * into the form's field name, or null when the form has no such field; those details stay in
 * the returned alert. Several messages for one field are joined.
 */
export function applyApiError(form: FormInstance, err: unknown, fieldOf: (path: FieldPath) => FieldPath | null): ShownError {
  const shown = toShownError(err);
  if (!(err instanceof ApiError)) return shown;
  const byField = new Map<string, { name: FieldPath; errors: string[] }>();
  const unmatched: ErrorDetail[] = [];
  for (const d of err.details) {
    const name = fieldOf(parseDetailPath(d.path));
    if (!name) {
      unmatched.push(d);
      continue;
    }
    const key = JSON.stringify(name);
    const entry = byField.get(key) ?? { name, errors: [] };
    entry.errors.push(d.message);
    byField.set(key, entry);
  }
  form.setFields([...byField.values()].map((f) => ({ name: f.name, errors: f.errors })));
  return { message: shown.message, unmatched };
}

/** A `fieldOf` for forms whose field names are the API's top-level body fields. */
export function topLevelFields(...names: string[]): (path: FieldPath) => FieldPath | null {
  return (path) => (typeof path[0] === 'string' && names.includes(path[0]) ? [path[0]] : null);
}
