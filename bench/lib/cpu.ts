import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';

/**
 * CPU time spent by this process, by every PostgreSQL process and by redis-server on the machine (read from
 * /proc, Linux only), so a benchmark can say where a path's CPU goes: on a 2-core machine the
 * app, PostgreSQL and the load generator share the cores, and CPU per unit of work is what a
 * throughput ratio comes down to. This process's figure includes the load generator's worker
 * thread. Returns null where /proc is not there.
 */
export interface CpuSample {
  nodeMs: number; mainMs: number; postgresMs: number; redisMs: number;
  /** The machine's idle CPU (idle + iowait, all cores) and the wall clock, for idleShare. */
  idleMs: number; wallMs: number;
}

const TICK_MS = 10; // USER_HZ is 100 on Linux

/**
 * With `postmasterPid`, PostgreSQL's figure counts only that server (the postmaster and its
 * backends), not the other clusters on the machine — other engineers' test databases, say; with
 * `redisPid`, only that redis-server.
 */
export function cpuSample(postmasterPid?: number, redisPid?: number): CpuSample | null {
  let postgres = 0;
  let redis = 0;
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return null;
  }
  for (const pid of entries) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const name = stat.slice(stat.indexOf('(') + 1, close);
      const isPg = name.startsWith('postgres');
      if (!isPg && !name.startsWith('redis-server')) continue;
      const f = stat.slice(close + 2).split(' ');
      if (isPg && postmasterPid !== undefined && Number(pid) !== postmasterPid && Number(f[1]) !== postmasterPid) continue;
      if (!isPg && redisPid && Number(pid) !== redisPid) continue;
      // utime, stime, and cutime, cstime: the postmaster's reaped children (backends that ended)
      const ms = (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * TICK_MS;
      if (isPg) postgres += ms;
      else redis += ms;
    } catch {
      // the process ended between readdir and read
    }
  }
  const u = process.cpuUsage();
  return { nodeMs: (u.user + u.system) / 1000, mainMs: mainThreadMs(), postgresMs: postgres, redisMs: redis, idleMs: machineIdleMs(), wallMs: performance.now() };
}

/**
 * This process's main thread alone (the server's event loop): the rest of `nodeMs` is the load
 * generator's worker thread, V8's helper threads (garbage collection, compilation) and libuv's
 * pool. 0 where /proc is not there.
 */
function mainThreadMs(): number {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * TICK_MS;
  } catch {
    return 0;
  }
}

/**
 * The idle CPU of the whole machine (every core's idle and iowait time, from /proc/stat): with
 * the CPU per unit, it tells a path bound by CPU (little idle) from one whose stages wait on each
 * other (bench rewards: the grants' batches leave cores idle while one stage works). 0 where
 * /proc is not there.
 */
function machineIdleMs(): number {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/);
    return (Number(f[4]) + Number(f[5])) * TICK_MS;
  } catch {
    return 0;
  }
}

/**
 * CPU between two samples, in microseconds per unit of work, and `idleShare`: the part of the
 * machine's CPU (all cores over the wall time between the samples) that was idle.
 */
export function cpuPer(before: CpuSample | null, after: CpuSample | null, units: number): { node: number; main: number; postgres: number; redis: number; idleShare: number } | null {
  if (!before || !after || units <= 0) return null;
  const per = (k: keyof CpuSample) => ((after[k] - before[k]) * 1000) / units;
  const capacityMs = (after.wallMs - before.wallMs) * cpus().length;
  const idleShare = capacityMs > 0 ? Math.min(1, Math.max(0, (after.idleMs - before.idleMs) / capacityMs)) : 0;
  return { node: per('nodeMs'), main: per('mainMs'), postgres: per('postgresMs'), redis: per('redisMs'), idleShare };
}

/** The postmaster of the server a backend belongs to: that backend's parent process (Linux only). */
export function postmasterOf(backendPid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${backendPid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/** The postmaster of the server a pool talks to, when it runs on this machine (else undefined). */
export async function postmasterPidOf(pool: { query(q: string): Promise<{ rows: { pid: number }[] }> }): Promise<number | undefined> {
  const { rows } = await pool.query('select pg_backend_pid() as pid');
  return postmasterOf(rows[0]!.pid);
}

/** The pid of the redis-server a client talks to, when it runs on this machine (INFO server). */
export async function redisPidOf(redis: { info(section: string): Promise<string> }): Promise<number | undefined> {
  const m = /^process_id:(\d+)/m.exec(await redis.info('server'));
  return m ? Number(m[1]) : undefined;
}
