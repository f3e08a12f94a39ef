import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { createDb, migrateToLatest } from '../../src/platform/db.ts';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/platform/embedded-pg.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { Jobs } from '../../src/platform/jobs.ts';
import { TEST_FORKS, testJobsSchema } from './jobs-schema.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
  }
}

/**
 * One PostgreSQL for the whole run: DATABASE_URL when set (CI's service), otherwise an
 * embedded server in a fresh temporary data dir, as a newcomer's `npm test` has. Migrations
 * run once here; test files isolate by workspace, never by truncation.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let embedded: EmbeddedDatabase | undefined;
  let dir: string | undefined;
  let url = process.env.DATABASE_URL;
  if (!url) {
    dir = mkdtempSync(join(tmpdir(), 'marketloop-test-'));
    const port = 55000 + Math.floor(Math.random() * 5000);
    embedded = await startEmbeddedPostgres(dir, port, createLogger('silent'));
    url = embedded.url;
  }
  const { db, pool } = createDb(url, 2);
  await migrateToLatest(db as never);
  // One job-queue schema per test fork, created before any test runs: graphile-worker
  // announces a schema migration on a database-wide channel, and a worker of another schema
  // that hears it shuts down. No migration may happen while tests run workers.
  for (let fork = 1; fork <= TEST_FORKS; fork++) {
    await new Jobs(testJobsSchema(fork), pool, createLogger('silent')).migrate();
  }
  await db.destroy();
  project.provide('databaseUrl', url);
  return async () => {
    if (embedded) await embedded.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  };
}
