import { DateTime } from 'luxon';

/**
 * Quiet hours in the workspace timezone. `start` is inside, `end` is not; `start` > `end`
 * spans midnight. Minutes are compared, so 08:59:59 is still inside 21:00–09:00.
 */
export interface QuietHours {
  start: string;
  end: string;
}

const minutes = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** When `at` falls in quiet hours, the instant they end (the next local `end`); otherwise null. */
export function quietUntil(at: Date, quiet: QuietHours | null, timezone: string): Date | null {
  if (!quiet) return null;
  const t = DateTime.fromJSDate(at, { zone: timezone });
  const now = t.hour * 60 + t.minute;
  const s = minutes(quiet.start);
  const e = minutes(quiet.end);
  const inside = s < e ? now >= s && now < e : now >= s || now < e;
  if (!inside) return null;
  let end = t.set({ hour: Math.floor(e / 60), minute: e % 60, second: 0, millisecond: 0 });
  if (end <= t) end = end.plus({ days: 1 });
  return end.toJSDate();
}
