import { CronExpressionParser } from 'cron-parser';

/**
 * Recurring schedules: a 5-field cron read in the workspace timezone (cron-parser handles DST).
 * Only the next occurrence is ever computed, from "now": that is what makes runs missed during
 * downtime run once, not once per missed occurrence.
 */

/** Why `cron` is not a 5-field cron expression, or null. */
export function cronProblem(cron: string): string | null {
  if (cron.trim().split(/\s+/).length !== 5) return 'A cron has 5 fields: minute hour day-of-month month day-of-week.';
  try {
    CronExpressionParser.parse(cron, { tz: 'UTC' });
    return null;
  } catch (err) {
    return err instanceof Error ? err.message : 'Not a valid cron expression.';
  }
}

/** The first occurrence at or after `from`, in `timezone`. */
export function occurrenceFrom(cron: string, from: Date, timezone: string): Date {
  return CronExpressionParser.parse(cron, { currentDate: new Date(from.getTime() - 1), tz: timezone }).next().toDate();
}
