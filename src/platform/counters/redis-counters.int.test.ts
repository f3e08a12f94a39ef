import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness } from '../../../test/support/harness.ts';
import { ManualClock } from '../clock.ts';
import { counterKey } from './counters.keys.ts';
import { countersContract } from './counters.contract.ts';
import { dayWindow, rollingWindow } from './counters.windows.ts';
import { connectRedisCounters, type RedisCounters } from './redis-counters.adapter.ts';
import { EXPIRY_GRACE_MS } from './redis-counters.lua.ts';
import { runScript, type RedisClient } from './redis-scripts.ts';

/**
 * The contract on real Redis, when REDIS_URL is set (CI's second pass sets it). Each run uses
 * its own key prefix and deletes its keys afterwards, so runs on a shared Redis never collide.
 */
const url = process.env.REDIS_URL;
const skipReason = url ? undefined : 'REDIS_URL is not set; run with REDIS_URL=redis://127.0.0.1:6379';

/** Deletes every key under the prefix (SCAN, never KEYS, on a shared server). */
async function dropPrefix(redis: RedisClient, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const r = await redis.scan(cursor, { MATCH: `${prefix}*`, COUNT: 1000 });
    if (r.keys.length) await redis.del(r.keys);
    cursor = r.cursor;
  } while (cursor !== '0');
}

countersContract('Redis', async () => {
  const prefix = `test:${randomBytes(6).toString('hex')}:`;
  const clock = new ManualClock();
  const counters = await connectRedisCounters({ url: url!, clock, prefix });
  const peer = await connectRedisCounters({ url: url!, clock, prefix });
  return {
    counters, peer, clock,
    close: async () => {
      await dropPrefix(counters.redis, prefix);
      await peer.close();
      await counters.close();
    },
  };
}, skipReason);

describe.skipIf(!url)(`Redis counters adapter${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  const prefix = `test:${randomBytes(6).toString('hex')}:`;
  const clock = new ManualClock('2026-11-22T10:00:00Z');
  let c: RedisCounters;
  beforeAll(async () => {
    c = await connectRedisCounters({ url: url!, clock, prefix });
  });
  afterAll(async () => {
    await dropPrefix(c.redis, prefix);
    await c.close();
  });

  it('keeps its keys under its prefix with the hash tag intact', async () => {
    const k = counterKey('ws_r1', 'tpl:x', 'stock');
    await c.take(k, { limit: 3 });
    expect(await c.redis.hGet(`${prefix}{ws:ws_r1:tpl:x}:stock`, 'u')).toBe('1');
    // Stock never expires; Redis must not drop it.
    expect(await c.redis.pTTL(`${prefix}{ws:ws_r1:tpl:x}:stock`)).toBe(-1);
  });

  it('gives windowed buckets a Redis TTL only as garbage collection, past the clock-side expiry', async () => {
    const k = counterKey('ws_r2', 'user:1', 'daily');
    const w = dayWindow(clock.now(), 'Asia/Shanghai');
    await c.take(k, { limit: 3, window: w });
    const stored = `${prefix}{ws:ws_r2:user:1}:daily@${w.id}`;
    expect(await c.redis.hGet(stored, 'e')).toBe(String(w.expiresAt.getTime()));
    const ttl = await c.redis.pTTL(stored);
    const expected = w.expiresAt.getTime() - clock.now().getTime() + EXPIRY_GRACE_MS;
    expect(ttl).toBeGreaterThan(expected - 5_000);
    expect(ttl).toBeLessThanOrEqual(expected);
  });

  it('a bucket reused without a window after its window ended loses its TTL', async () => {
    const k = counterKey('ws_r3', 'ip:1', 'mixed');
    await c.take(k, { limit: 5, window: rollingWindow(1000) });
    clock.advance(1000);
    await c.take(k, { limit: 5 });
    expect(await c.redis.pTTL(`${prefix}{ws:ws_r3:ip:1}:mixed`)).toBe(-1);
    expect(await c.redis.hExists(`${prefix}{ws:ws_r3:ip:1}:mixed`, 'e')).toBe(0);
  });

  it('EVALSHA falls back to EVAL for a script the server does not know, which loads it', async () => {
    const source = `return ARGV[1] .. ':${randomBytes(8).toString('hex')}'`;
    const { createHash } = await import('node:crypto');
    const s = { name: 'probe', source, sha: createHash('sha1').update(source).digest('hex') };
    expect(await c.redis.scriptExists(s.sha)).toEqual([0]);
    expect(String(await runScript(c.redis, s, [], ['x']))).toMatch(/^x:/);
    expect(await c.redis.scriptExists(s.sha)).toEqual([1]);
    expect(String(await runScript(c.redis, s, [], ['y']))).toMatch(/^y:/);
  });

  it('is what the platform gets when REDIS_URL is set, and closes with the runtime', async () => {
    const h = await createHarness({ REDIS_URL: url! });
    const k = counterKey(`ws_boot_${randomBytes(4).toString('hex')}`, 'tpl:x', 'stock');
    try {
      expect(h.p.counters.kind).toBe('redis');
      expect(await h.p.counters.take(k, { limit: 1 })).toEqual({ ok: true, remaining: 0 });
      await h.p.counters.reset(k);
    } finally {
      await h.close();
    }
    expect((h.p.counters as RedisCounters).redis.isOpen).toBe(false);
  });

  it('fails fast with a clear message when Redis is not there', async () => {
    await expect(connectRedisCounters({ url: 'redis://127.0.0.1:1', clock })).rejects.toThrow(/Redis counters: cannot use REDIS_URL/);
  });
});
