import { Redis } from 'ioredis';
import type { Clock } from '../clock.ts';
import type { Logger } from '../logger.ts';
import { keyWorkspace, type CounterKey } from './counters.keys.ts';
import { count, planBuckets, planSet, planTake, planTakeMany, type PlannedTake } from './counters.plan.ts';
import type { Counters, GiveResult, SetOptions, TakeItem, TakeManyResult, TakeOptions, TakeResult, WindowOption } from './counters.port.ts';
import { GET, GIVE, SCRIPTS, SET, TAKE } from './redis-counters.lua.ts';
import { loadScripts, runScript } from './redis-scripts.ts';

export interface RedisCountersOptions {
  url: string;
  clock: Clock;
  /** Put before every key (outside the hash tag); lets several deployments or test runs share one Redis. No braces. */
  prefix?: string;
  /** Connections, used in turn; default 2 (see RedisCounters). */
  connections?: number;
  log?: Logger;
}

/**
 * Counters in Redis (when REDIS_URL is set). Every operation is one Lua script over the
 * buckets it touches, so a step is atomic on the server; all of a step's keys share one hash
 * tag, so on Redis Cluster they share a slot.
 *
 * Connections auto-pipeline: the calls made in one tick go out in one write. Two connections
 * used in turn measured best here (bench/counters.ts): with one, Redis waits while this
 * process parses a batch of replies and sends the next batch; with two, it works on one
 * connection's batch meanwhile. Atomicity never depends on the connection: each script is.
 */
export class RedisCounters implements Counters {
  readonly kind = 'redis' as const;
  private turn = 0;

  constructor(
    private readonly clients: readonly Redis[],
    private readonly clock: Clock,
    readonly prefix = 'ml:',
  ) {
    if (clients.length < 1) throw new Error('RedisCounters needs at least one connection');
    if (/[{}]/.test(prefix)) throw new Error('a Redis counters prefix may not contain braces (they would become the hash tag)');
  }

  /** The first connection, for maintenance and tests (SCAN, TTL checks). */
  get redis(): Redis {
    return this.clients[0]!;
  }

  private next(): Redis {
    return this.clients[this.turn++ % this.clients.length]!;
  }

  async take(key: CounterKey, opts: TakeOptions): Promise<TakeResult> {
    keyWorkspace(key);
    const nowMs = this.clock.now().getTime();
    if (opts.window === undefined) {
      // The hottest call (stock, per-user limits, budgets): the same script and arguments as
      // encodeTakes would give, without the intermediate plan objects.
      const limit = count(opts.limit, 'limit', 0);
      const amount = count(opts.amount ?? 1, 'amount', 1);
      const r = numbers(await runScript(this.next(), TAKE, [this.prefix + key], [nowMs, 1, limit, amount, -1, 1, 1]), 'take');
      return r[0] === 1 ? { ok: true, remaining: r[1]! } : { ok: false, remaining: r[2]! };
    }
    const r = await this.runTakes([planTake({ key, ...opts }, nowMs)], nowMs);
    return { ok: r.ok, remaining: r.remaining[0]! };
  }

  async takeMany(items: readonly TakeItem[]): Promise<TakeManyResult> {
    const nowMs = this.clock.now().getTime();
    const plans = planTakeMany(items, nowMs);
    for (const it of items) keyWorkspace(it.key);
    return this.runTakes(plans, nowMs);
  }

  async give(key: CounterKey, amount: number, opts: WindowOption = {}): Promise<GiveResult> {
    keyWorkspace(key);
    const nowMs = this.clock.now().getTime();
    const { read } = planBuckets(key, opts.window, nowMs, false);
    const r = numbers(await runScript(this.next(), GIVE, read.map(this.stored), [nowMs, count(amount, 'amount', 1)]), 'give');
    return { used: r[0]!, returned: r[1]! };
  }

  async get(key: CounterKey, opts: WindowOption = {}): Promise<number> {
    keyWorkspace(key);
    const nowMs = this.clock.now().getTime();
    const { read } = planBuckets(key, opts.window, nowMs, false);
    const r = await runScript(this.next(), GET, read.map(this.stored), [nowMs]);
    if (typeof r !== 'number') throw new Error(`unexpected reply from the counters get script: ${JSON.stringify(r)}`);
    return r;
  }

  async set(key: CounterKey, used: number, opts: SetOptions = {}): Promise<void> {
    keyWorkspace(key);
    const nowMs = this.clock.now().getTime();
    const { read, newExpiry } = planSet(key, opts.window, nowMs);
    await runScript(this.next(), SET, [this.stored(read[0]!)], [nowMs, count(used, 'used', 0), newExpiry ?? -1]);
  }

  async reset(key: CounterKey, opts: WindowOption = {}): Promise<void> {
    keyWorkspace(key);
    const { read } = planBuckets(key, opts.window, this.clock.now().getTime(), false);
    await this.next().del(...read.map(this.stored));
  }

  /** QUIT (pending replies still arrive), then waits until the sockets are closed. */
  async close(): Promise<void> {
    await Promise.all(this.clients.map(closeClient));
  }

  private readonly stored = (bucket: string): string => this.prefix + bucket;

  private async runTakes(plans: readonly PlannedTake[], nowMs: number): Promise<TakeManyResult> {
    const { keys, args } = encodeTakes(plans, this.prefix, nowMs);
    const r = numbers(await runScript(this.next(), TAKE, keys, args), 'take');
    return r[0] === 1 ? { ok: true, remaining: r.slice(1) } : { ok: false, failedIndex: r[1]!, remaining: r.slice(2) };
  }
}

/**
 * The KEYS and ARGV of the take script for these takes. Exported so bench/counters.ts can hand
 * redis-benchmark exactly the call this adapter makes.
 */
export function encodeTakes(plans: readonly PlannedTake[], prefix: string, nowMs: number): { keys: string[]; args: (string | number)[] } {
  const only = plans.length === 1 ? plans[0]! : undefined;
  // The common case (one take, one bucket) skips the index map: it runs on every take.
  if (only && only.read.length === 1) return { keys: [prefix + only.read[0]!], args: [nowMs, 1, only.limit, only.amount, only.newExpiry ?? -1, 1, 1] };
  const index = new Map<string, number>();
  const keys: string[] = [];
  const args: (string | number)[] = [nowMs, plans.length];
  for (const p of plans) {
    args.push(p.limit, p.amount, p.newExpiry ?? -1, p.read.length);
    for (const b of p.read) {
      let i = index.get(b);
      if (i === undefined) {
        keys.push(prefix + b);
        i = keys.length;
        index.set(b, i);
      }
      args.push(i);
    }
  }
  return { keys, args };
}

/** Connects (failing fast when Redis is not there), loads the scripts once, and returns the adapter. */
export async function connectRedisCounters(opts: RedisCountersOptions): Promise<RedisCounters> {
  const clients = Array.from({ length: opts.connections ?? 2 }, () => {
    const redis = new Redis(opts.url, {
      lazyConnect: true,
      enableAutoPipelining: true,
      // A counter call must answer or fail, not wait in an offline queue while money is at stake.
      maxRetriesPerRequest: 1,
      connectTimeout: 5_000,
    });
    // Without a listener ioredis prints every reconnect error; log them through pino.
    redis.on('error', (err: Error) => opts.log?.warn({ err: err.message }, 'redis counters connection error'));
    return redis;
  });
  try {
    await Promise.all(clients.map((c) => c.connect()));
    // Script cache is per server, not per connection: loading once is enough.
    await loadScripts(clients[0]!, SCRIPTS);
  } catch (err) {
    for (const c of clients) c.disconnect();
    throw new Error(`Redis counters: cannot use REDIS_URL (${redactUrl(opts.url)}): ${err instanceof Error ? err.message : String(err)}`);
  }
  return new RedisCounters(clients, opts.clock, opts.prefix);
}

async function closeClient(redis: Redis): Promise<void> {
  if (redis.status === 'end') return;
  const ended = new Promise<void>((resolve) => redis.once('end', () => resolve()));
  await redis.quit().catch(() => redis.disconnect());
  await ended;
}

function numbers(r: unknown, script: string): number[] {
  if (!Array.isArray(r) || !r.every((x): x is number => typeof x === 'number')) throw new Error(`unexpected reply from the counters ${script} script: ${JSON.stringify(r)}`);
  return r;
}

const redactUrl = (url: string): string => url.replace(/\/\/[^@/]*@/, '//***@');
