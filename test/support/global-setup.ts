import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { createDb, migrateToLatest } from '../../src/platform/db.ts';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/platform/embedded-pg.ts';
import { createLogger } from '../../src/platform/logger.ts';

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
  const { db } = createDb(url, 2);
  await migrateToLatest(db as never);
  await db.destroy();
  project.provide('databaseUrl', url);
  return async () => {
    if (embedded) await embedded.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  };
}
