import { createHash } from 'node:crypto';

/**
 * A/B assignment: deterministic per (task, user), so every run of a recurring task puts a user
 * in the same group, and any worker computes the same answer without storing it. Two hashes
 * with different salts keep the control draw independent of the variant draw: adding a control
 * group to a task does not move users between variants.
 */
export interface Variant {
  name: string;
  templateId: string;
  weight: number;
}

/** A point in [0, 1) from SHA-256 of the text (48 bits: exact in a double). */
function unit(text: string): number {
  const h = createHash('sha256').update(text).digest();
  return h.readUIntBE(0, 6) / 2 ** 48;
}

/** Is this user in the task's control group (`controlPercent` of users, 0–100)? */
export const inControl = (taskId: string, externalId: string, controlPercent: number): boolean =>
  controlPercent > 0 && unit(`control:${taskId}:${externalId}`) * 100 < controlPercent;

/** The user's variant, by weight. */
export function variantFor(taskId: string, externalId: string, variants: readonly Variant[]): Variant {
  const total = variants.reduce((a, v) => a + v.weight, 0);
  let x = unit(`variant:${taskId}:${externalId}`) * total;
  for (const v of variants) {
    if (x < v.weight) return v;
    x -= v.weight;
  }
  return variants[variants.length - 1]!;
}
