/**
 * The cron builder's model: the few shapes an operator picks from (every hour, every day,
 * some weekdays, a day of the month) to and from a 5-field cron string. Anything else stays
 * a custom expression typed by hand; the server validates every cron (POST /v1/schedules/preview).
 */
export type CronMode = 'hourly' | 'daily' | 'weekly' | 'monthly' | 'custom';

export interface CronParts {
  mode: CronMode;
  /** 0–23 (ignored for hourly). */
  hour: number;
  minute: number;
  /** Cron weekdays: 0 = Sunday … 6 = Saturday. */
  weekdays: number[];
  /** 1–31. */
  monthDay: number;
  /** The expression itself when mode is custom. */
  custom: string;
}

export const defaultCronParts: CronParts = { mode: 'weekly', hour: 9, minute: 0, weekdays: [1], monthDay: 1, custom: '0 9 * * 1' };

/** Weekday lists as cron writes them: consecutive days become ranges (1,2,3,4,5 → 1-5). */
function weekdayField(days: number[]): string {
  const sorted = [...new Set(days)].filter((d) => d >= 0 && d <= 6).sort((a, b) => a - b);
  if (sorted.length === 0) return '*';
  const parts: string[] = [];
  let start = sorted[0]!;
  let prev = start;
  for (const d of [...sorted.slice(1), Number.NaN]) {
    if (d === prev + 1) { prev = d; continue; }
    parts.push(prev - start >= 2 ? `${start}-${prev}` : start === prev ? `${start}` : `${start},${prev}`);
    start = d;
    prev = d;
  }
  return parts.join(',');
}

export function toCron(p: CronParts): string {
  switch (p.mode) {
    case 'hourly': return `${p.minute} * * * *`;
    case 'daily': return `${p.minute} ${p.hour} * * *`;
    case 'weekly': return `${p.minute} ${p.hour} * * ${weekdayField(p.weekdays)}`;
    case 'monthly': return `${p.minute} ${p.hour} ${p.monthDay} * *`;
    case 'custom': return p.custom.trim();
  }
}

const num = (s: string, max: number): number | null => (/^\d{1,2}$/.test(s) && Number(s) <= max ? Number(s) : null);

function parseWeekdays(field: string): number[] | null {
  const out: number[] = [];
  for (const part of field.split(',')) {
    const range = /^(\d)-(\d)$/.exec(part);
    if (range) {
      const a = Number(range[1]);
      const b = Number(range[2]);
      if (a > b || b > 6) return null;
      for (let d = a; d <= b; d++) out.push(d);
    } else {
      const d = num(part, 7);
      if (d === null) return null;
      out.push(d % 7); // 7 is Sunday too
    }
  }
  return out;
}

/** The builder's view of a cron string; shapes it cannot show come back as custom. */
export function fromCron(cron: string): CronParts {
  const custom: CronParts = { ...defaultCronParts, mode: 'custom', custom: cron };
  const f = cron.trim().split(/\s+/);
  if (f.length !== 5) return custom;
  const [mi, h, dom, mon, dow] = f as [string, string, string, string, string];
  const minute = num(mi, 59);
  if (minute === null || mon !== '*') return custom;
  if (h === '*' && dom === '*' && dow === '*') return { ...defaultCronParts, mode: 'hourly', minute, custom: cron };
  const hour = num(h, 23);
  if (hour === null) return custom;
  if (dom === '*' && dow === '*') return { ...defaultCronParts, mode: 'daily', hour, minute, custom: cron };
  if (dom === '*') {
    const weekdays = parseWeekdays(dow);
    return weekdays ? { ...defaultCronParts, mode: 'weekly', hour, minute, weekdays, custom: cron } : custom;
  }
  const monthDay = num(dom, 31);
  if (dow === '*' && monthDay !== null && monthDay >= 1) return { ...defaultCronParts, mode: 'monthly', hour, minute, monthDay, custom: cron };
  return custom;
}

/** One-click schedules operators ask for most. */
export const cronPresets = [
  { key: 'daily9', cron: '0 9 * * *' },
  { key: 'monday9', cron: '0 9 * * 1' },
  { key: 'weekdays10', cron: '0 10 * * 1-5' },
  { key: 'weekend10', cron: '0 10 * * 0,6' },
  { key: 'monthFirst10', cron: '0 10 1 * *' },
] as const;
export type CronPresetKey = (typeof cronPresets)[number]['key'];

/** An instant as `YYYY-MM-DD HH:mm` on the wall clock of `timeZone` (the workspace's). */
export function formatInZone(iso: string, timeZone: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(d);
  const get = (type: string) => parts.find((x) => x.type === type)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}`;
}
