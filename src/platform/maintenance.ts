import { z } from 'zod';
import type { Platform } from './context.ts';
import { PgCounters } from './counters/pg-counters.adapter.ts';

// Idempotency keys protect retries, which happen within minutes or hours; a week is generous.
const IDEMPOTENCY_RETENTION = '7 days';

/** Hourly housekeeping of platform tables (idempotency keys, heartbeats of long-gone processes, expired counters). */
export function registerMaintenanceJobs(p: Platform): void {
  p.jobs.define({
    name: 'maintenance.hourly',
    payload: z.object({}),
    cron: '17 * * * *',
    handle: async () => {
      await p.pool.query(`delete from idempotency_keys where created_at < now() - interval '${IDEMPOTENCY_RETENTION}'`);
      await p.pool.query("delete from worker_heartbeats where heartbeat_at < now() - interval '1 day'");
      // Redis expires its own keys; PostgreSQL counter rows of past windows are deleted here.
      if (p.counters instanceof PgCounters) await p.counters.purgeExpired();
    },
  });
}
