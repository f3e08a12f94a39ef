import { randomInt } from 'node:crypto';

/**
 * Vose's alias method over integer weights, in exact integer arithmetic.
 *
 * With n outcomes of weights w_i summing to W, each column i holds a threshold `prob[i]` out
 * of W and an `alias[i]`. A draw picks a column uniformly (randomInt(n)) and a number
 * r = randomInt(W): outcome i when r < prob[i], else alias[i]. Every outcome's probability is
 * then exactly (prob[j] + Σ_{alias[i]=j} (W − prob[i])) / (n·W) = w_j / W, which
 * `aliasProbabilities` recomputes as integers so a test can check the table exactly. Two
 * random integers per draw: O(1), whatever the number of prizes.
 */
export interface AliasTable {
  n: number;
  /** Σ weights: the denominator of every threshold. */
  total: number;
  prob: number[];
  alias: number[];
}

/** A source of uniform integers in [0, max); crypto by default, a seeded one in tests. */
export interface DrawRng {
  int(max: number): number;
}

export const cryptoRng: DrawRng = { int: (max) => randomInt(max) };

// randomInt accepts ranges below 2^48; n·W must also stay an exact double.
export const MAX_TOTAL_WEIGHT = 2 ** 40;

/** Builds the table. Throws when there is no outcome, a weight is not a non-negative integer or all are zero. */
export function buildAliasTable(weights: readonly number[]): AliasTable {
  const n = weights.length;
  if (n === 0) throw new Error('alias table: no outcomes');
  let total = 0;
  for (const w of weights) {
    if (!Number.isSafeInteger(w) || w < 0) throw new Error(`alias table: bad weight ${w}`);
    total += w;
  }
  if (total <= 0 || total > MAX_TOTAL_WEIGHT) throw new Error(`alias table: total weight ${total} out of range`);
  // Scaled weights: column i must be filled to `total` exactly; s_i = w_i · n.
  const scaled = weights.map((w) => w * n);
  const prob = new Array<number>(n).fill(0);
  const alias = Array.from({ length: n }, (_, i) => i);
  const small: number[] = [];
  const large: number[] = [];
  scaled.forEach((s, i) => (s < total ? small : large).push(i));
  while (small.length > 0 && large.length > 0) {
    const l = small.pop()!;
    const g = large.pop()!;
    prob[l] = scaled[l]!;
    alias[l] = g;
    scaled[g] = scaled[g]! + scaled[l]! - total;
    (scaled[g]! < total ? small : large).push(g);
  }
  // With integers nothing is left over by rounding: what remains is exactly full.
  for (const g of large) prob[g] = total;
  for (const l of small) prob[l] = total;
  return { n, total, prob, alias };
}

/** One draw: the index of the outcome. */
export function sampleAlias(t: AliasTable, rng: DrawRng): number {
  const i = rng.int(t.n);
  return rng.int(t.total) < t.prob[i]! ? i : t.alias[i]!;
}

/** Each outcome's probability as an exact numerator over n·W (for tests and the console's %). */
export function aliasNumerators(t: AliasTable): number[] {
  const out = new Array<number>(t.n).fill(0);
  for (let i = 0; i < t.n; i++) {
    out[i]! += t.prob[i]!;
    if (t.prob[i]! < t.total) out[t.alias[i]!]! += t.total - t.prob[i]!;
  }
  return out;
}

/**
 * A seeded generator (sfc32) for tests and reproducible simulations; never for real draws.
 * Uniform integers by rejection, so it has no modulo bias either.
 */
export function seededRng(seed: number): DrawRng {
  let a = 0x9e3779b9, b = 0x243f6a88, c = 0xb7e15162, d = seed >>> 0;
  const next32 = (): number => {
    a >>>= 0; b >>>= 0; c >>>= 0; d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return t >>> 0;
  };
  for (let i = 0; i < 15; i++) next32();
  return {
    int(max: number): number {
      if (!Number.isSafeInteger(max) || max <= 0 || max > 2 ** 48) throw new Error(`seededRng: bad max ${max}`);
      // 48 random bits, rejection above the largest multiple of max.
      const space = 2 ** 48;
      const limit = space - (space % max);
      for (;;) {
        const x = next32() * 65536 + (next32() >>> 16);
        if (x < limit) return x % max;
      }
    },
  };
}
