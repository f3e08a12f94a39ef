import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { consoleBuildIsStale } from '../../../src/platform/console-build.ts';

export const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));

export interface RunningServer {
  baseUrl: string;
  rootKey: string;
  /** Recent output of the server, for failure messages. */
  output: () => string;
  stop: () => Promise<void>;
}

/** A port nobody listens on right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: repoRoot, stdio: ['ignore', 'inherit', 'inherit'] });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${args.join(' ')} exited with ${code}`))));
  });
}

/**
 * Builds the console when web/dist is missing or older than web/src. `marketloop start` would
 * do the same, but there a failed build only warns; here it fails the test with vite's output.
 */
export async function ensureConsoleBuilt(): Promise<void> {
  if (!consoleBuildIsStale(repoRoot)) return;
  await run(process.execPath, [join(repoRoot, 'node_modules/vite/bin/vite.js'), 'build', '--config', join(repoRoot, 'web/vite.config.ts'), '--logLevel', 'warn']);
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

function within<T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), ms); });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Starts `node bin/marketloop.js start` on free ports with a fresh data dir (embedded
 * PostgreSQL inside it unless DATABASE_URL is set) and waits until GET /health answers 200.
 */
export async function startServer(opts: { readyTimeoutMs?: number } = {}): Promise<RunningServer> {
  const port = await freePort();
  const pgPort = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'marketloop-e2e-'));
  const rootKey = randomBytes(24).toString('hex');
  // The parent's environment minus what would steer the server: vitest's markers (they
  // silence its logs) and any Marketloop settings of the shell running the tests.
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(VITEST|MARKETLOOP_|NODE_ENV$|PORT$|HOST$|LOG_LEVEL$|DATABASE_URL$)/.test(k)));
  const env: NodeJS.ProcessEnv = {
    ...inherited,
    PORT: String(port),
    HOST: '127.0.0.1',
    MARKETLOOP_ROOT_KEY: rootKey,
    LOG_LEVEL: 'warn',
    MARKETLOOP_DATA_DIR: dataDir,
    MARKETLOOP_EMBEDDED_PG_PORT: String(pgPort),
    ...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : {}),
  };
  const child = spawn(process.execPath, [join(repoRoot, 'bin/marketloop.js'), 'start'], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    if (lines.length > 200) lines.splice(0, lines.length - 200);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const output = () => lines.join('\n');

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGINT');
      // The server stops its workers and the embedded PostgreSQL on SIGINT; give it time.
      if ((await within(exited(child), 30_000)) === 'timeout') {
        child.kill('SIGKILL');
        await exited(child);
      }
    }
    rmSync(dataDir, { recursive: true, force: true });
  };

  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 180_000);
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`marketloop start exited with ${child.exitCode}:\n${output()}`);
    }
    const ok = await fetch(`${baseUrl}/health`).then((r) => r.status === 200, () => false);
    if (ok) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`marketloop start was not healthy within the timeout:\n${output()}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { baseUrl, rootKey, output, stop };
}
