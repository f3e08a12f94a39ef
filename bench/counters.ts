import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { systemClock } from '../src/platform/clock.ts';
import { counterKey, type CounterKey } from '../src/platform/counters/counters.keys.ts';
import { planTake } from '../src/platform/counters/counters.plan.ts';
import type { Counters } from '../src/platform/counters/counters.port.ts';
import { PgCounters } from '../src/platform/counters/pg-counters.adapter.ts';
import { connectRedisCounters, encodeTakes, type RedisCounters } from '../src/platform/counters/redis-counters.adapter.ts';
import { TAKE } from '../src/platform/counters/redis-counters.lua.ts';
import { fmt, header, median, option, startBench, verdicts, type Verdict } from './lib/setup.ts';

/**
 * The counters alone, without HTTP: `take` ops/s of each adapter, and for Redis the ratio to
 * `redis-benchmark` running the same Lua script (same SHA, same KEYS and ARGV the adapter
 * sends) on the same machine — DESIGN.md's "counters alone ≥ 0.7 × redis-benchmark".
 *
 *   npm run bench -- counters [--ops 200000] [--pg-ops 20000] [--concurrency 50] [--rounds 3] [--connections 2]
 *
 * Two workloads per adapter:
 *   hot key        every take on one stock counter (the worst case: one row / one key)
 *   spread keys    per-user limits, each take on one of 100,000 user counters at random
 * `concurrency` takes are in flight at once — redis-benchmark's `-c` (one request per
 * connection); the adapter carries them on its own auto-pipelined connections (2 by default),
 * as an API process would. PostgreSQL takes are durable commits (see the fsync line in the header). Limits are
 * far above the ops, so every take succeeds on both sides (the same script path); a last check
 * races 1,000 takes for 100 units on each adapter: no oversell. Each round measures the
 * adapter and redis-benchmark back to back; the median of the per-round ratios governs.
 */
const ops = option('ops', 200_000);
const pgOps = option('pg-ops', 20_000);
const concurrency = option('concurrency', 50);
const rounds = option('rounds', 3);
const connections = option('connections', 2);
const SPREAD = 100_000;
const BIG = Number.MAX_SAFE_INTEGER;
const run = promisify(execFile);

const b = await startBench('counters', { poolSize: 20 });
const ws = `bench_${randomBytes(4).toString('hex')}`;
const stock: CounterKey = counterKey(ws, 'tpl:bench', 'stock');
/** redis-benchmark's __rand_int__ is 12 digits, zero-padded; the adapter side names users the same way. */
const userKey = (i: number): CounterKey => counterKey(ws, 'tpl:bench', `user:${String(i).padStart(12, '0')}`);
const redisUrl = process.env.REDIS_URL;
let redis: RedisCounters | undefined;

/** ops/s of `n` takes with `concurrency` in flight. */
async function measure(c: Counters, n: number, key: () => CounterKey): Promise<number> {
  let next = 0;
  let refused = 0;
  const t = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < n) {
      next++;
      if (!(await c.take(key(), { limit: BIG })).ok) refused++;
    }
  }));
  const rate = n / ((performance.now() - t) / 1000);
  if (refused) throw new Error(`${refused} takes refused under a limit that cannot be reached`);
  return rate;
}

/** What the adapter would send for a take on `key`: the same script, KEYS and ARGV. */
function evalshaArgs(c: RedisCounters, key: string): string[] {
  const now = systemClock.now().getTime();
  const { keys, args } = encodeTakes([planTake({ key: key as CounterKey, limit: BIG }, now)], c.prefix, now);
  return ['EVALSHA', TAKE.sha, String(keys.length), ...keys, ...args];
}

async function redisBenchmark(c: RedisCounters, key: string, n: number, randomKeys: boolean): Promise<number> {
  const u = new URL(redisUrl!);
  const conn = ['-h', u.hostname, '-p', u.port || '6379', ...(u.password ? ['-a', decodeURIComponent(u.password)] : []), '--dbnum', u.pathname.slice(1) || '0'];
  const { stdout } = await run('redis-benchmark', [...conn, '-c', String(concurrency), '-n', String(n), ...(randomKeys ? ['-r', String(SPREAD)] : []), '--csv', ...evalshaArgs(c, key)], { maxBuffer: 1 << 20 });
  // --csv: a header line, then "test","rps",… for the one command.
  const row = stdout.trim().split('\n').find((l) => l.startsWith('"EVALSHA'));
  const rps = Number(row?.split('","')[1]);
  if (!Number.isFinite(rps) || rps <= 0) throw new Error(`cannot read redis-benchmark output:\n${stdout}`);
  return rps;
}

/** 1,000 concurrent takes for the last 100 units: exactly 100 must win. */
async function oversellCheck(c: Counters): Promise<{ won: number; used: number }> {
  const k = counterKey(ws, `tpl:oversell-${c.kind}`, 'stock');
  const rs = await Promise.all(Array.from({ length: 1000 }, () => c.take(k, { limit: 100 })));
  return { won: rs.filter((r) => r.ok).length, used: await c.get(k) };
}

async function which(cmd: string): Promise<boolean> {
  return run('sh', ['-c', `command -v ${cmd}`]).then(() => true, () => false);
}

try {
  const hasRedisBenchmark = await which('redis-benchmark');
  if (redisUrl) redis = await connectRedisCounters({ url: redisUrl, clock: systemClock, prefix: `bench:${randomBytes(4).toString('hex')}:`, connections });
  const redisVersion = redis ? ((await redis.redis.info('server')).match(/redis_version:(\S+)/)?.[1] ?? '?') : null;
  header('Benchmark: Counters.take (PostgreSQL and Redis adapters) vs redis-benchmark of the same Lua', b.machine, {
    workload: `${rounds} rounds; PostgreSQL ${fmt(pgOps)} takes and Redis ${fmt(ops)} takes per workload (hot key, ${fmt(SPREAD)} spread keys), ${concurrency} in flight`,
    redis: redis ? `${redisUrl!.replace(/\/\/[^@/]*@/, '//***@')} (Redis ${redisVersion}); node-redis, ${connections} auto-pipelined connection${connections > 1 ? 's' : ''} used in turn` : 'REDIS_URL not set: the Redis adapter and the redis-benchmark ratio are skipped',
    'redis-benchmark': hasRedisBenchmark ? `${(await run('redis-benchmark', ['--version'])).stdout.trim()}, -c ${concurrency}, no pipelining, EVALSHA of the adapter's take script` : 'not found (Debian package redis-server ships it): the ratio is skipped',
  });

  const pg = new PgCounters(b.p.db, systemClock);
  // Keys are built once, as redis-benchmark substitutes its own: the adapter is what is measured.
  const userKeys = Array.from({ length: SPREAD }, (_, i) => userKey(i));
  const spread = () => userKeys[Math.floor(Math.random() * SPREAD)]!;
  const results: { round: number; pgHot: number; pgSpread: number; redisHot?: number; redisSpread?: number; benchHot?: number; benchSpread?: number }[] = [];

  // Warm-up: connections, plans, script cache, the counters table's first pages.
  await measure(pg, Math.min(2_000, pgOps), spread);
  if (redis) await measure(redis, Math.min(20_000, ops), spread);

  for (let round = 1; round <= rounds; round++) {
    const r: (typeof results)[number] = { round, pgHot: await measure(pg, pgOps, () => stock), pgSpread: await measure(pg, pgOps, spread) };
    if (redis) {
      // Alternate who goes first so drift in the machine's load does not favour one side.
      const adapterHot = () => measure(redis!, ops, () => stock);
      const adapterSpread = () => measure(redis!, ops, spread);
      if (hasRedisBenchmark && round % 2 === 0) {
        r.benchHot = await redisBenchmark(redis, redis.prefix + stock, ops, false);
        r.redisHot = await adapterHot();
        r.benchSpread = await redisBenchmark(redis, redis.prefix + userKey(0).replace('000000000000', '__rand_int__'), ops, true);
        r.redisSpread = await adapterSpread();
      } else {
        r.redisHot = await adapterHot();
        if (hasRedisBenchmark) r.benchHot = await redisBenchmark(redis, redis.prefix + stock, ops, false);
        r.redisSpread = await adapterSpread();
        if (hasRedisBenchmark) r.benchSpread = await redisBenchmark(redis, redis.prefix + userKey(0).replace('000000000000', '__rand_int__'), ops, true);
      }
    }
    results.push(r);
    const cell = (v?: number) => (v === undefined ? '—' : fmt(v));
    process.stdout.write(`round ${round}: PostgreSQL hot ${cell(r.pgHot)}/s, spread ${cell(r.pgSpread)}/s | Redis adapter hot ${cell(r.redisHot)}/s, spread ${cell(r.redisSpread)}/s | redis-benchmark hot ${cell(r.benchHot)}/s, spread ${cell(r.benchSpread)}/s\n`);
  }

  const med = (f: (r: (typeof results)[number]) => number | undefined): number | undefined => {
    const xs = results.map(f).filter((x): x is number => x !== undefined);
    return xs.length ? median(xs) : undefined;
  };
  const summary = {
    pgHot: med((r) => r.pgHot)!, pgSpread: med((r) => r.pgSpread)!,
    redisHot: med((r) => r.redisHot), redisSpread: med((r) => r.redisSpread),
    benchHot: med((r) => r.benchHot), benchSpread: med((r) => r.benchSpread),
    ratioHot: med((r) => (r.redisHot && r.benchHot ? r.redisHot / r.benchHot : undefined)),
    ratioSpread: med((r) => (r.redisSpread && r.benchSpread ? r.redisSpread / r.benchSpread : undefined)),
  };
  process.stdout.write(`\nmedians: PostgreSQL take ${fmt(summary.pgHot)}/s on one hot key, ${fmt(summary.pgSpread)}/s over spread keys`);
  if (summary.redisHot !== undefined) process.stdout.write(`; Redis take ${fmt(summary.redisHot)}/s hot, ${fmt(summary.redisSpread ?? 0)}/s spread`);
  process.stdout.write('\n');

  const items: Verdict[] = [];
  for (const c of redis ? [pg, redis] : [pg]) {
    const o = await oversellCheck(c);
    items.push({ name: `${c.kind}: 1,000 concurrent takes for 100 units`, target: 'exactly 100 win, used = 100', measured: `${o.won} won, used ${o.used}`, pass: o.won === 100 && o.used === 100 });
  }
  if (summary.ratioHot !== undefined && summary.ratioSpread !== undefined) {
    items.push(
      { name: 'Redis adapter take, one hot key, vs redis-benchmark of the same Lua', target: '≥ 0.7 × redis-benchmark', measured: `${fmt(summary.ratioHot, 2)} × (${fmt(summary.redisHot!)} vs ${fmt(summary.benchHot!)} ops/s)`, pass: summary.ratioHot >= 0.7 },
      { name: 'Redis adapter take, spread keys, vs redis-benchmark of the same Lua', target: '≥ 0.7 × redis-benchmark', measured: `${fmt(summary.ratioSpread, 2)} × (${fmt(summary.redisSpread!)} vs ${fmt(summary.benchSpread!)} ops/s)`, pass: summary.ratioSpread >= 0.7 },
    );
  } else {
    process.stdout.write(`\nratio to redis-benchmark skipped: ${redis ? 'redis-benchmark not found (apt-get install redis-server ships it)' : 'REDIS_URL not set'}\n`);
  }
  verdicts('counters', items, { machine: b.machine, ops, pgOps, concurrency, rounds: results.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Math.round(v)]))), ...Object.fromEntries(Object.entries(summary).map(([k, v]) => [k, v === undefined ? null : Number(v.toFixed(k.startsWith('ratio') ? 3 : 0))])) });
} finally {
  if (redis) {
    let cursor = '0';
    do {
      const r = await redis.redis.scan(cursor, { MATCH: `${redis.prefix}*`, COUNT: 1000 });
      if (r.keys.length) await redis.redis.del(r.keys);
      cursor = r.cursor;
    } while (cursor !== '0');
    await redis.close();
  }
  await b.p.db.deleteFrom('counters').where('workspaceId', '=', ws).execute();
  await b.close();
}
