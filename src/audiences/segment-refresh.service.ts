import type { Platform } from '../platform/context.ts';
import * as workspaces from '../workspaces/workspaces.service.ts';
import { nextDailyRun } from './daily-schedule.ts';
import * as repo from './segments.repo.ts';

const BATCH = 200;

/**
 * Queues the recomputation of every `daily` segment whose workspace-local refresh time has
 * come, and moves each to its next local day. The next run is computed from now, so after
 * downtime a segment that missed several days is recomputed once, not once per missed day.
 * Runs every minute from the crontab; safe to run concurrently (rows are taken with SKIP LOCKED).
 */
export async function refreshDueSegments(p: Platform): Promise<number> {
  let queued = 0;
  for (;;) {
    const n = await p.db.transaction().execute(async (tx) => {
      const now = p.clock.now();
      const due = await repo.dueDailySegments(tx, now, BATCH);
      const zones = new Map<string, string>();
      for (const s of due) {
        let tz = zones.get(s.workspaceId);
        if (!tz) zones.set(s.workspaceId, (tz = (await workspaces.settings(tx, s.workspaceId)).timezone));
        await repo.updateSegment(tx, s.workspaceId, s.id, { nextRefreshAt: nextDailyRun(now, s.refreshAt, tz), status: 'computing' }, now);
        await p.jobs.enqueue(tx, 'segments.compute', { workspaceId: s.workspaceId, segmentId: s.id, reason: 'daily' }, { jobKey: `segment:${s.id}` });
      }
      return due.length;
    });
    queued += n;
    if (n < BATCH) return queued;
  }
}
