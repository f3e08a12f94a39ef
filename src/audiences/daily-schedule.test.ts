import { describe, expect, it } from 'vitest';
import { nextDailyRun } from './daily-schedule.ts';

describe('nextDailyRun', () => {
  it('is the next local HH:MM strictly after the given instant', () => {
    // 2026-11-22 01:59 in Shanghai (+08:00) → 02:00 the same local day.
    expect(nextDailyRun(new Date('2026-11-21T17:59:00Z'), '02:00', 'Asia/Shanghai').toISOString()).toBe('2026-11-21T18:00:00.000Z');
    // Exactly at 02:00 → tomorrow: one run per local day.
    expect(nextDailyRun(new Date('2026-11-21T18:00:00Z'), '02:00', 'Asia/Shanghai').toISOString()).toBe('2026-11-22T18:00:00.000Z');
    expect(nextDailyRun(new Date('2026-11-22T04:00:00Z'), '23:30', 'Asia/Shanghai').toISOString()).toBe('2026-11-22T15:30:00.000Z');
  });

  it('after days of downtime, the next run is the next local day, not the missed ones', () => {
    expect(nextDailyRun(new Date('2026-11-25T10:00:00Z'), '02:00', 'Asia/Shanghai').toISOString()).toBe('2026-11-25T18:00:00.000Z');
  });

  it('follows daylight-saving time in zones that have it', () => {
    // New York: EDT (-04:00) until 2026-11-01 02:00, EST (-05:00) from then.
    expect(nextDailyRun(new Date('2026-10-30T12:00:00Z'), '02:30', 'America/New_York').toISOString()).toBe('2026-10-31T06:30:00.000Z');
    expect(nextDailyRun(new Date('2026-10-31T12:00:00Z'), '02:30', 'America/New_York').toISOString()).toBe('2026-11-01T07:30:00.000Z');
    expect(nextDailyRun(new Date('2026-11-01T12:00:00Z'), '02:30', 'America/New_York').toISOString()).toBe('2026-11-02T07:30:00.000Z');
    // 2026-03-08 02:30 does not exist there (clocks jump 02:00 → 03:00): it runs at 03:30 EDT.
    expect(nextDailyRun(new Date('2026-03-08T05:00:00Z'), '02:30', 'America/New_York').toISOString()).toBe('2026-03-08T07:30:00.000Z');
  });
});
