import { sql, type RawBuilder } from 'kysely';
import { DateTime } from 'luxon';
import { invalid, type Path } from './definition-errors.ts';

/**
 * Dates of the definition language (API.md "Exact meaning"): a value given as a day — an ISO
 * date or a relative day `T-3` — is a calendar day in the workspace timezone; a full ISO time
 * is an instant. Turned into instants here so SQL compares plain timestamptz values.
 */
type Sql = RawBuilder<unknown>;

export interface DayContext {
  timezone: string;
  now: Date;
}

export interface DayOrInstant {
  kind: 'day' | 'instant';
  /** Start of the day (day) or the instant itself. */
  start: Date;
  /** Start of the next local day: after the day, or after the instant's local day. */
  nextDay: Date;
  /** Start of the local day the value falls on (for `on`). */
  dayStart: Date;
}

export function parseDay(value: unknown, ctx: DayContext, path: Path): DayOrInstant {
  if (typeof value !== 'string') invalid(path, 'A date: ISO date/time or relative day such as T-3.');
  const rel = /^T([+-]\d{1,5})$/.exec(value);
  if (rel || /^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const day = rel
      ? DateTime.fromJSDate(ctx.now, { zone: ctx.timezone }).startOf('day').plus({ days: Number(rel[1]) })
      : DateTime.fromISO(value, { zone: ctx.timezone }).startOf('day');
    if (!day.isValid) invalid(path, `Not a valid date: ${value}.`);
    return { kind: 'day', start: day.toJSDate(), nextDay: day.plus({ days: 1 }).toJSDate(), dayStart: day.toJSDate() };
  }
  const t = DateTime.fromISO(value, { setZone: true });
  if (!t.isValid) invalid(path, `Not a valid date/time: ${value}.`);
  const local = t.setZone(ctx.timezone).startOf('day');
  return { kind: 'instant', start: t.toJSDate(), nextDay: local.plus({ days: 1 }).toJSDate(), dayStart: local.toJSDate() };
}

/** A half-open or closed instant range; an empty one (low after high) matches nothing. */
function inRange(ts: Sql, lo: Date, hi: Date, bounds: '[)' | '[]'): Sql {
  if (lo.getTime() > hi.getTime() || (bounds === '[)' && lo.getTime() === hi.getTime())) return sql`false`;
  // One evaluation of `ts` (it may be an attribute parsed out of JSON, or an aggregate).
  return sql`(tstzrange(${lo}::timestamptz, ${hi}::timestamptz, ${bounds}) @> ${ts})`;
}

/**
 * A date condition over the timestamptz expression `ts`. NULL when `ts` is NULL (missing), so
 * callers wrap it in coalesce(…, false).
 */
export function dateCondition(ts: Sql, op: string, value: unknown, ctx: DayContext, path: Path): Sql {
  const vpath = [...path, 'value'];
  switch (op) {
    case 'before': {
      const d = parseDay(value, ctx, vpath);
      return sql`(${ts} < ${d.start}::timestamptz)`;
    }
    case 'after': {
      const d = parseDay(value, ctx, vpath);
      return d.kind === 'day' ? sql`(${ts} >= ${d.nextDay}::timestamptz)` : sql`(${ts} > ${d.start}::timestamptz)`;
    }
    case 'on': {
      const d = parseDay(value, ctx, vpath);
      return inRange(ts, d.dayStart, d.nextDay, '[)');
    }
    case 'between': {
      if (!Array.isArray(value) || value.length !== 2) invalid(vpath, 'between takes [low, high].');
      const lo = parseDay(value[0], ctx, [...vpath, 0]);
      const hi = parseDay(value[1], ctx, [...vpath, 1]);
      return hi.kind === 'day' ? inRange(ts, lo.start, hi.nextDay, '[)') : inRange(ts, lo.start, hi.start, '[]');
    }
    case 'withinLastDays': {
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) invalid(vpath, 'A whole number of days ≥ 1.');
      return inRange(ts, new Date(ctx.now.getTime() - value * 86_400_000), ctx.now, '[]');
    }
    default:
      return invalid([...path, 'op'], `${op} does not apply to a date; use before, after, on, between or withinLastDays.`);
  }
}
