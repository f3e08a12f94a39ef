import { DateTime } from 'luxon';
import type { Schedule } from './campaigns.schema.ts';
import { describeCron, nextOccurrences } from './schedules.ts';

/**
 * What a task schedule means, for people: a summary in English and Chinese and its next three
 * run times, read in the workspace timezone (POST /v1/schedules/preview). The run times are
 * the schedule's own; the campaign's dates still bound them when the task runs.
 */
export function previewSchedule(s: Schedule, timezone: string, now: Date): { summary: string; summaryZh: string; nextRuns: string[]; timezone: string } {
  const local = (d: Date) => DateTime.fromJSDate(d, { zone: timezone }).toFormat('yyyy-MM-dd HH:mm');
  const iso = (d: Date) => DateTime.fromJSDate(d, { zone: timezone }).toISO()!;
  switch (s.type) {
    case 'now':
      return { summary: 'once, as soon as the campaign is approved', summaryZh: '审批通过后立即发送一次', nextRuns: [iso(now)], timezone };
    case 'at': {
      const at = new Date(s.at);
      return { summary: `once at ${local(at)} (${timezone})`, summaryZh: `在 ${local(at)} 发送一次（${timezone}）`, nextRuns: at > now ? [iso(at)] : [], timezone };
    }
    case 'recurring': {
      const words = describeCron(s.cron);
      const from = new Date(Math.max(now.getTime(), s.from ? new Date(s.from).getTime() : 0));
      const runs = nextOccurrences(s.cron, from, timezone, 3, s.until ? new Date(s.until) : undefined);
      const untilEn = s.until ? `, until ${local(new Date(s.until))}` : '';
      const untilZh = s.until ? `，截至 ${local(new Date(s.until))}` : '';
      return { summary: `${words.en} (${timezone})${untilEn}`, summaryZh: `${words.zh}（${timezone}）${untilZh}`, nextRuns: runs.map(iso), timezone };
    }
    case 'trigger': {
      const n = s.where?.length ?? 0;
      const whereEn = n ? ` matching ${n} condition${n > 1 ? 's' : ''}` : '';
      const whereZh = n ? `（满足 ${n} 个条件）` : '';
      const delay = s.delayMinutes ?? 0;
      return {
        summary: `when a user does "${s.event}"${whereEn}${delay ? `, ${delay} minutes later` : ', at once'}`,
        summaryZh: `用户发生「${s.event}」${whereZh}时${delay ? `，${delay} 分钟后发送` : '立即发送'}`,
        nextRuns: [], timezone,
      };
    }
  }
}
