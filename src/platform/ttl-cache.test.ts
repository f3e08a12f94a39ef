import { describe, expect, it } from 'vitest';
import { TtlCache } from './ttl-cache.ts';

/** A load that resolves when told, counting how often it ran. */
function gate<V>() {
  let runs = 0;
  let release!: (v: V) => void;
  let fail!: (e: unknown) => void;
  const load = () => {
    runs++;
    return new Promise<V>((res, rej) => {
      release = res;
      fail = rej;
    });
  };
  return { load, runs: () => runs, release: (v: V) => release(v), fail: (e: unknown) => fail(e) };
}

describe('TtlCache', () => {
  it('callers that miss together share one load', async () => {
    const c = new TtlCache<number>(60_000);
    const g = gate<number>();
    const all = Promise.all(Array.from({ length: 50 }, () => c.get('k', g.load)));
    g.release(7);
    expect(await all).toEqual(Array(50).fill(7));
    expect(g.runs()).toBe(1);
    expect(await c.get('k', g.load)).toBe(7);
    expect(g.runs()).toBe(1);
  });

  it('a failed load is not kept: the next call loads again', async () => {
    const c = new TtlCache<number>(60_000);
    const g = gate<number>();
    const first = c.get('k', g.load);
    g.fail(new Error('db down'));
    await expect(first).rejects.toThrow('db down');
    const second = c.get('k', g.load);
    g.release(3);
    expect(await second).toBe(3);
    expect(g.runs()).toBe(2);
  });

  it('delete during a load: that load answers its callers, the next call reads again', async () => {
    const c = new TtlCache<string>(60_000);
    const old = gate<string>();
    const before = c.get('k', old.load);
    c.delete('k');
    const fresh = gate<string>();
    const after = c.get('k', fresh.load);
    old.release('old row');
    fresh.release('new row');
    expect(await before).toBe('old row');
    expect(await after).toBe('new row');
    expect(await c.get('k', old.load)).toBe('new row');
  });

  it('an entry expires ttlMs after its load started; refresh loads at once', async () => {
    const c = new TtlCache<number>(0);
    let n = 0;
    const load = async () => ++n;
    expect(await c.get('k', load)).toBe(1);
    expect(await c.get('k', load)).toBe(2);
    const long = new TtlCache<number>(60_000);
    expect(await long.get('k', load)).toBe(3);
    expect(await long.refresh('k', load)).toBe(4);
    expect(await long.get('k', load)).toBe(4);
  });
});
