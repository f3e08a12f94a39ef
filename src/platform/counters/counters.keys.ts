import { AppError } from '../errors.ts';

/**
 * A counter's name: `{ws:<workspaceId>:<scope>}:<name>`.
 *
 * The braces are a Redis Cluster hash tag: only the part inside them picks the slot, so every
 * counter of one scope (a coupon template, a lottery, a user's caps) lives on one node and one
 * Lua script can change several of them atomically. `takeMany` therefore requires one tag for
 * all its keys — on both adapters, so code that passes on PostgreSQL cannot fail with CROSSSLOT
 * on a cluster later. The workspace comes first so PostgreSQL can shard the table by it.
 */
export type CounterKey = string & { readonly __counterKey: true };

const WORKSPACE = /^[A-Za-z0-9_-]{1,64}$/;
// Braces would move the hash tag, '@' separates a window id, whitespace breaks redis-cli use.
const PART = /^[^{}@\s]{1,200}$/;
const KEY = /^\{ws:([A-Za-z0-9_-]{1,64}):[^{}@\s]+\}:[^{}@\s]+$/;

/** `counterKey('ws_1', 'tpl:cpt_9', 'stock')` → `{ws:ws_1:tpl:cpt_9}:stock`. Throws `validation_failed` on a bad part. */
export function counterKey(workspaceId: string, scope: string, name: string): CounterKey {
  if (!WORKSPACE.test(workspaceId)) throw badKey('workspaceId', workspaceId);
  if (!PART.test(scope)) throw badKey('scope', scope);
  if (!PART.test(name)) throw badKey('name', name);
  return `{ws:${workspaceId}:${scope}}:${name}` as CounterKey;
}

/**
 * The start of some counters' names within one hash tag: `{ws:<workspaceId>:<scope>}:<namePrefix>`
 * (Counters.resetPrefix). A whole tag, so the counters it covers live on one Redis Cluster slot
 * and in one workspace's rows.
 */
export type CounterPrefix = string & { readonly __counterPrefix: true };

/** `counterPrefix('ws_1', 'tpl:cpt_9', 'tpl:cpt_9:user:')` → `{ws:ws_1:tpl:cpt_9}:tpl:cpt_9:user:`. The name prefix may be empty (the whole tag). */
export function counterPrefix(workspaceId: string, scope: string, namePrefix: string): CounterPrefix {
  if (!WORKSPACE.test(workspaceId)) throw badKey('workspaceId', workspaceId);
  if (!PART.test(scope)) throw badKey('scope', scope);
  if (namePrefix !== '' && !PART.test(namePrefix)) throw badKey('namePrefix', namePrefix);
  return `{ws:${workspaceId}:${scope}}:${namePrefix}` as CounterPrefix;
}

/** Checks a key that arrived from elsewhere (a job payload, a config) and brands it. */
export function parseCounterKey(text: string): CounterKey {
  if (!KEY.test(text)) throw badKey('key', text);
  return text as CounterKey;
}

/**
 * The workspace a key belongs to (PostgreSQL's distribution column). On every call, so it only
 * checks the frame: the parts were checked when counterKey or parseCounterKey built the key.
 */
export function keyWorkspace(key: CounterKey | CounterPrefix): string {
  const end = key.indexOf(':', 4);
  if (!key.startsWith('{ws:') || end < 5 || key.indexOf('}', end) < 0) throw badKey('key', String(key));
  return key.slice(4, end);
}

/** The Redis Cluster hash tag: the text between the first `{` and the next `}`. */
export function hashTag(key: string): string {
  const open = key.indexOf('{');
  const close = key.indexOf('}', open + 1);
  return open >= 0 && close > open + 1 ? key.slice(open + 1, close) : key;
}

/** One stored bucket of a key: the key itself, or `key@windowId` (same hash tag). */
export const bucketKey = (key: CounterKey, windowId?: string): string => (windowId === undefined ? key : `${key}@${windowId}`);

function badKey(path: string, value: string): AppError {
  return new AppError('validation_failed', 'Not a valid counter key.', [
    { path, message: `${JSON.stringify(value.slice(0, 80))}: expected {ws:<workspace>:<scope>}:<name> without braces, '@' or spaces in the parts.` },
  ]);
}
