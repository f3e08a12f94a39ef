import { AppError } from '../errors.ts';
import { bucketKey, hashTag, type CounterKey } from './counters.keys.ts';
import type { CounterWindow, GiveResult, SlidingWindow, TakeItem, TakeManyResult } from './counters.port.ts';

/**
 * What both adapters share: input rules, the translation of (key, window) into stored buckets,
 * and the semantics of a step over buckets. The PostgreSQL adapter runs `applyTakes` on rows it
 * has locked; the Redis adapter's Lua (redis-counters.lua.ts) is the same algorithm, line for
 * line, and the contract suite holds the two to the same answers.
 */

/** A stored bucket as read: `expiresAt` in epoch ms, null when it never expires. */
export interface BucketState {
  used: number;
  expiresAt: number | null;
}
const EMPTY: BucketState = { used: 0, expiresAt: null };

/** One take over buckets: `read` are summed, the last of them is the one written. */
export interface PlannedTake {
  limit: number;
  amount: number;
  read: string[];
  /** Expiry (epoch ms) a written bucket gets when it has no live one; null: never expires. */
  newExpiry: number | null;
}

const MAX_ITEMS = 64;
const MAX_ROLLING_MS = 366 * 86_400_000;
const WINDOW_ID = /^[A-Za-z0-9:._-]{1,64}$/;

export function planTake(item: TakeItem, nowMs: number): PlannedTake {
  const limit = count(item.limit, 'limit', 0);
  const amount = count(item.amount ?? 1, 'amount', 1);
  const b = planBuckets(item.key, item.window, nowMs);
  return { limit, amount, read: b.read, newExpiry: b.newExpiry };
}

/** takeMany's items; all on one hash tag (see counters.keys.ts for why). */
export function planTakeMany(items: readonly TakeItem[], nowMs: number): PlannedTake[] {
  if (items.length < 1 || items.length > MAX_ITEMS) {
    throw new AppError('validation_failed', `takeMany takes 1 to ${MAX_ITEMS} items.`, [{ path: 'items', message: `got ${items.length}` }]);
  }
  const tag = hashTag(items[0]!.key);
  const plans: PlannedTake[] = [];
  for (let i = 0; i < items.length; i++) {
    const key = items[i]!.key;
    if (i > 0 && !hasTag(key, tag)) {
      throw new AppError('internal_error', 'Counters changed together must share one hash tag (one scope).', [
        { path: `items[${i}].key`, message: `tag ${hashTag(key)} differs from ${tag}` },
      ]);
    }
    plans.push(planTake(items[i]!, nowMs));
  }
  return plans;
}

/** hashTag(key) === tag, without cutting the key's tag out (the hottest check of a grant). */
const hasTag = (key: string, tag: string): boolean =>
  (tag.length > 0 && key.charCodeAt(0) === 123 /* { */ && key.startsWith(tag, 1) && key.charCodeAt(tag.length + 1) === 125 /* } */ && !tag.includes('}')) || hashTag(key) === tag;

/**
 * The buckets of a key in a window, oldest first, and the expiry a freshly written one gets.
 * Reads (get, give, reset) may name a window that has ended; writes (take, set) may not.
 */
export function planBuckets(key: CounterKey, window: CounterWindow | undefined, nowMs: number, forWrite = true): { read: string[]; newExpiry: number | null } {
  if (!window) return { read: [key], newExpiry: null };
  switch (window.kind) {
    case 'fixed':
      return { read: [bucketKey(key, windowId(window.id, 'window.id'))], newExpiry: expiryMs(window.expiresAt, nowMs, forWrite) };
    case 'rolling': {
      if (!Number.isSafeInteger(window.ms) || window.ms < 1 || window.ms > MAX_ROLLING_MS) throw invalid('window.ms', 'a rolling window lasts 1 ms to 366 days');
      return { read: [key], newExpiry: nowMs + window.ms };
    }
    case 'sliding': {
      // One window object serves a whole caps chunk (lastDaysWindow keeps it): its ids are checked once.
      if (!checkedSliding.has(window)) {
        if (window.ids.length < 1 || window.ids.length > 366) throw invalid('window.ids', 'a sliding window has 1 to 366 buckets');
        window.ids.forEach((id, i) => windowId(id, `window.ids[${i}]`));
        if (new Set(window.ids).size !== window.ids.length) throw invalid('window.ids', 'bucket ids repeat');
        checkedSliding.add(window);
      }
      return { read: window.ids.map((id) => bucketKey(key, id)), newExpiry: expiryMs(window.expiresAt, nowMs, forWrite) };
    }
  }
}

/** Sliding windows whose ids passed the checks (their ids are readonly). */
const checkedSliding = new WeakSet<SlidingWindow>();

/** The one bucket a set overwrites; a sliding window has several, so it is refused. */
export function planSet(key: CounterKey, window: CounterWindow | undefined, nowMs: number): { read: string[]; newExpiry: number | null } {
  if (window?.kind === 'sliding') throw invalid('window', 'set addresses one bucket: use a fixed window with that bucket id');
  return planBuckets(key, window, nowMs);
}

/** A stored state as of `nowMs`: an expired bucket reads as never used. */
export const live = (s: BucketState | undefined, nowMs: number): BucketState =>
  !s || (s.expiresAt !== null && s.expiresAt <= nowMs) ? EMPTY : s;

export interface StepResult<R> {
  result: R;
  /** Buckets to store (only on success). */
  writes: Map<string, BucketState>;
}

/**
 * Applies takes in order over the current states; all or nothing. Written with plain loops: a
 * delivery batch's caps run it once per recipient (closures and reduce per call showed in
 * bench/delivery.ts's CPU profile).
 */
export function applyTakes(plans: readonly PlannedTake[], stored: ReadonlyMap<string, BucketState>, nowMs: number): StepResult<TakeManyResult> {
  const cur = new Map<string, BucketState>();
  for (const p of plans) for (const k of p.read) if (!cur.has(k)) cur.set(k, live(stored.get(k), nowMs));
  const before = remainingOf(plans, cur);
  const writes = new Map<string, BucketState>();
  for (let i = 0; i < plans.length; i++) {
    const p = plans[i]!;
    if (sumOf(p, cur) + p.amount > p.limit) return { result: { ok: false, failedIndex: i, remaining: before }, writes: new Map() };
    const target = p.read[p.read.length - 1]!;
    const s = cur.get(target)!;
    const next = { used: s.used + p.amount, expiresAt: s.expiresAt ?? p.newExpiry };
    cur.set(target, next);
    writes.set(target, next);
  }
  return { result: { ok: true, remaining: remainingOf(plans, cur) }, writes };
}

function sumOf(p: PlannedTake, cur: ReadonlyMap<string, BucketState>): number {
  let s = 0;
  for (let j = 0; j < p.read.length; j++) s += cur.get(p.read[j]!)!.used;
  return s;
}

function remainingOf(plans: readonly PlannedTake[], cur: ReadonlyMap<string, BucketState>): number[] {
  const out = new Array<number>(plans.length);
  for (let i = 0; i < plans.length; i++) out[i] = Math.max(0, plans[i]!.limit - sumOf(plans[i]!, cur));
  return out;
}

/** Gives back up to `amount`, newest bucket first, never below 0. `read` is oldest first. */
export function applyGive(read: readonly string[], amount: number, stored: ReadonlyMap<string, BucketState>, nowMs: number): StepResult<GiveResult> {
  let left = count(amount, 'amount', 1);
  const writes = new Map<string, BucketState>();
  let used = 0;
  for (let i = read.length - 1; i >= 0; i--) {
    const k = read[i]!;
    const s = live(stored.get(k), nowMs);
    const back = Math.min(left, s.used);
    if (back > 0) {
      left -= back;
      writes.set(k, { used: s.used - back, expiresAt: s.expiresAt });
    }
    used += s.used - back;
  }
  return { result: { used, returned: amount - left }, writes };
}

/** A non-negative safe integer (at least `min`); Lua and bigint both hold these exactly. */
export function count(v: number, path: string, min: number): number {
  if (!Number.isSafeInteger(v) || v < min) throw invalid(path, `expected an integer ≥ ${min}, got ${v}`);
  return v;
}

function windowId(id: string, path: string): string {
  if (!WINDOW_ID.test(id)) throw invalid(path, 'window ids are 1 to 64 of A-Z a-z 0-9 : . _ -');
  return id;
}

function expiryMs(at: Date, nowMs: number, forWrite: boolean): number {
  const ms = at instanceof Date ? at.getTime() : Number.NaN;
  if (!Number.isFinite(ms)) throw invalid('window.expiresAt', 'not a date');
  // A window that already ended would store a bucket that reads as empty: an unbounded counter.
  if (forWrite && ms <= nowMs) throw invalid('window.expiresAt', 'the window has already ended');
  return ms;
}

const invalid = (path: string, message: string): AppError => new AppError('validation_failed', 'Invalid counter request.', [{ path, message }]);
