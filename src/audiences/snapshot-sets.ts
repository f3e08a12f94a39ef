/**
 * Snapshot members as sorted id sets, for union / intersection / difference of saved
 * segments in milliseconds (a join of two 500k-member snapshots in PostgreSQL costs hundreds).
 *
 * Stored form (segment_snapshot_sets.ids): the sorted user ids as deltas from the previous id,
 * each an unsigned LEB128 varint. Ids of one workspace are close together, so most deltas
 * fit in one or two bytes: ~1 MB for a million members, read in a few milliseconds.
 * In memory: a Float64Array of ascending ids (user ids are bigint identities; every one this
 * code handles is checked to be below 2^53, where doubles are exact).
 */
export type IdSet = Float64Array;

export function encodeIds(sorted: ArrayLike<number>): Buffer {
  const out = Buffer.allocUnsafe(sorted.length * 8 + 16);
  let at = 0;
  let prev = 0;
  for (let i = 0; i < sorted.length; i++) {
    let d = sorted[i]! - prev;
    if (d <= 0 && i > 0) throw new Error('ids must be strictly ascending');
    prev = sorted[i]!;
    // Division, not bit shifts: deltas may exceed 2^31.
    while (d >= 128) {
      out[at++] = (d % 128) | 128;
      d = Math.floor(d / 128);
    }
    out[at++] = d;
  }
  return out.subarray(0, at);
}

export function decodeIds(buf: Uint8Array, count: number): IdSet {
  const ids = new Float64Array(count);
  let at = 0;
  let prev = 0;
  for (let i = 0; i < count; i++) {
    let d = 0;
    let scale = 1;
    for (;;) {
      const b = buf[at++]!;
      d += (b & 127) * scale;
      if (b < 128) break;
      scale *= 128;
    }
    prev += d;
    ids[i] = prev;
  }
  return ids;
}

/** Parses PostgreSQL's text form of a bigint[] (`{1,2,3}`) without allocating a string per id. */
export function parseIdArray(text: string): IdSet {
  if (text.length <= 2) return new Float64Array(0);
  let n = 1;
  for (let i = 1; i < text.length - 1; i++) if (text.charCodeAt(i) === 44) n++;
  const ids = new Float64Array(n);
  let k = 0;
  let v = 0;
  for (let i = 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 44 || c === 125) {
      if (v > Number.MAX_SAFE_INTEGER) throw new Error('user id beyond 2^53');
      ids[k++] = v;
      v = 0;
    } else v = v * 10 + (c - 48);
  }
  return ids;
}

export function intersect(a: IdSet, b: IdSet): IdSet {
  const out = new Float64Array(Math.min(a.length, b.length));
  let i = 0, j = 0, k = 0;
  while (i < a.length && j < b.length) {
    const x = a[i]!, y = b[j]!;
    if (x === y) { out[k++] = x; i++; j++; } else if (x < y) i++; else j++;
  }
  return out.subarray(0, k);
}

export function union(a: IdSet, b: IdSet): IdSet {
  const out = new Float64Array(a.length + b.length);
  let i = 0, j = 0, k = 0;
  while (i < a.length && j < b.length) {
    const x = a[i]!, y = b[j]!;
    if (x === y) { out[k++] = x; i++; j++; } else if (x < y) { out[k++] = x; i++; } else { out[k++] = y; j++; }
  }
  while (i < a.length) out[k++] = a[i++]!;
  while (j < b.length) out[k++] = b[j++]!;
  return out.subarray(0, k);
}

/** a minus b. */
export function difference(a: IdSet, b: IdSet): IdSet {
  const out = new Float64Array(a.length);
  let i = 0, j = 0, k = 0;
  while (i < a.length) {
    const x = a[i]!;
    while (j < b.length && b[j]! < x) j++;
    if (j >= b.length || b[j] !== x) out[k++] = x;
    i++;
  }
  return out.subarray(0, k);
}

/**
 * A set or the complement of one (within all users of the workspace), so `not` can be carried
 * through `all` / `any` without ever listing every user: A and not B = A minus B.
 */
export interface Signed { set: IdSet; complement: boolean }

export function allOf(parts: Signed[]): Signed {
  const pos = parts.filter((p) => !p.complement).map((p) => p.set);
  const neg = parts.filter((p) => p.complement).map((p) => p.set);
  const negUnion = neg.reduce<IdSet | null>((acc, s) => (acc ? union(acc, s) : s), null);
  if (pos.length === 0) return { set: negUnion!, complement: true };
  // Smallest first keeps every intermediate result small.
  const base = [...pos].sort((x, y) => x.length - y.length).reduce((acc, s) => intersect(acc, s));
  return { set: negUnion ? difference(base, negUnion) : base, complement: false };
}

export function anyOf(parts: Signed[]): Signed {
  // any = not all(not …)
  const r = allOf(parts.map((p) => ({ set: p.set, complement: !p.complement })));
  return { set: r.set, complement: !r.complement };
}
