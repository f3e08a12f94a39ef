import type { Redis } from 'ioredis';
import type { LuaScript } from './redis-counters.lua.ts';

/**
 * EVALSHA, falling back to EVAL when the server does not know the script (a restart, a
 * failover to a replica that never saw SCRIPT LOAD, SCRIPT FLUSH). EVAL caches the script
 * again, so the next call is an EVALSHA hit. Scripts are loaded once at connect, so the
 * fallback is the rare path and the hot path sends only the 40-byte digest.
 */
export async function runScript(redis: Redis, s: LuaScript, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
  try {
    return await redis.evalsha(s.sha, keys.length, ...keys, ...args);
  } catch (err) {
    if (!isNoScript(err)) throw err;
    return redis.eval(s.source, keys.length, ...keys, ...args);
  }
}

/** SCRIPT LOAD of each script; checks that the server's digest is ours (the same source). */
export async function loadScripts(redis: Redis, scripts: readonly LuaScript[]): Promise<void> {
  for (const s of scripts) {
    const sha = await redis.script('LOAD', s.source);
    if (sha !== s.sha) throw new Error(`Redis loaded script ${s.name} as ${String(sha)}, expected ${s.sha}`);
  }
}

const isNoScript = (err: unknown): boolean => err instanceof Error && err.message.startsWith('NOSCRIPT');
