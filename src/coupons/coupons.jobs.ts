import { z } from 'zod';
import type { Platform } from '../platform/context.ts';
import { expireDue } from './coupons.service.ts';
import { reconcileAll, reconcileWorkspace } from './coupons.reconcile.ts';
import { registerCouponMonitors } from './coupons.monitors.ts';
import { dropEndedUserCounters } from './coupons.user-counters.ts';

export const EXPIRE_JOB = 'coupons.expire';
export const RECONCILE_JOB = 'coupons.reconcile';
export const DROP_USER_COUNTERS_JOB = 'coupons.drop-user-counters';

/** Expiry (every minute), reconciliation (every 10 minutes, and on demand), dropping ended templates' per-user counters (daily), loss monitors: registered by bootstrap.ts. */
export function registerCouponJobs(p: Platform): void {
  p.jobs.define({ name: EXPIRE_JOB, payload: z.object({}).default({}), handle: async () => { await expireDue(p); }, cron: '* * * * *' });
  p.jobs.define({
    name: RECONCILE_JOB,
    payload: z.object({ workspaceId: z.string().optional() }).default({}),
    handle: async ({ workspaceId }) => { if (workspaceId) await reconcileWorkspace(p, workspaceId); else await reconcileAll(p); },
    cron: '*/10 * * * *',
  });
  p.jobs.define({ name: DROP_USER_COUNTERS_JOB, payload: z.object({}).default({}), handle: async () => { await dropEndedUserCounters(p); }, cron: '23 4 * * *' });
  registerCouponMonitors();
}
