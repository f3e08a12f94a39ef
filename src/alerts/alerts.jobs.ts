import { z } from 'zod';
import type { Platform } from '../platform/context.ts';
import { MONITOR_JOB, NOTIFY_JOB, notify, runMonitors } from './alerts.service.ts';

/** Alert notifications (webhook to approvers) and the per-minute loss monitors: registered by bootstrap.ts. */
export function registerAlertJobs(p: Platform): void {
  p.jobs.define({
    name: NOTIFY_JOB,
    payload: z.object({ workspaceId: z.string(), alertId: z.string() }),
    handle: async ({ workspaceId, alertId }) => notify(p, workspaceId, alertId),
  });
  p.jobs.define({
    name: MONITOR_JOB,
    payload: z.object({ workspaceId: z.string().optional() }).default({}),
    handle: async ({ workspaceId }) => runMonitors(p, workspaceId),
    cron: '* * * * *',
  });
}
