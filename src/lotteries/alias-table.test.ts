import { describe, expect, it } from 'vitest';
import { aliasNumerators, buildAliasTable, sampleAlias, seededRng } from './alias-table.ts';
import { chiSquare, CHI2_999 } from './chi-square.ts';

describe('alias table (Vose, integer weights)', () => {
  it('is exact: every outcome gets w_i/W of the n·W cells', () => {
    for (const weights of [[1, 2, 3, 4], [7], [0, 5, 0, 1], [1_000_000, 1, 999, 3, 3], [5, 5, 5, 5]]) {
      const t = buildAliasTable(weights);
      const total = weights.reduce((a, b) => a + b, 0);
      // numerator / (n·total) must equal w / total, i.e. numerator = w·n, exactly.
      expect(aliasNumerators(t)).toEqual(weights.map((w) => w * weights.length));
      expect(t.total).toBe(total);
    }
  });

  it('builds the expected table for [1,2,3,4]', () => {
    // W=10, n=4, scaled = [4,8,12,16]; small [0,1], large [2,3], Vose pops the last of each:
    // (1,3): prob 8, 3 → 14; (0,3): prob 4, 3 → 8 (small); (3,2): prob 8, 2 → 10; 2 stays full.
    const t = buildAliasTable([1, 2, 3, 4]);
    expect(t.prob).toEqual([4, 8, 10, 8]);
    expect(t.alias).toEqual([3, 3, 2, 2]);
    expect(aliasNumerators(t)).toEqual([4, 8, 12, 16]);
  });

  it('refuses no outcomes, negative, fractional and all-zero weights', () => {
    expect(() => buildAliasTable([])).toThrow();
    expect(() => buildAliasTable([1, -1])).toThrow();
    expect(() => buildAliasTable([1.5])).toThrow();
    expect(() => buildAliasTable([0, 0])).toThrow();
  });

  it('100,000 draws at a fixed seed fit the weights (chi-square, p > 0.001)', () => {
    const weights = [50, 25, 15, 9, 1];
    const t = buildAliasTable(weights);
    const rng = seededRng(20261122);
    const counts = new Array(weights.length).fill(0);
    for (let i = 0; i < 100_000; i++) counts[sampleAlias(t, rng)]++;
    const W = weights.reduce((a, b) => a + b, 0);
    const stat = chiSquare(counts, weights.map((w) => w / W));
    expect(stat).toBeLessThan(CHI2_999[weights.length - 1]!);
    // And the sampler is not trivially broken: a skewed expectation is rejected by the same test.
    expect(chiSquare(counts, [0.45, 0.3, 0.15, 0.09, 0.01])).toBeGreaterThan(CHI2_999[4]!);
  });

  it('a zero weight is never drawn', () => {
    const t = buildAliasTable([0, 3, 0, 1]);
    const rng = seededRng(7);
    const seen = new Set<number>();
    for (let i = 0; i < 20_000; i++) seen.add(sampleAlias(t, rng));
    expect([...seen].sort()).toEqual([1, 3]);
  });
});
