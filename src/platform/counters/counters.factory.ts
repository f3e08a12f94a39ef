import type pg from 'pg';
import type { Clock } from '../clock.ts';
import type { Config } from '../config.ts';
import type { Db } from '../db.ts';
import type { Logger } from '../logger.ts';
import { PgCounters } from './pg-counters.adapter.ts';
import type { Counters } from './counters.port.ts';
import { connectRedisCounters } from './redis-counters.adapter.ts';

/** Redis when REDIS_URL is set (DESIGN.md "Hot counters"), PostgreSQL otherwise. */
export async function createCounters(config: Config, db: Db, clock: Clock, log: Logger, pool?: pg.Pool): Promise<Counters> {
  if (!config.redisUrl) return new PgCounters(db, clock, pool);
  const counters = await connectRedisCounters({ url: config.redisUrl, clock, log });
  log.info({ adapter: 'redis' }, 'hot counters in Redis');
  return counters;
}
