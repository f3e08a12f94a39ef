import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const freePort = () => new Promise<number>((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const port = (s.address() as { port: number }).port;
    s.close(() => resolve(port));
  });
});
const portOpen = (port: number) => new Promise<boolean>((resolve) => {
  const c = connect(port, '127.0.0.1').once('connect', () => { c.destroy(); resolve(true); }).once('error', () => resolve(false));
});

/**
 * A newcomer's `npm start`: first start prints the root key once and serves on PORT; Ctrl-C
 * stops everything, embedded PostgreSQL included; a second start reuses the same data.
 * With DATABASE_URL set (CI's second pass) the same commands use that database instead.
 */
describe('marketloop start', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ml-cli-'));
  const procs: ChildProcess[] = [];
  afterAll(() => {
    for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  async function start(port: number, pgPort: number) {
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), HOST: '127.0.0.1', MARKETLOOP_DATA_DIR: dir, MARKETLOOP_EMBEDDED_PG_PORT: String(pgPort), LOG_LEVEL: 'warn', VITEST: '' };
    delete env.MARKETLOOP_ROOT_KEY;
    const child = spawn(process.execPath, ['bin/marketloop.js', 'start'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    procs.push(child);
    let out = '';
    child.stdout!.on('data', (d) => { out += String(d); });
    child.stderr!.on('data', (d) => { out += String(d); });
    const deadline = Date.now() + 180_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`start exited early (${child.exitCode}):\n${out}`);
      const ok = await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.status === 200, () => false);
      if (ok) break;
      if (Date.now() > deadline) throw new Error(`not ready in time:\n${out}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    return { child, output: () => out };
  }

  async function stop(child: ChildProcess): Promise<number | null> {
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    return exited;
  }

  it('serves, stops cleanly on Ctrl-C, and restarts on the same data', { timeout: 400_000 }, async () => {
    const [port, pgPort] = [await freePort(), await freePort()];
    const embedded = !process.env.DATABASE_URL;
    const first = await start(port, pgPort);
    const rootKey = readFileSync(join(dir, 'root-key'), 'utf8').trim();
    expect(first.output()).toContain(rootKey);
    expect((await fetch(`http://127.0.0.1:${port}/`)).headers.get('content-type')).toContain('text/html');
    const slug = `cli-${randomBytes(4).toString('hex')}`;
    const created = await fetch(`http://127.0.0.1:${port}/v1/workspaces`, {
      method: 'POST', headers: { authorization: `Bearer ${rootKey}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'CLI', slug }),
    });
    expect(created.status).toBe(201);
    const { apiKey } = (await created.json()) as { apiKey: string };

    expect(await stop(first.child)).toBe(0);
    expect(await portOpen(port)).toBe(false);
    if (embedded) {
      expect(existsSync(join(dir, 'pg', 'PG_VERSION'))).toBe(true);
      expect(existsSync(join(dir, 'pg', 'postmaster.pid'))).toBe(false);
      expect(await portOpen(pgPort)).toBe(false);
    }

    const second = await start(port, pgPort);
    expect(second.output()).not.toContain(rootKey);
    const ws = await fetch(`http://127.0.0.1:${port}/v1/workspace`, { headers: { authorization: `Bearer ${apiKey}` } });
    expect(ws.status).toBe(200);
    expect(((await ws.json()) as { slug: string }).slug).toBe(slug);
    expect(await stop(second.child)).toBe(0);
  });
});
