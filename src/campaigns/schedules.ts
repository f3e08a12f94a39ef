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

// ---- readable summaries (POST /v1/schedules/preview) ----

const dayEn = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const dayZh = ['日', '一', '二', '三', '四', '五', '六'];
const pad = (n: number) => String(n).padStart(2, '0');

/** The numbers a simple cron field lists ("1", "1,3,5", "1-5"), or null when it is anything else. */
function listOf(field: string, min: number, max: number): number[] | null {
  const out: number[] = [];
  for (const part of field.split(',')) {
    const range = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!range) return null;
    const a = Number(range[1]), b = range[2] === undefined ? a : Number(range[2]);
    if (a < min || b > max || b < a) return null;
    for (let i = a; i <= b; i++) out.push(i);
  }
  return [...new Set(out)].sort((x, y) => x - y);
}

const joinEn = (xs: string[]) => (xs.length <= 1 ? xs.join('') : `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`);

/**
 * A cron in words, English and Chinese: "every Monday 09:00", "每周一 09:00". Common shapes
 * (daily, weekdays listed, days of the month, hourly, every N minutes) get words; anything
 * else is shown as the cron itself rather than described wrongly.
 */
export function describeCron(cron: string): { en: string; zh: string } {
  const [min, hour, dom, mon, dow] = cron.trim().split(/\s+/) as [string, string, string, string, string];
  const everyN = /^\*\/(\d+)$/.exec(min);
  if (everyN && hour === '*' && dom === '*' && mon === '*' && dow === '*') return { en: `every ${everyN[1]} minutes`, zh: `每${everyN[1]}分钟` };
  const m = listOf(min, 0, 59);
  if (m?.length === 1 && hour === '*' && dom === '*' && mon === '*' && dow === '*') return { en: `every hour at minute ${m[0]}`, zh: `每小时第${m[0]}分钟` };
  const h = listOf(hour, 0, 23);
  if (m?.length === 1 && h && mon === '*') {
    const times = h.map((x) => `${pad(x)}:${pad(m[0]!)}`);
    const tEn = joinEn(times), tZh = times.join('、');
    if (dom === '*' && dow === '*') return { en: `every day ${tEn}`, zh: `每天 ${tZh}` };
    const days = dom === '*' ? listOf(dow, 0, 7)?.map((d) => d % 7) : null;
    if (days) {
      const uniq = [...new Set(days)].sort((a, b) => a - b);
      if (uniq.join() === '1,2,3,4,5') return { en: `every weekday (Monday to Friday) ${tEn}`, zh: `每个工作日（周一至周五）${tZh}` };
      return { en: `every ${joinEn(uniq.map((d) => dayEn[d]!))} ${tEn}`, zh: `每周${uniq.map((d) => dayZh[d]!).join('、')} ${tZh}` };
    }
    const dates = dow === '*' ? listOf(dom, 1, 31) : null;
    if (dates) return { en: `on day ${joinEn(dates.map(String))} of every month ${tEn}`, zh: `每月${dates.map((d) => `${d}日`).join('、')} ${tZh}` };
  }
  return { en: `cron "${cron}"`, zh: `按 cron "${cron}"` };
}

/** The next `n` occurrences at or after `from`, before `until`. */
export function nextOccurrences(cron: string, from: Date, timezone: string, n: number, until?: Date): Date[] {
  const it = CronExpressionParser.parse(cron, { currentDate: new Date(from.getTime() - 1), tz: timezone });
  const out: Date[] = [];
  while (out.length < n) {
    const d = it.next().toDate();
    if (until && d >= until) break;
    out.push(d);
  }
  return out;
}
