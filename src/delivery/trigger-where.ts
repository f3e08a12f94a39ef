import { DateTime } from 'luxon';
import type { PropCondition } from '../audiences/definition.schema.ts';

/**
 * A trigger's `where` on one event's properties, in memory — the same operators and meaning as
 * a segment behaviour condition's `where` (docs/segments.md), whose compiler only emits SQL for
 * sets of events. Semantics kept equal to the SQL of an untyped property:
 * - each value is compared by its own JSON type: the string "10" never equals 10, `gt` skips strings;
 * - a missing property fails every operator except `neq`, `notIn` and `notExists`;
 * - `contains`/`startsWith` are case-sensitive;
 * - dates: an ISO day (`2026-03-01`) or relative day (`T-3`) compares calendar days in the
 *   workspace timezone; a full ISO time compares instants (`on` still means the same local day);
 *   `withinLastDays N` is the last N×24 hours up to now; `between` is inclusive.
 * tested in trigger-where.test.ts.
 */
export function matchesWhere(where: PropCondition[] | undefined, props: Record<string, unknown>, timezone: string, now: Date): boolean {
  return (where ?? []).every((c) => matchesOne(c, props, timezone, now));
}

type Val = string | number | boolean | (string | number | boolean)[] | undefined;

function matchesOne(c: PropCondition, props: Record<string, unknown>, tz: string, now: Date): boolean {
  const present = Object.prototype.hasOwnProperty.call(props, c.prop) && props[c.prop] !== null && props[c.prop] !== undefined;
  const v = props[c.prop];
  const want = c.value as Val;
  switch (c.op) {
    case 'exists': return present;
    case 'notExists': return !present;
    case 'eq': return present && sameJson(v, want);
    case 'neq': return !(present && sameJson(v, want));
    case 'in': return present && Array.isArray(want) && want.some((w) => sameJson(v, w));
    case 'notIn': return !(present && Array.isArray(want) && want.some((w) => sameJson(v, w)));
    case 'contains': return typeof v === 'string' && typeof want === 'string' && v.includes(want);
    case 'startsWith': return typeof v === 'string' && typeof want === 'string' && v.startsWith(want);
    case 'gt': return typeof v === 'number' && typeof want === 'number' && v > want;
    case 'gte': return typeof v === 'number' && typeof want === 'number' && v >= want;
    case 'lt': return typeof v === 'number' && typeof want === 'number' && v < want;
    case 'lte': return typeof v === 'number' && typeof want === 'number' && v <= want;
    case 'between':
      if (Array.isArray(want) && want.length === 2 && typeof want[0] === 'number' && typeof want[1] === 'number') {
        return typeof v === 'number' && v >= want[0] && v <= want[1];
      }
      return dateMatches('between', v, want, tz, now);
    case 'before': case 'after': case 'on': case 'withinLastDays':
      return dateMatches(c.op, v, want, tz, now);
  }
}

/** JSON equality of scalars: type and value. */
const sameJson = (a: unknown, b: unknown): boolean => typeof a === typeof b && a === b;

/** A day bound: `T-3`/`2026-03-01` → that local day; a full ISO time → that instant. */
type Bound = { day: string } | { at: number };
function boundOf(x: unknown, tz: string, now: Date): Bound | null {
  if (typeof x !== 'string') return null;
  const rel = /^T([+-]\d{1,5})$/.exec(x);
  if (rel) return { day: DateTime.fromJSDate(now, { zone: tz }).plus({ days: Number(rel[1]) }).toISODate()! };
  if (/^\d{4}-\d{2}-\d{2}$/.test(x)) return { day: x };
  const t = DateTime.fromISO(x, { zone: tz });
  return t.isValid ? { at: t.toMillis() } : null;
}

function dateMatches(op: 'before' | 'after' | 'on' | 'between' | 'withinLastDays', v: unknown, want: Val, tz: string, now: Date): boolean {
  if (typeof v !== 'string') return false;
  const t = DateTime.fromISO(v, { zone: tz });
  if (!t.isValid) return false;
  const ms = t.toMillis();
  const day = t.setZone(tz).toISODate()!;
  const cmp = (b: Bound): number => ('day' in b ? (day < b.day ? -1 : day > b.day ? 1 : 0) : Math.sign(ms - b.at));
  const onDay = (b: Bound): boolean => day === ('day' in b ? b.day : DateTime.fromMillis(b.at, { zone: tz }).toISODate());
  if (op === 'withinLastDays') return typeof want === 'number' && ms >= now.getTime() - want * 86_400_000 && ms <= now.getTime();
  if (op === 'between') {
    if (!Array.isArray(want) || want.length !== 2) return false;
    const lo = boundOf(want[0], tz, now), hi = boundOf(want[1], tz, now);
    return !!lo && !!hi && cmp(lo) >= 0 && cmp(hi) <= 0;
  }
  const b = boundOf(want, tz, now);
  if (!b) return false;
  if (op === 'on') return onDay(b);
  return op === 'before' ? cmp(b) < 0 : cmp(b) > 0;
}
