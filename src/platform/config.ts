import { resolve } from 'node:path';
import { z } from 'zod';

/**
 * Every environment variable the platform reads, parsed once. README "Configuration"
 * lists the same set; keep them in step.
 */
const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('127.0.0.1'),
  MARKETLOOP_DATA_DIR: z.string().default('./data'),
  DATABASE_URL: z.string().url().optional(),
  REDIS_URL: z.string().url().optional(),
  MARKETLOOP_ROOT_KEY: z.string().min(16).optional(),
  MARKETLOOP_SECRET_KEY: z.string().min(16).optional(),
  MARKETLOOP_PUBLIC_URL: z.string().url().optional(),
  MARKETLOOP_WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(4),
  MARKETLOOP_WORKER_STALE_MS: z.coerce.number().int().min(500).default(30_000),
  MARKETLOOP_JOBS_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/).default('graphile_worker'),
  MARKETLOOP_DELIVERY_BATCH: z.coerce.number().int().min(1).max(10_000).default(1000),
  MARKETLOOP_CLICK_FOLD_DELAY_MS: z.coerce.number().int().min(0).max(600_000).default(2000),
  MARKETLOOP_EMBEDDED_PG_PORT: z.coerce.number().int().min(1).max(65535).default(54329),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

/** Every variable the platform reads (README "Configuration" must list exactly these). */
export const envVarNames = (): string[] => Object.keys(envSchema.shape);

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl?: string;
  redisUrl?: string;
  rootKey?: string;
  /** Encrypts provider credentials at rest; unset: a key generated in the data dir (src/channels/secret-box.ts). */
  secretKey?: string;
  publicUrl: string;
  workerConcurrency: number;
  workerStaleMs: number;
  embeddedPgPort: number;
  /** PostgreSQL schema of the job queue (graphile-worker). */
  jobsSchema: string;
  /** Recipients per delivery job. */
  deliveryBatchSize: number;
  /** How long the click log gathers before a fold runs (links/click-recorder.ts); 0 folds at once. */
  clickFoldDelayMs: number;
  logLevel: string;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const shownHost = e.HOST === '0.0.0.0' ? '127.0.0.1' : e.HOST;
  return {
    port: e.PORT,
    host: e.HOST,
    dataDir: resolve(e.MARKETLOOP_DATA_DIR),
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    rootKey: e.MARKETLOOP_ROOT_KEY,
    secretKey: e.MARKETLOOP_SECRET_KEY,
    publicUrl: (e.MARKETLOOP_PUBLIC_URL ?? `http://${shownHost}:${e.PORT}`).replace(/\/$/, ''),
    workerConcurrency: e.MARKETLOOP_WORKER_CONCURRENCY,
    workerStaleMs: e.MARKETLOOP_WORKER_STALE_MS,
    embeddedPgPort: e.MARKETLOOP_EMBEDDED_PG_PORT,
    deliveryBatchSize: e.MARKETLOOP_DELIVERY_BATCH,
    clickFoldDelayMs: e.MARKETLOOP_CLICK_FOLD_DELAY_MS,
    jobsSchema: e.MARKETLOOP_JOBS_SCHEMA,
    logLevel: e.LOG_LEVEL,
  };
}
