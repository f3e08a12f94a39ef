import { createClient } from '@redis/client';
import type { Clock } from '../clock.ts';
import type { Logger } from '../logger.ts';
import { KeyedBatcher } from '../batcher.ts';
import { hashTag, keyWorkspace, type CounterKey, type CounterPrefix } from './counters.keys.ts';
import { count, planBuckets, planSet, planTake, planTakeMany, type PlannedTake } from './counters.plan.ts';
import type { Counters, GiveResult, SetOptions, TakeItem, TakeManyResult, TakeOptions, TakeResult, WindowOption } from './counters.port.ts';
import { GET, GIVE, SCRIPTS, SET, TAKE, TAKE_EACH } from './redis-counters.lua.ts';
import { loadScripts, runScript, runScriptThen, type RedisClient } from './redis-scripts.ts';

export interface RedisCountersOptions {
  url: string;
  clock: Clock;
  /** Put before every key (outside the hash tag); lets several deployments or test runs share one Redis. No braces. */
  prefix?: string;
  /** Connections, used in turn; default 2 (see RedisCounters). */
  connections?: number;
  log?: Logger;
}

/** A takeMany's plans, its keys checked as a workspace's (planTakeMany checks the rest). */
function planChecked(items: readonly TakeItem[], nowMs: number): PlannedTake[] {
  const plans = planTakeMany(items, nowMs);
  for (const it of items) keyWorkspace(it.key);
  return plans;
}

/**
 * Counters in Redis (when REDIS_URL is set). Every operation is one Lua script over the
 * buckets it touches, so a step is atomic on the server; all of a step's keys share one hash
 * tag, so on Redis Cluster they share a slot.
 *
 * node-redis pipelines on its own: the calls made in one tick go out in one write. Two
 * connections used in turn measured about 1.3× one here (bench/counters.ts --connections):
 * with one, Redis waits while this process parses a batch of replies and sends the next; with
 * two, it works on the other connection's batch meanwhile. Atomicity never depends on the
 * connection: each script is atomic on the server.
 */
export class RedisCounters implements Counters {
  readonly kind = 'redis' as const;
  private turn = 0;

  constructor(
    private readonly clients: readonly RedisClient[],
    private readonly clock: Clock,
    readonly prefix = 'ml:',
    /** The server is a Redis Cluster node: a script may only touch one slot (see takeEach). */
    private readonly cluster = false,
  ) {
    if (clients.length < 1) throw new Error('RedisCounters needs at least one connection');
    if (/[{}]/.test(prefix)) throw new Error('a Redis counters prefix may not contain braces (they would become the hash tag)');
  }

  /** The first connection, for maintenance and tests (SCAN, TTL checks). */
  get redis(): RedisClient {
    return this.clients[0]!;
  }

  private next(): RedisClient {
    return this.clients[this.turn++ % this.clients.length]!;
  }

  take(key: CounterKey, opts: TakeOptions): Promise<TakeResult> {
    if (opts.window !== undefined) return this.takeWindowed(key, opts);
    // The hottest call (stock, per-user limits, budgets): the same script and arguments as
    // encodeTakes would give, without plan objects or an async frame (one promise layer over
    // the client's own), which the benchmark shows in the client's CPU per take.
    let args: string[];
    try {
      keyWorkspace(key);
      args = [String(this.clock.now().getTime()), '1', String(count(opts.limit, 'limit', 0)), String(count(opts.amount ?? 1, 'amount', 1)), '-1', '1', '1'];
    } catch (err) {
      return Promise.reject(err);
    }
    return runScriptThen(this.next(), TAKE, [this.prefix + key], args, parseTakeOne);
  }

  private async takeWindowed(key: CounterKey, opts: TakeOptions): Promise<TakeResult> {
    keyWorkspace(key);
    const nowMs = this.clock.now().getTime();
    const r = await this.runTakes([planTake({ key, ...opts }, nowMs)], nowMs);
    return { ok: r.ok, remaining: r.remaining[0]! };
  }

  /**
   * Concurrent calls on one hash tag are combined (KeyedBatcher): the calls that arrive while
   * that tag's script is in flight leave together as one take-each script, each still all or
   * nothing and applied in arrival order. Every grant of a template takes its stock and budget
   * in one script of its own, and a script call's fixed costs (dispatch, the Lua call, the reply,
   * the client's encoding and parsing) were most of a grant's Redis CPU. One tag per script, so
   * a batch stays on one Redis Cluster slot. Alone, a call waits for no timer.
   */
  async takeMany(items: readonly TakeItem[]): Promise<TakeManyResult> {
    // Planned (and so validated) here, so a broken call fails alone instead of failing the batch it would join.
    const nowMs = this.clock.now().getTime();
    const plans = planChecked(items, nowMs); // before items[0] is read: an empty call is a validation error
    return this.combiner.add(hashTag(items[0]!.key), { plans, nowMs });
  }

  // A batch runs at its earliest call's time: a bucket that expired since reads as still used
  // (a refusal at worst, never a take past the limit), and every planned expiry lies after it.
  private readonly combiner = new KeyedBatcher<{ plans: PlannedTake[]; nowMs: number }, TakeManyResult>((_tag, batch) => {
    let nowMs = batch[0]!.nowMs;
    for (const b of batch) if (b.nowMs < nowMs) nowMs = b.nowMs;
    return batch.length === 1 ? this.runTakes(batch[0]!.plans, nowMs).then((r) => [r]) : this.runTakeEach(batch.map((b) => b.plans), nowMs);
  }, 256);

  /**
   * On a standalone Redis, one TAKE_EACH script per EACH_CHUNK groups (a caps chunk of a
   * delivery batch was a script call per recipient: the per-call overhead was most of
   * redis-server's CPU per message, and the client's), all on one connection, so Redis runs them
   * in the order sent. On Redis Cluster the groups' keys live in different slots, so each group
   * goes through takeMany (combined per tag there, in order).
   */
  async takeEach(groups: readonly (readonly TakeItem[])[]): Promise<TakeManyResult[]> {
    // Cluster: the calls of one tag (the only ones that can share a bucket) stay in order in the combiner's queue.
    if (this.cluster) return Promise.all(groups.map((g) => this.takeMany(g)));
    const nowMs = this.clock.now().getTime();
    const plans = groups.map((g) => planChecked(g, nowMs));
    const redis = this.next();
    const calls: Promise<TakeManyResult[]>[] = [];
    for (let i = 0; i < plans.length; i += EACH_CHUNK) calls.push(this.runTakeEach(plans.slice(i, i + EACH_CHUNK), nowMs, redis));
    return (await Promise.all(calls)).flat();
  }

  async give(key: CounterKey, amount: number, opts: WindowOption = {}): Promise<GiveResult> {
    keyWorkspace(key);
    const nowMs = this.clock.now().getTime();
    const { read } = planBuckets(key, opts.window, nowMs, false);
    const r = numbers(await runScript(this.next(), GIVE, read.map(this.stored), [String(nowMs), String(count(amount, 'amount', 1))]), 'give');
    return { used: r[0]!, returned: r[1]! };
  }

  async get(key: CounterKey, opts: WindowOption = {}): Promise<number> {
    keyWorkspace(key);
    const nowMs = this.clock.now().getTime();
    const { read } = planBuckets(key, opts.window, nowMs, false);
    const r = await runScript(this.next(), GET, read.map(this.stored), [String(nowMs)]);
    if (typeof r !== 'number') throw new Error(`unexpected reply from the counters get script: ${JSON.stringify(r)}`);
    return r;
  }

  async set(key: CounterKey, used: number, opts: SetOptions = {}): Promise<void> {
    keyWorkspace(key);
    const nowMs = this.clock.now().getTime();
    const { read, newExpiry } = planSet(key, opts.window, nowMs);
    await runScript(this.next(), SET, [this.stored(read[0]!)], [String(nowMs), String(count(used, 'used', 0)), String(newExpiry ?? -1)]);
  }

  async reset(key: CounterKey, opts: WindowOption = {}): Promise<void> {
    keyWorkspace(key);
    const { read } = planBuckets(key, opts.window, this.clock.now().getTime(), false);
    await this.next().del(read.map(this.stored));
  }

  /**
   * SCAN for the prefix (never KEYS: SCAN walks the keyspace in steps, so Redis keeps answering
   * takes meanwhile), UNLINK what it finds (freed in the background). A key SCAN returns twice
   * is unlinked once. Meant for a maintenance job: each call walks every key of the server.
   */
  async resetPrefix(prefix: CounterPrefix): Promise<number> {
    keyWorkspace(prefix);
    const redis = this.redis;
    const match = `${globEscaped(this.prefix + prefix)}*`;
    let cursor = '0';
    let dropped = 0;
    do {
      const r = await redis.scan(cursor, { MATCH: match, COUNT: 1000 });
      if (r.keys.length) dropped += await redis.unlink(r.keys);
      cursor = r.cursor;
    } while (cursor !== '0');
    return dropped;
  }

  /** QUIT (pending replies still arrive), then waits until the sockets are closed. */
  async close(): Promise<void> {
    await Promise.all(this.clients.map(closeClient));
  }

  private readonly stored = (bucket: string): string => this.prefix + bucket;

  private async runTakes(plans: readonly PlannedTake[], nowMs: number): Promise<TakeManyResult> {
    const { keys, args } = encodeTakes(plans, this.prefix, nowMs);
    return parseTakeMany(numbers(await runScript(this.next(), TAKE, keys, args), 'take'));
  }

  private async runTakeEach(groups: readonly (readonly PlannedTake[])[], nowMs: number, redis = this.next()): Promise<TakeManyResult[]> {
    const { keys, args } = encodeTakeEach(groups, this.prefix, nowMs);
    const r = numbers(await runScript(redis, TAKE_EACH, keys, args), 'take-each');
    const out: TakeManyResult[] = [];
    for (let at = 0; out.length < groups.length;) {
      const n = r[at + 2]!;
      const remaining = r.slice(at + 3, at + 3 + n);
      out.push(r[at] === 1 ? { ok: true, remaining } : { ok: false, failedIndex: r[at + 1]!, remaining });
      at += 3 + n;
    }
    return out;
  }
}

/** Numbers every distinct bucket once, in order of first use: KEYS of a take script. */
class KeyIndex {
  private readonly index = new Map<string, number>();
  readonly keys: string[] = [];
  constructor(private readonly prefix: string) {}
  of(bucket: string): number {
    let i = this.index.get(bucket);
    if (i === undefined) {
      this.keys.push(this.prefix + bucket);
      i = this.keys.length;
      this.index.set(bucket, i);
    }
    return i;
  }
}

function pushRequests(args: number[], plans: readonly PlannedTake[], keys: KeyIndex): void {
  for (const p of plans) {
    args.push(p.limit, p.amount, p.newExpiry ?? -1, p.read.length);
    for (const b of p.read) args.push(keys.of(b));
  }
}

/** Groups per TAKE_EACH call: a script blocks Redis while it runs, so a call stays a few milliseconds long. */
export const EACH_CHUNK = 250;

const parseTakeMany = (r: number[]): TakeManyResult => (r[0] === 1 ? { ok: true, remaining: r.slice(1) } : { ok: false, failedIndex: r[1]!, remaining: r.slice(2) });

/**
 * The KEYS and ARGV of the take script for these takes. Exported so bench/counters.ts can hand
 * redis-benchmark exactly the call this adapter makes.
 */
export function encodeTakes(plans: readonly PlannedTake[], prefix: string, nowMs: number): { keys: string[]; args: string[] } {
  const keys = new KeyIndex(prefix);
  const args: number[] = [nowMs, plans.length];
  pushRequests(args, plans, keys);
  return { keys: keys.keys, args: args.map(String) };
}

/** The KEYS and ARGV of the take-each script: now, and the takes as one JSON array (see TAKE_EACH). */
export function encodeTakeEach(groups: readonly (readonly PlannedTake[])[], prefix: string, nowMs: number): { keys: string[]; args: string[] } {
  const keys = new KeyIndex(prefix);
  const takes = groups.map((g) => g.map((p) => [p.limit, p.amount, p.newExpiry ?? -1, p.read.map((b) => keys.of(b))]));
  return { keys: keys.keys, args: [String(nowMs), JSON.stringify(takes)] };
}

/** Connects (failing fast when Redis is not there), loads the scripts once, and returns the adapter. */
export async function connectRedisCounters(opts: RedisCountersOptions): Promise<RedisCounters> {
  let cluster = false;
  const clients = Array.from({ length: opts.connections ?? 2 }, () => {
    let connected = false;
    const redis = createClient({
      url: opts.url,
      socket: {
        connectTimeout: 5_000,
        // Reconnect after a drop, but fail the first connect at once: a misconfigured
        // REDIS_URL should stop the start, not hang it.
        reconnectStrategy: (retries: number, cause: Error) => (connected ? Math.min(50 * 2 ** retries, 2_000) : cause),
      },
      // A counter call must answer or fail, not wait in an offline queue while money is at stake.
      disableOfflineQueue: true,
    });
    redis.on('ready', () => {
      connected = true;
    });
    // Without a listener an 'error' event would crash the process; reconnects are logged instead.
    redis.on('error', (err: Error) => opts.log?.warn({ err: err.message }, 'redis counters connection error'));
    return redis;
  });
  try {
    await Promise.all(clients.map((c) => c.connect()));
    // The script cache is the server's, not the connection's: loading once is enough.
    await loadScripts(clients[0]!, SCRIPTS);
    cluster = /^cluster_enabled:1\b/m.test(await clients[0]!.info('cluster'));
  } catch (err) {
    for (const c of clients) if (c.isOpen) c.destroy();
    throw new Error(`Redis counters: cannot use REDIS_URL (${redactUrl(opts.url)}): ${err instanceof Error ? err.message : String(err)}`);
  }
  return new RedisCounters(clients, opts.clock, opts.prefix, cluster);
}

/** Waits for pending replies, then closes the socket. */
async function closeClient(redis: RedisClient): Promise<void> {
  if (redis.isOpen) await redis.close();
}

function parseTakeOne(reply: unknown): TakeResult {
  const r = numbers(reply, 'take');
  return r[0] === 1 ? { ok: true, remaining: r[1]! } : { ok: false, remaining: r[2]! };
}

function numbers(r: unknown, script: string): number[] {
  if (!Array.isArray(r) || !r.every((x): x is number => typeof x === 'number')) throw new Error(`unexpected reply from the counters ${script} script: ${JSON.stringify(r)}`);
  return r;
}

const redactUrl = (url: string): string => url.replace(/\/\/[^@/]*@/, '//***@');

/** A SCAN MATCH pattern that matches `text` literally: glob's special characters escaped. */
const globEscaped = (text: string): string => text.replace(/[*?[\]\\]/g, '\\$&');
