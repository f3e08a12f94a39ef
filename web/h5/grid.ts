import type { PrizeOdds } from './api.ts';

/**
 * The 9-grid: 8 cells around a center button. The ring is walked clockwise from the top left;
 * prizes fill it in order and "no prize" cells fill the rest (at least one: a sold-out prize is
 * drawn as no prize, so the wheel must be able to land on one).
 */
export const RING = [0, 1, 2, 5, 8, 7, 6, 3] as const;

export interface Cell { key: string | null; name: string }

export function ringCells(prizes: readonly PrizeOdds[], noPrizeName: string): Cell[] {
  const shown = prizes.slice(0, 7).map((p) => ({ key: p.key, name: p.name }));
  const cells: Cell[] = [];
  // Spread the no-prize cells between prizes instead of bunching them at the end.
  const blanks = 8 - shown.length;
  let b = 0;
  for (let i = 0; i < 8; i++) {
    const wantBlank = b < blanks && (shown.length === 0 || Math.floor(((i + 1) * blanks) / 8) > b);
    if (wantBlank || shown.length === 0) {
      cells.push({ key: null, name: noPrizeName });
      b++;
    } else {
      cells.push(shown.shift()!);
    }
  }
  return cells;
}

/** The ring index to land on for a drawn prize (its cell, or a no-prize cell), chosen among equals by `salt`. */
export function landingIndex(cells: readonly Cell[], prizeKey: string | null, salt: number): number {
  let candidates = cells.map((c, i) => (c.key === prizeKey ? i : -1)).filter((i) => i >= 0);
  if (candidates.length === 0) candidates = cells.map((c, i) => (c.key === null ? i : -1)).filter((i) => i >= 0);
  if (candidates.length === 0) return 0;
  return candidates[Math.abs(salt) % candidates.length]!;
}

/**
 * The spin: `steps` single moves from `from` to `to` after at least `laps` full laps, with the
 * delay before each move (fast in the middle, slowing down at the end).
 */
export function spinPlan(from: number, to: number, laps = 3): number[] {
  const steps = laps * 8 + ((to - from + 8) % 8 || 8);
  return Array.from({ length: steps }, (_, i) => {
    const left = steps - i;
    if (i < 4) return 140 - i * 25;
    if (left <= 8) return 60 + (8 - left + 1) * 45;
    return 50;
  });
}
