import type pg from 'pg';
import type { Clock } from './clock.ts';
import type { Config } from './config.ts';
import type { Counters } from './counters/counters.port.ts';
import type { Db } from './db.ts';
import type { Jobs } from './jobs.ts';
import type { Logger } from './logger.ts';

/** What every service needs from the platform; built once by src/bootstrap.ts. */
export interface Platform {
  config: Config;
  db: Db;
  pool: pg.Pool;
  jobs: Jobs;
  clock: Clock;
  log: Logger;
  /** Stock, limits, budgets, caps, rate limits: PostgreSQL, or Redis when REDIS_URL is set. */
  counters: Counters;
  /** The key that may only manage workspaces (API.md "Auth"). */
  rootKeyHash: string;
}
