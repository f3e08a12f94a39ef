import { DateTime } from 'luxon';
import { AppError } from '../errors.ts';
import type { FixedWindow, RollingWindow, SlidingWindow } from './counters.port.ts';

/**
 * Windows in workspace-local days. Days are what operators read ("2 per day", "at most 3 SMS
 * in 7 days") and the workspace timezone decides where a day ends (DESIGN.md: time stored UTC,
 * read in the workspace timezone). Pass the injected clock's now, never `new Date()`.
 */

/**
 * The workspace-local day containing `at`: id `d2026-11-22`, ending at the next local midnight.
 * The last day computed per timezone is kept and answered while `at` falls inside it: luxon's
 * zone arithmetic on every grant and draw was a visible share of their CPU.
 */
export function dayWindow(at: Date, timezone: string): FixedWindow {
  const t = at.getTime();
  const hit = lastDay.get(timezone);
  if (hit && t >= hit.start && t < hit.w.expiresAt.getTime()) return hit.w;
  const day = localDay(at, timezone);
  const w: FixedWindow = { kind: 'fixed', id: dayId(day), expiresAt: day.plus({ days: 1 }).toJSDate() };
  lastDay.set(timezone, { start: day.toMillis(), w });
  return w;
}
const lastDay = new Map<string, { start: number; w: FixedWindow }>();

/**
 * The last `days` workspace-local days up to and including the day of `at`, one bucket per
 * day. Today's bucket stays until it leaves the last window that counts it: the local midnight
 * `days` days after today's start.
 */
export function lastDaysWindow(at: Date, timezone: string, days: number): SlidingWindow {
  if (!Number.isInteger(days) || days < 1 || days > 366) {
    throw new AppError('validation_failed', 'A sliding window spans 1 to 366 days.', [{ path: 'days', message: `got ${days}` }]);
  }
  // As dayWindow: the last window per (timezone, length) is answered while `at` is in its day.
  const t = at.getTime();
  const hit = lastWindow.get(`${timezone}|${days}`);
  if (hit && t >= hit.start && t < hit.end) return hit.w;
  const today = localDay(at, timezone);
  const ids: string[] = [];
  for (let i = days - 1; i >= 0; i--) ids.push(dayId(today.minus({ days: i })));
  const w: SlidingWindow = { kind: 'sliding', ids, expiresAt: today.plus({ days }).toJSDate() };
  lastWindow.set(`${timezone}|${days}`, { start: today.toMillis(), end: today.plus({ days: 1 }).toMillis(), w });
  return w;
}
const lastWindow = new Map<string, { start: number; end: number; w: SlidingWindow }>();

/** A bucket that starts at its first take and lasts `ms` (rate limits). */
export const rollingWindow = (ms: number): RollingWindow => ({ kind: 'rolling', ms });

function localDay(at: Date, timezone: string): DateTime {
  const t = DateTime.fromJSDate(at, { zone: timezone });
  if (!t.isValid) throw new AppError('validation_failed', 'Unknown timezone.', [{ path: 'timezone', message: `${timezone}: ${t.invalidExplanation ?? 'invalid'}` }]);
  // startOf('day') is the local midnight, also on days a DST change makes 23 or 25 hours long.
  return t.startOf('day');
}

const dayId = (day: DateTime): string => `d${day.toISODate() ?? ''}`;
