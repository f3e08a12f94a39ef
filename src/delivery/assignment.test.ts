import { describe, expect, it } from 'vitest';
import { inControl, variantFor } from './assignment.ts';

const variants = [{ name: 'A', templateId: 't1', weight: 3 }, { name: 'B', templateId: 't2', weight: 1 }];

describe('A/B assignment', () => {
  it('is deterministic per (task, user) and differs across tasks', () => {
    expect(variantFor('tsk_1', 'u-1', variants)).toBe(variantFor('tsk_1', 'u-1', variants));
    const a = Array.from({ length: 200 }, (_, i) => variantFor('tsk_1', `u-${i}`, variants).name).join('');
    const b = Array.from({ length: 200 }, (_, i) => variantFor('tsk_2', `u-${i}`, variants).name).join('');
    expect(a).not.toBe(b);
  });

  it('follows the weights and the control percent', () => {
    const n = 20_000;
    let inA = 0, control = 0;
    for (let i = 0; i < n; i++) {
      if (variantFor('tsk_w', `u-${i}`, variants).name === 'A') inA++;
      if (inControl('tsk_w', `u-${i}`, 10)) control++;
    }
    expect(inA / n).toBeGreaterThan(0.73);
    expect(inA / n).toBeLessThan(0.77);
    expect(control / n).toBeGreaterThan(0.09);
    expect(control / n).toBeLessThan(0.11);
    expect(inControl('tsk_w', 'u-1', 0)).toBe(false);
    expect(inControl('tsk_w', 'u-1', 100)).toBe(true);
  });
});
