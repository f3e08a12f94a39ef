import { describe, expect, it } from 'vitest';
import { liftAgainst } from './ab-lift.ts';

describe('A/B lift against the control group', () => {
  it('relative lift and the two-proportion z-test p-value, as a statistics table gives them', () => {
    // 12 % vs 10 % on 1,000 users each: z = 0.02 / sqrt(0.11 × 0.89 × 0.002) = 1.4293, two-sided p = 0.1529.
    expect(liftAgainst({ users: 1000, converted: 120 }, { users: 1000, converted: 100 })).toEqual({ conversionRate: 0.12, lift: 0.2, pValue: 0.1529 });
    // The same rates on 10,000 each: z = 4.5198, p ≈ 6.2e-6, which rounds to 0.
    expect(liftAgainst({ users: 10_000, converted: 1200 }, { users: 10_000, converted: 1000 })).toEqual({ conversionRate: 0.12, lift: 0.2, pValue: 0 });
    // A worse variant: negative lift, the same p-value as its mirror.
    expect(liftAgainst({ users: 1000, converted: 100 }, { users: 1000, converted: 120 })).toEqual({ conversionRate: 0.1, lift: -0.1667, pValue: 0.1529 });
  });

  it('no figure where it has no meaning', () => {
    expect(liftAgainst({ users: 50, converted: 5 }, null)).toEqual({ conversionRate: 0.1, lift: null, pValue: null });
    expect(liftAgainst({ users: 0, converted: 0 }, { users: 10, converted: 1 })).toEqual({ conversionRate: 0, lift: null, pValue: null });
    // A control that never converts: no relative lift, but the difference still has a p-value (z = 3.2444).
    expect(liftAgainst({ users: 100, converted: 10 }, { users: 100, converted: 0 })).toMatchObject({ lift: null, pValue: 0.0012 });
    // Everybody converts everywhere: no variance, no test.
    expect(liftAgainst({ users: 10, converted: 10 }, { users: 10, converted: 10 })).toEqual({ conversionRate: 1, lift: 0, pValue: null });
  });
});
