import { describe, expect, it } from 'vitest';
import { allOf, anyOf, decodeIds, difference, encodeIds, intersect, parseIdArray, union, type IdSet } from './snapshot-sets.ts';

/** Random ascending ids with small and huge gaps (deltas beyond 2^31 and up to 2^53). */
function randomIds(seed: number, n: number): number[] {
  let s = seed;
  const next = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  const out: number[] = [];
  let v = 0;
  for (let i = 0; i < n; i++) {
    const r = next();
    v += r < 0.01 ? Math.floor(next() * 2 ** 40) + 1 : 1 + Math.floor(r * 5);
    out.push(v);
  }
  return out;
}
const plain = (s: IdSet) => Array.from(s);

describe('snapshot id sets', () => {
  it('encode / decode round-trips, including deltas beyond 32 bits', () => {
    for (const ids of [[], [1], [Number.MAX_SAFE_INTEGER], randomIds(7, 5000)]) {
      const buf = encodeIds(ids);
      expect(plain(decodeIds(buf, ids.length))).toEqual(ids);
    }
    // Dense ids take about a byte each.
    const dense = Array.from({ length: 10_000 }, (_, i) => 1_000_000 + i * 2);
    expect(encodeIds(dense).length).toBeLessThan(10_010);
    expect(() => encodeIds([3, 3])).toThrow();
  });

  it('parses PostgreSQL bigint[] text', () => {
    expect(plain(parseIdArray('{}'))).toEqual([]);
    expect(plain(parseIdArray('{5}'))).toEqual([5]);
    expect(plain(parseIdArray('{1,20,300000000000}'))).toEqual([1, 20, 300000000000]);
    expect(() => parseIdArray('{99999999999999999}')).toThrow();
  });

  it('union, intersection, difference and signed all/any agree with a naive Set', () => {
    const a = randomIds(1, 3000), b = randomIds(2, 2500), c = randomIds(3, 1000);
    const A = new Float64Array(a), B = new Float64Array(b), C = new Float64Array(c);
    const sa = new Set(a), sb = new Set(b), sc = new Set(c);
    const sorted = (xs: Iterable<number>) => [...xs].sort((x, y) => x - y);
    expect(plain(union(A, B))).toEqual(sorted(new Set([...a, ...b])));
    expect(plain(intersect(A, B))).toEqual(a.filter((x) => sb.has(x)));
    expect(plain(difference(A, B))).toEqual(a.filter((x) => !sb.has(x)));
    // A and not B and not C; any(A, B) and not C through the signed algebra.
    const r1 = allOf([{ set: A, complement: false }, { set: B, complement: true }, { set: C, complement: true }]);
    expect(r1.complement).toBe(false);
    expect(plain(r1.set)).toEqual(a.filter((x) => !sb.has(x) && !sc.has(x)));
    const r2 = allOf([anyOf([{ set: A, complement: false }, { set: B, complement: false }]), { set: C, complement: true }]);
    expect(plain(r2.set)).toEqual(sorted(new Set([...a, ...b])).filter((x) => !sc.has(x)));
    // not A or B = complement of (A minus B).
    const r3 = anyOf([{ set: A, complement: true }, { set: B, complement: false }]);
    expect(r3.complement).toBe(true);
    expect(plain(r3.set)).toEqual(a.filter((x) => !sb.has(x)));
    expect(sa.size).toBe(a.length);
  });
});
