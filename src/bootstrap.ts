import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock } from './platform/clock.ts';
import { systemClock } from './platform/clock.ts';
import type { Config } from './platform/config.ts';
import type { Platform } from './platform/context.ts';
import { createCounters } from './platform/counters/counters.factory.ts';
import type { Counters } from './platform/counters/counters.port.ts';
import { createDb, migrateToLatest } from './platform/db.ts';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './platform/embedded-pg.ts';
import { hashSecret, newSecret } from './platform/ids.ts';
import { Jobs } from './platform/jobs.ts';
import { createLogger, type Logger } from './platform/logger.ts';
import { registerSegmentJobs } from './audiences/segments.service.ts';
import { registerCustomerJobs } from './customers/customers.jobs.ts';
import { registerDeliveryJobs } from './delivery/delivery.service.ts';
import { registerChannels } from './channels/channels.service.ts';
import { registerMaintenanceJobs } from './platform/maintenance.ts';
import { registerWorkspaceJobs } from './workspaces/workspaces.service.ts';
import { registerLinkJobs } from './links/links.service.ts';
import { registerAlertJobs } from './alerts/alerts.jobs.ts';
import { registerCouponJobs } from './coupons/coupons.jobs.ts';
import { registerLotteryJobs } from './lotteries/lotteries.jobs.ts';
import { registerPointsJobs } from './points/points.jobs.ts';

/**
 * The composition root: database (embedded unless DATABASE_URL), migrations, job queue,
 * root key, and every domain's jobs. The CLI and the tests both start here.
 */
export interface Runtime {
  platform: Platform;
  /** Set when the root key was generated now: print it once. */
  newRootKey?: string;
  close(): Promise<void>;
}

export interface RuntimeOptions {
  config: Config;
  clock?: Clock;
  log?: Logger;
  /** graphile-worker schema; tests give each file its own so queues never mix. */
  jobsSchema?: string;
  poolSize?: number;
}

export async function createRuntime(opts: RuntimeOptions): Promise<Runtime> {
  const log = opts.log ?? createLogger(opts.config.logLevel);
  let embedded: EmbeddedDatabase | undefined;
  let url = opts.config.databaseUrl;
  if (!url) {
    embedded = await startEmbeddedPostgres(opts.config.dataDir, opts.config.embeddedPgPort, log);
    url = embedded.url;
  }
  const { db, pool } = createDb(url, opts.poolSize ?? 20);
  let counters: Counters | undefined;
  try {
    await migrateToLatest(db as never);
    const jobs = new Jobs(opts.jobsSchema ?? opts.config.jobsSchema, pool, log);
    await jobs.migrate();
    const root = resolveRootKey(opts.config);
    const clock = opts.clock ?? systemClock;
    counters = await createCounters(opts.config, db, clock, log, pool);
    const platform: Platform = { config: opts.config, db, pool, jobs, clock, log, counters, rootKeyHash: hashSecret(root.key) };
    registerSegmentJobs(platform);
    registerCustomerJobs(platform);
    registerDeliveryJobs(platform);
    registerChannels(platform);
    registerMaintenanceJobs(platform);
    registerWorkspaceJobs(platform);
    registerLinkJobs(platform);
    registerCouponJobs(platform);
    registerLotteryJobs(platform);
    registerPointsJobs(platform);
    registerAlertJobs(platform);
    return {
      platform,
      newRootKey: root.generated ? root.key : undefined,
      close: async () => {
        await platform.counters.close();
        await db.destroy();
        if (embedded) await embedded.stop();
      },
    };
  } catch (err) {
    await counters?.close().catch(() => undefined);
    await db.destroy().catch(() => undefined);
    if (embedded) await embedded.stop().catch(() => undefined);
    throw err;
  }
}

/** MARKETLOOP_ROOT_KEY, else the key stored in the data dir, else a new one stored there. */
function resolveRootKey(config: Config): { key: string; generated: boolean } {
  if (config.rootKey) return { key: config.rootKey, generated: false };
  const file = join(config.dataDir, 'root-key');
  if (existsSync(file)) return { key: readFileSync(file, 'utf8').trim(), generated: false };
  mkdirSync(config.dataDir, { recursive: true });
  const key = newSecret('mlroot');
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return { key, generated: true };
}
