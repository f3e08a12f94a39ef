import type { FastifyInstance } from 'fastify';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRuntime, type Runtime } from '../../src/bootstrap.ts';
import { buildApp } from '../../src/http/app.ts';
import { loadConfig } from '../../src/platform/config.ts';
import { RedisCounters } from '../../src/platform/counters/redis-counters.adapter.ts';
import type { Platform } from '../../src/platform/context.ts';

/**
 * One benchmark's world: its own runtime (DATABASE_URL when set, else an embedded PostgreSQL
 * in a temporary data dir on a free port), its own Fastify app on 127.0.0.1:<free port>, and
 * LOG_LEVEL=warn so request logging does not weigh on the figures.
 */
export interface Bench {
  rt: Runtime;
  p: Platform;
  app: FastifyInstance;
  /** http://127.0.0.1:<port> of the app. */
  url: string;
  port: number;
  rootKey: string;
  machine: Machine;
  close(): Promise<void>;
}

export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryGb: number;
  node: string;
  postgres: string;
  /** 'none (in memory)': a benchmark without a database (bench/rules.ts). */
  database: 'embedded' | 'DATABASE_URL' | 'none (in memory)';
  fsync: string;
  synchronousCommit: string;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/**
 * `dataDir`: use (and keep) this data dir instead of a temporary one removed at the end, so a
 * benchmark can reuse a large loaded dataset across runs (bench/segments.ts --keep).
 */
export async function startBench(name: string, opts: { poolSize?: number; dataDir?: string } = {}): Promise<Bench> {
  const external = process.env.DATABASE_URL;
  const startedAt = new Date();
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), `ml-bench-${name}-`));
  const rootKey = `mlroot_bench_${randomBytes(12).toString('hex')}`;
  const config = loadConfig({
    ...process.env,
    LOG_LEVEL: 'warn',
    MARKETLOOP_DATA_DIR: dataDir,
    MARKETLOOP_ROOT_KEY: rootKey,
    MARKETLOOP_EMBEDDED_PG_PORT: String(await freePort()),
  });
  // On a shared database, a private job schema keeps other processes' workers off our jobs.
  const jobsSchema = external ? `bench_gw_${randomBytes(5).toString('hex')}` : undefined;
  const rt = await createRuntime({ config, jobsSchema, poolSize: opts.poolSize });
  const p = rt.platform;
  const app = await buildApp(p);
  const port = await freePort();
  await app.listen({ port, host: '127.0.0.1' });
  const pg = await p.pool.query<{ v: string; f: string; s: string }>(`select current_setting('server_version') as v, current_setting('fsync') as f, current_setting('synchronous_commit') as s`);
  const machine: Machine = {
    cpus: cpus().length, cpuModel: cpus()[0]?.model.trim() ?? '?', memoryGb: Math.round(totalmem() / 2 ** 30),
    node: process.version, postgres: pg.rows[0]!.v, database: external ? 'DATABASE_URL' : 'embedded', fsync: pg.rows[0]!.f, synchronousCommit: pg.rows[0]!.s,
  };
  return {
    rt, p, app, url: `http://127.0.0.1:${port}`, port, rootKey, machine,
    close: async () => {
      await app.close();
      await dropRedisCounters(p, startedAt);
      if (jobsSchema) await p.pool.query(`drop schema if exists ${jobsSchema} cascade`);
      await rt.close();
      if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Redis keeps no database of ours: the counters of the workspaces a bench created (every
 * workspace of an embedded database; on DATABASE_URL, those created since the bench started)
 * would stay on a shared server after the run, the keys without a window forever. SCAN by
 * each workspace's hash tag, never KEYS.
 */
async function dropRedisCounters(p: Platform, since: Date): Promise<void> {
  const counters = p.counters;
  if (!(counters instanceof RedisCounters)) return;
  const ws = await p.pool.query<{ id: string }>('select id from workspaces where created_at >= $1', [since]);
  let dropped = 0;
  for (const { id } of ws.rows) {
    let cursor = '0';
    do {
      const r = await counters.redis.scan(cursor, { MATCH: `${counters.prefix}{ws:${id}:*`, COUNT: 10_000 });
      if (r.keys.length) dropped += await counters.redis.unlink(r.keys);
      cursor = r.cursor;
    } while (cursor !== '0');
  }
  if (dropped) process.stdout.write(`dropped ${fmt(dropped)} Redis counter keys of this run's ${ws.rows.length} workspace(s)\n`);
}

/** A small JSON client for setup calls (not measured). Throws on an unexpected status. */
export function api(base: string, key: string) {
  const call = async <T = any>(method: string, path: string, body?: unknown, expect = [200, 201, 202]): Promise<T> => {
    const r = await fetch(`${base}${path}`, {
      method, headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    if (!expect.includes(r.status)) throw new Error(`${method} ${path}: ${r.status} ${text.slice(0, 500)}`);
    return (text ? JSON.parse(text) : null) as T;
  };
  return { get: <T = any>(path: string) => call<T>('GET', path), post: <T = any>(path: string, body?: unknown) => call<T>('POST', path, body) };
}

/** `--name value` from the command line, else the default. */
export function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} needs a positive number`);
  return v;
}

/** `--no-name` turns a default-on switch off. */
export const switchOff = (name: string): boolean => process.argv.includes(`--no-${name}`);

/** The median (the mean of the middle two for an even count). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export const fmt = (n: number, digits = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** Prints the benchmark header: what runs where. */
export function header(title: string, m: Machine, extra: Record<string, string | number>): void {
  process.stdout.write(`\n${title}\n${'='.repeat(title.length)}\n`);
  process.stdout.write(`machine: ${m.cpus} cores (${m.cpuModel}), ${m.memoryGb} GB, Node ${m.node}, PostgreSQL ${m.postgres} (${m.database}; fsync=${m.fsync}, synchronous_commit=${m.synchronousCommit})\n`);
  for (const [k, v] of Object.entries(extra)) process.stdout.write(`${k}: ${v}\n`);
  // Other work on the machine skews absolute figures (ratios less so); say how busy it was.
  process.stdout.write(`load average before the run: ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n\n`);
}

export interface Verdict {
  name: string;
  target: string;
  measured: string;
  pass: boolean;
}

/** Prints PASS/FAIL lines and a machine-readable JSON summary; sets the exit code on a FAIL. */
export function verdicts(bench: string, items: Verdict[], summary: Record<string, unknown>): void {
  process.stdout.write(`\nload average after the run: ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
  process.stdout.write('against DESIGN.md "Performance budgets":\n');
  for (const v of items) process.stdout.write(`  ${v.pass ? 'PASS' : 'FAIL'}  ${v.name}: ${v.measured} (target ${v.target})\n`);
  process.stdout.write(`\nRESULT ${JSON.stringify({ bench, date: new Date().toISOString(), pass: items.every((v) => v.pass), verdicts: items, ...summary })}\n`);
  if (!items.every((v) => v.pass)) process.exitCode = 1;
}
