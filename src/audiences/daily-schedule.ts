import { DateTime } from 'luxon';

/**
 * The first instant strictly after `after` at which it is `refreshAt` ("HH:MM") in `timezone`.
 * Always strictly later, so a scheduler that was down for days runs a due segment once and
 * then waits for the next local day instead of catching up run by run. A local time that a
 * daylight-saving jump skips runs at the first instant after the jump.
 */
export function nextDailyRun(after: Date, refreshAt: string, timezone: string): Date {
  const [hour, minute] = refreshAt.split(':').map(Number) as [number, number];
  const local = DateTime.fromJSDate(after, { zone: timezone });
  for (let days = 0; days <= 2; days++) {
    const candidate = local.startOf('day').plus({ days }).set({ hour, minute, second: 0, millisecond: 0 });
    if (candidate.toMillis() > after.getTime()) return candidate.toJSDate();
  }
  throw new Error(`no next run for ${refreshAt} in ${timezone}`);
}
