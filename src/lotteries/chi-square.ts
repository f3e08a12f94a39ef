/** Pearson's chi-square statistic of observed counts against expected probabilities (draw-odds tests). */
export function chiSquare(observed: number[], probabilities: number[]): number {
  const n = observed.reduce((a, b) => a + b, 0);
  return observed.reduce((acc, o, i) => {
    const e = n * probabilities[i]!;
    return e === 0 ? acc + (o === 0 ? 0 : Infinity) : acc + (o - e) ** 2 / e;
  }, 0);
}

/**
 * Upper 0.1% points of chi-square by degrees of freedom: a correct sampler fails one run in a
 * thousand; at a fixed seed a run is deterministic anyway.
 */
export const CHI2_999: Record<number, number> = { 1: 10.83, 2: 13.82, 3: 16.27, 4: 18.47, 5: 20.52, 6: 22.46 };
