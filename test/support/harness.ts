import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { createRuntime, type Runtime } from '../../src/bootstrap.ts';
import { buildApp } from '../../src/http/app.ts';
import { flushClicks } from '../../src/links/links.service.ts';
import { ManualClock } from '../../src/platform/clock.ts';
import { loadConfig, type Config } from '../../src/platform/config.ts';
import { testJobsSchema } from './jobs-schema.ts';
import type { Platform } from '../../src/platform/context.ts';

/**
 * One test file's world: the shared database, its own job queue schema (so no other file's
 * worker runs its jobs), a manual clock starting at the real now, and the app for inject().
 */
export interface Harness {
  rt: Runtime;
  p: Platform;
  app: FastifyInstance;
  clock: ManualClock;
  rootKey: string;
  config: Config;
  /** Runs every job due by the manual clock until the queue is empty. */
  drain(): Promise<void>;
  /** The jobs still in this file's queue (waiting for their time or for a retry), with their last error. */
  queuedJobs(): Promise<{ task: string; key: string | null; attempts: number; lastError: string | null }[]>;
  close(): Promise<void>;
}

export async function createHarness(env: Record<string, string> = {}): Promise<Harness> {
  const rootKey = `mlroot_test_${randomBytes(12).toString('hex')}`;
  const config = loadConfig({
    DATABASE_URL: inject('databaseUrl'), MARKETLOOP_ROOT_KEY: rootKey, LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    MARKETLOOP_DATA_DIR: mkdtempSync(join(tmpdir(), 'ml-data-')), MARKETLOOP_PUBLIC_URL: 'https://ml.test',
    // Clicks fold as soon as a test drains the queue.
    MARKETLOOP_CLICK_FOLD_DELAY_MS: '0', ...env,
  });
  const clock = new ManualClock(new Date());
  const rt = await createRuntime({ config, clock, jobsSchema: testJobsSchema(Number(process.env.VITEST_POOL_ID ?? 1)), poolSize: 8 });
  const app = await buildApp(rt.platform, { logger: !!process.env.TEST_LOG_LEVEL });
  return {
    rt, p: rt.platform, app, clock, rootKey, config,
    drain: async () => {
      await flushClicks(rt.platform);
      await rt.platform.jobs.drain(clock.now());
    },
    queuedJobs: async () => (await rt.platform.pool.query(`select t.identifier as task, j.key, j.attempts, j.last_error as "lastError"
      from ${rt.platform.jobs.schema}._private_jobs j join ${rt.platform.jobs.schema}._private_tasks t on t.id = j.task_id order by j.id`)).rows,
    close: async () => {
      await app.close();
      // The fork's queue is reused by its next test file: leave it empty.
      await rt.platform.pool.query(`delete from ${rt.platform.jobs.schema}._private_jobs`);
      await rt.platform.pool.query(`delete from ${rt.platform.jobs.schema}._private_job_queues`);
      await rt.close();
    },
  };
}

export type Res = LightMyRequestResponse & { body: string; json<T = any>(): T };

/** A tiny client over app.inject with a bearer key. */
export function client(app: FastifyInstance, key?: string) {
  const call = async (method: InjectOptions['method'], url: string, payload?: unknown, headers: Record<string, string> = {}): Promise<Res> =>
    (await app.inject({
      method, url,
      headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(payload !== undefined && typeof payload !== 'string' ? { 'content-type': 'application/json' } : {}), ...headers },
      payload: payload === undefined ? undefined : typeof payload === 'string' ? payload : JSON.stringify(payload),
    })) as Res;
  return {
    get: (url: string, headers?: Record<string, string>) => call('GET', url, undefined, headers),
    post: (url: string, body?: unknown, headers?: Record<string, string>) => call('POST', url, body, headers),
    patch: (url: string, body?: unknown, headers?: Record<string, string>) => call('PATCH', url, body, headers),
    put: (url: string, body?: unknown, headers?: Record<string, string>) => call('PUT', url, body, headers),
    del: (url: string, headers?: Record<string, string>) => call('DELETE', url, undefined, headers),
    raw: call,
  };
}
export type Client = ReturnType<typeof client>;

let counter = 0;
/** Creates a workspace with the root key; returns its admin client and ids. */
export async function newWorkspace(h: Harness, settings: Record<string, unknown> = {}) {
  const slug = `t-${randomBytes(5).toString('hex')}-${++counter}`;
  const r = await client(h.app, h.rootKey).post('/v1/workspaces', { name: `Test ${slug}`, slug, ...settings });
  if (r.statusCode !== 201) throw new Error(`workspace: ${r.statusCode} ${r.body}`);
  const ws = r.json<{ id: string; slug: string; apiKey: string }>();
  const keyFor = async (role: string) => {
    const k = await client(h.app, h.rootKey).post(`/v1/workspaces/${slug}/keys`, { name: role, role });
    if (k.statusCode !== 201) throw new Error(`key: ${k.body}`);
    return k.json<{ apiKey: string }>().apiKey;
  };
  return { id: ws.id, slug, key: ws.apiKey, api: client(h.app, ws.apiKey), keyFor, as: async (role: string) => client(h.app, await keyFor(role)) };
}
