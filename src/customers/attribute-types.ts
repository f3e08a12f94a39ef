/**
 * The four value types of attributes and event properties, how a type is inferred from the
 * first value ingested, and how CSV text is read by a type. Pure functions: no I/O.
 */
export const valueTypes = ['string', 'number', 'boolean', 'date'] as const;
export type ValueType = (typeof valueTypes)[number];

/** Profile fields stored as columns of users; their types are fixed (API.md "Built-in attributes"). */
export const builtInAttributeTypes: ReadonlyMap<string, ValueType> = new Map<string, ValueType>([
  ['externalId', 'string'],
  ['phone', 'string'],
  ['email', 'string'],
  ['platform', 'string'],
  ['createdAt', 'date'],
  ['firstOrderAt', 'date'],
  ['lastOrderAt', 'date'],
  ['orderCount', 'number'],
  ['orderTotal', 'number'],
]);

// A calendar date, optionally with a time and an offset: 2026-03-01, 2026-03-01T08:00:00+08:00.
const isoDateTime = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?$/;

/** True for a string that reads as an ISO date or date-time that exists (not 2026-02-30). */
export function looksLikeIsoDate(s: string): boolean {
  if (!isoDateTime.test(s)) return false;
  const [y, m, d] = [Number(s.slice(0, 4)), Number(s.slice(5, 7)), Number(s.slice(8, 10))];
  const day = new Date(Date.UTC(y, m - 1, d));
  if (day.getUTCFullYear() !== y || day.getUTCMonth() !== m - 1 || day.getUTCDate() !== d) return false;
  return !Number.isNaN(Date.parse(s.length === 10 ? `${s}T00:00:00Z` : s.replace(' ', 'T')));
}

/**
 * The type a JSON value gives an attribute seen for the first time. Null, objects and arrays
 * give none: null deletes, and nested values are stored as sent but are not typed.
 */
export function inferType(value: unknown): ValueType | null {
  if (typeof value === 'number') return Number.isFinite(value) ? 'number' : null;
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'string') return looksLikeIsoDate(value) ? 'date' : 'string';
  return null;
}

const numeric = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const booleans: Record<string, boolean> = { true: true, false: false, TRUE: true, FALSE: false, True: true, False: false };

/** The type CSV text suggests when the column has no type yet: `12.5` → number, `true` → boolean, ISO → date. */
export function inferTypeFromText(s: string): ValueType {
  if (numeric.test(s) && Number.isFinite(Number(s))) return 'number';
  if (s in booleans) return 'boolean';
  if (looksLikeIsoDate(s)) return 'date';
  return 'string';
}

export type Converted = { ok: true; value: string | number | boolean } | { ok: false; message: string };

/** Reads CSV text as a value of `type`; dates stay ISO strings (the form users.attributes holds). */
export function fromText(s: string, type: ValueType): Converted {
  switch (type) {
    case 'string':
      return { ok: true, value: s };
    case 'number': {
      const n = Number(s);
      return numeric.test(s) && Number.isFinite(n) ? { ok: true, value: n } : { ok: false, message: `"${clip(s)}" is not a number.` };
    }
    case 'boolean':
      return s in booleans ? { ok: true, value: booleans[s]! } : { ok: false, message: `"${clip(s)}" is not true or false.` };
    case 'date':
      return looksLikeIsoDate(s) ? { ok: true, value: s } : { ok: false, message: `"${clip(s)}" is not an ISO date or date-time.` };
  }
}

const clip = (s: string): string => (s.length > 40 ? `${s.slice(0, 40)}…` : s);
