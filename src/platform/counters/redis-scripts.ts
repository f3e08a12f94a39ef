import type { RedisClientType } from '@redis/client';
import type { LuaScript } from './redis-counters.lua.ts';

/** A node-redis client as createClient builds it with no modules, functions or named scripts, over RESP2. */
export type RedisClient = RedisClientType<{}, {}, {}, 2, {}>;

/**
 * EVALSHA, falling back to EVAL when the server does not know the script (a restart, a
 * failover to a replica that never saw SCRIPT LOAD, SCRIPT FLUSH). EVAL caches the script
 * again, so the next call is an EVALSHA hit. Scripts are loaded once at connect, so the
 * fallback is the rare path and the hot path sends only the 40-byte digest.
 */
export function runScript(redis: RedisClient, s: LuaScript, keys: string[], args: string[]): Promise<unknown> {
  return runScriptThen(redis, s, keys, args, (reply) => reply);
}

/**
 * runScript with the reply's parser in the same `then`: on the hottest path (a take) every
 * promise layer costs a measurable share of the client's CPU (bench/counters.ts).
 */
export function runScriptThen<T>(redis: RedisClient, s: LuaScript, keys: string[], args: string[], parse: (reply: unknown) => T): Promise<T> {
  const call = { keys, arguments: args };
  return redis.evalSha(s.sha, call).then(parse, (err: unknown) => {
    if (!isNoScript(err)) throw err;
    return redis.eval(s.source, call).then(parse);
  });
}

/** SCRIPT LOAD of each script; checks that the server's digest is ours (the same source). */
export async function loadScripts(redis: RedisClient, scripts: readonly LuaScript[]): Promise<void> {
  for (const s of scripts) {
    const sha = await redis.scriptLoad(s.source);
    if (sha !== s.sha) throw new Error(`Redis loaded script ${s.name} as ${String(sha)}, expected ${s.sha}`);
  }
}

const isNoScript = (err: unknown): boolean => err instanceof Error && err.message.startsWith('NOSCRIPT');
