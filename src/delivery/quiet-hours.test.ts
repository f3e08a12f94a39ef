import { describe, expect, it } from 'vitest';
import { quietUntil } from './quiet-hours.ts';

const sh = 'Asia/Shanghai'; // UTC+8, no DST
const q = { start: '21:00', end: '09:00' };

describe('quiet hours across midnight in the workspace timezone', () => {
  it('is inside from 21:00 local to 09:00 local the next morning, ending at that 09:00', () => {
    // 21:00 Shanghai = 13:00Z
    expect(quietUntil(new Date('2026-11-22T12:59:59Z'), q, sh)).toBeNull();
    expect(quietUntil(new Date('2026-11-22T13:00:00Z'), q, sh)).toEqual(new Date('2026-11-23T01:00:00Z'));
    expect(quietUntil(new Date('2026-11-22T16:30:00Z'), q, sh)).toEqual(new Date('2026-11-23T01:00:00Z')); // 00:30 local, after midnight
    expect(quietUntil(new Date('2026-11-23T00:59:59Z'), q, sh)).toEqual(new Date('2026-11-23T01:00:00Z')); // 08:59:59 local
    expect(quietUntil(new Date('2026-11-23T01:00:00Z'), q, sh)).toBeNull(); // 09:00 local: end is outside
  });

  it('handles a range inside one day and no policy', () => {
    const day = { start: '12:00', end: '14:00' };
    expect(quietUntil(new Date('2026-11-22T04:00:00Z'), day, sh)).toEqual(new Date('2026-11-22T06:00:00Z'));
    expect(quietUntil(new Date('2026-11-22T06:00:00Z'), day, sh)).toBeNull();
    expect(quietUntil(new Date('2026-11-22T03:59:00Z'), day, sh)).toBeNull();
    expect(quietUntil(new Date('2026-11-22T04:00:00Z'), null, sh)).toBeNull();
  });

  it('ends at the real local time across a DST change', () => {
    // New York, night of 2026-11-01 (clocks go back at 02:00): 22:00 EDT = 02:00Z; 07:00 EST = 12:00Z.
    expect(quietUntil(new Date('2026-11-01T02:00:00Z'), { start: '22:00', end: '07:00' }, 'America/New_York')).toEqual(new Date('2026-11-01T12:00:00Z'));
  });
});
