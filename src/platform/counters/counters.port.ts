import type { CounterKey, CounterPrefix } from './counters.keys.ts';

/**
 * The `Counters` port: bounded counters that never go past their limit, whatever the
 * concurrency. Coupon and prize stock, per-user and per-user-per-day limits, budgets,
 * frequency caps and rate limits all go through it (DESIGN.md "Hot counters"). Two adapters
 * (PostgreSQL, Redis) pass one contract suite (counters.contract.ts); docs/counters.md explains
 * the model.
 *
 * A counter stores only how much is *used*. The limit comes with each call, so raising stock
 * or a budget is a config change that the next call sees, with no counter to rewrite.
 */

/**
 * Where a count lives in time. Without a window a counter counts forever (stock, per-user
 * limits, budgets).
 * - `fixed`: one bucket per window id the caller computes (e.g. the workspace-local day
 *   `d2026-11-22`, see counters.windows.ts); it stops counting at `expiresAt`.
 * - `rolling`: the bucket starts at its first use and lasts `ms` (rate limits: "5 per minute
 *   per IP"); after that the next take starts a fresh bucket.
 * - `sliding`: bucketed sliding window (frequency caps: "at most 2 in 7 days"). `ids` names the
 *   buckets of the window, oldest first, the current one last; a take counts the sum of all of
 *   them and adds to the last. The current bucket is kept until `expiresAt`, when it leaves the
 *   last window that includes it.
 */
export type CounterWindow = FixedWindow | RollingWindow | SlidingWindow;
export interface FixedWindow {
  kind: 'fixed';
  id: string;
  expiresAt: Date;
}
export interface RollingWindow {
  kind: 'rolling';
  ms: number;
}
export interface SlidingWindow {
  kind: 'sliding';
  ids: readonly string[];
  expiresAt: Date;
}

export interface TakeOptions {
  /** The bucket's size; a take never brings `used` above it. */
  limit: number;
  /** Units to take; default 1. */
  amount?: number;
  window?: CounterWindow;
}
export interface TakeItem extends TakeOptions {
  key: CounterKey;
}

/** `remaining` is what is left after the take (ok) or as it stands (not ok), never below 0. */
export type TakeResult = { ok: true; remaining: number } | { ok: false; remaining: number };

/**
 * All or nothing. `remaining[i]` belongs to `items[i]`; on failure `failedIndex` names the
 * first item that would have overflowed and `remaining` is the state as it stands (nothing was taken).
 */
export type TakeManyResult = { ok: true; remaining: number[] } | { ok: false; failedIndex: number; remaining: number[] };

/** `returned` is what was actually given back (less than asked when less was used); `used` is what is used after. */
export interface GiveResult {
  used: number;
  returned: number;
}

export interface WindowOption {
  window?: CounterWindow;
}
/** A set addresses one bucket, so a sliding window (several buckets) is not accepted. */
export interface SetOptions {
  window?: FixedWindow | RollingWindow;
}

export interface Counters {
  readonly kind: 'postgres' | 'redis';
  /** Takes `amount` units if they fit under `limit`; a full bucket is an outcome, not an error. Throws `validation_failed` on bad numbers or windows. */
  take(key: CounterKey, opts: TakeOptions): Promise<TakeResult>;
  /** Takes from every item in one atomic step or from none. Items are applied in order (two items on one key add up). All keys must share one hash tag (counters.keys.ts); throws `internal_error` otherwise. */
  takeMany(items: readonly TakeItem[]): Promise<TakeManyResult>;
  /**
   * Many independent takeMany steps in one round trip (frequency caps of a delivery batch: one
   * group per recipient). Each group is all or nothing on its own; groups apply in order, so two
   * groups on one key see each other; `results[i]` belongs to `groups[i]`. Each group's keys
   * share one hash tag; different groups may belong to different tags of one workspace.
   */
  takeEach(groups: readonly (readonly TakeItem[])[]): Promise<TakeManyResult[]>;
  /** Returns units (release, refund, expiry); never brings `used` below 0. In a sliding window, the newest bucket gives first. */
  give(key: CounterKey, amount: number, opts?: WindowOption): Promise<GiveResult>;
  /** What is used now (summed over a sliding window's buckets; 0 when absent or expired). */
  get(key: CounterKey, opts?: WindowOption): Promise<number>;
  /** Overwrites `used` (reconciliation from the ledgers). Keeps a live window's expiry. */
  set(key: CounterKey, used: number, opts?: SetOptions): Promise<void>;
  /** Forgets the counter (every bucket of the window, when one is given). */
  reset(key: CounterKey, opts?: WindowOption): Promise<void>;
  /**
   * Forgets every counter whose name starts with `prefix`, every bucket of each: a coupon
   * template's per-user counters once its claim window is long over, so they do not stay in
   * Redis or the counters table forever. Not atomic with takes on those keys: call it when
   * nothing takes them any more. Returns how many buckets it dropped.
   */
  resetPrefix(prefix: CounterPrefix): Promise<number>;
  /** Releases what the adapter opened (a Redis connection); the PostgreSQL pool belongs to the runtime. */
  close(): Promise<void>;
}
