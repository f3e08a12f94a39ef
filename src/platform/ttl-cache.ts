/**
 * A small per-process cache of values that may be a little stale (templates, budgets, kill
 * switches, timezones on the hot paths), keeping the *promise* of a load: the requests that
 * miss together share one read. Keeping the value only made every request in flight at the
 * moment an entry expired read it again — 200 identical queries a second under load
 * (docs/benchmarks.md, Rewards). An entry lives `ttlMs` from the start of its load; a failed
 * load is not kept. `delete` forgets an entry at once: a load already running still answers
 * its callers, but its result is not kept, so a change made through this process is seen by
 * the next call.
 */
export class TtlCache<V> {
  private readonly entries = new Map<string, { at: number; value: Promise<V> }>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
  ) {}

  get(key: string, load: () => Promise<V>): Promise<V> {
    const now = Date.now();
    const hit = this.entries.get(key);
    if (hit && now - hit.at < this.ttlMs) return hit.value;
    return this.refresh(key, load, now);
  }

  /** Loads now (a caller that must not act on a stale value) and keeps the result for the others. */
  refresh(key: string, load: () => Promise<V>, now = Date.now()): Promise<V> {
    const entry = { at: now, value: load() };
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    this.entries.set(key, entry);
    entry.value.catch(() => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    });
    return entry.value;
  }

  delete(key: string): void {
    this.entries.delete(key);
  }
}
