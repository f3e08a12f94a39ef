import { z } from 'zod';
import type { Platform } from '../platform/context.ts';
import { registerReferralJobs } from '../referrals/referrals.jobs.ts';
import { expireDue } from './points.service.ts';

/** Points expiry: every 10 minutes the lapsed lots are expired (idempotent per lot). Also the referrals' jobs and event hook. */
export function registerPointsJobs(p: Platform): void {
  p.jobs.define({ name: 'points.expire', payload: z.object({}).passthrough(), cron: '*/10 * * * *', handle: async () => { await expireDue(p); } });
  registerReferralJobs(p);
}
