import { describe, expect, it } from 'vitest';
import { allOf, and, andNot, anyOf, bitmapFromBytes, bitmapOf, bitmapToBytes, cardinality, decodeIds, decodeToBitmap, encodeIds, idsOf, MAX_BITMAP_RANGE, or, parseIdArray, type Bitmap, type IdSet } from './snapshot-sets.ts';

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
  it('stored bitmap words read back as the same members, from aligned and unaligned bytes', () => {
    const ids = Array.from({ length: 3000 }, (_, i) => 70_001 + i * 8 + (i % 7));
    expect(new Set(ids).size).toBe(3000);
    const b = bitmapOf(ids)!;
    const bytes = bitmapToBytes(b);
    expect(bytes.length).toBe(b.words.length * 4);
    expect(Array.from(idsOf(bitmapFromBytes(b.base, bytes)))).toEqual(ids);
    // A buffer that starts at an odd offset (as a slice of a pooled Buffer may) is copied, not misread.
    const padded = Buffer.alloc(bytes.length + 1);
    bytes.copy(padded, 1);
    const odd = padded.subarray(1);
    expect(odd.byteOffset % 4).not.toBe(0);
    expect(Array.from(idsOf(bitmapFromBytes(b.base, odd)))).toEqual(ids);
    expect(() => bitmapFromBytes(0, Buffer.alloc(6))).toThrow();
  });

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

  it('bitmaps: and, or, and-not, counts and first ids agree with a naive Set, across unaligned ranges', () => {
    // Dense ids with different starts and ends, so the bitmaps cover different word ranges.
    const pick = (seed: number, lo: number, hi: number, p: number) => {
      let s = seed;
      const next = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
      const out: number[] = [];
      for (let v = lo; v <= hi; v++) if (next() < p) out.push(v);
      return out;
    };
    const a = pick(1, 1_000_003, 1_020_000, 0.5), b = pick(2, 1_010_017, 1_030_001, 0.4), c = pick(3, 1_000_000, 1_025_000, 0.1);
    const bm = (xs: number[]): Bitmap => bitmapOf(xs)!;
    const A = bm(a), B = bm(b), C = bm(c);
    const sb = new Set(b), sc = new Set(c);
    const sorted = (xs: Iterable<number>) => [...xs].sort((x, y) => x - y);
    const check = (r: Bitmap, want: number[]) => {
      expect(idsOf(r)).toEqual(want);
      expect(cardinality(r)).toBe(want.length);
      expect(idsOf(r, 20)).toEqual(want.slice(0, 20));
    };
    check(or(A, B), sorted(new Set([...a, ...b])));
    check(and(A, B), a.filter((x) => sb.has(x)));
    check(andNot(A, B), a.filter((x) => !sb.has(x)));
    const sa = new Set(a);
    check(andNot(B, A), b.filter((x) => !sa.has(x)));
    check(and(A, bm([5, 6])), []);
    // A and not B and not C; any(A, B) and not C through the signed algebra.
    const r1 = allOf([{ set: A, complement: false }, { set: B, complement: true }, { set: C, complement: true }]);
    expect(r1.complement).toBe(false);
    check(r1.set, a.filter((x) => !sb.has(x) && !sc.has(x)));
    const r2 = allOf([anyOf([{ set: A, complement: false }, { set: B, complement: false }]), { set: C, complement: true }]);
    check(r2.set, sorted(new Set([...a, ...b])).filter((x) => !sc.has(x)));
    // not A or B = complement of (A minus B).
    const r3 = anyOf([{ set: A, complement: true }, { set: B, complement: false }]);
    expect(r3.complement).toBe(true);
    check(r3.set, a.filter((x) => !sb.has(x)));
    // The stored form decodes into the same bitmap; ids spread too wide give none.
    check(decodeToBitmap(encodeIds(a), a.length)!, a);
    expect(bitmapOf([1, MAX_BITMAP_RANGE + 100])).toBeNull();
    const unused: IdSet = decodeIds(encodeIds([]), 0);
    expect(unused.length).toBe(0);
  });
});
