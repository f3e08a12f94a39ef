import { describe, expect, it } from 'vitest';
import { cronProblem, occurrenceFrom } from './schedules.ts';

describe('recurring schedules', () => {
  it('reads the cron in the workspace timezone, the first occurrence at or after a time', () => {
    expect(occurrenceFrom('0 9 * * *', new Date('2026-11-22T00:30:00Z'), 'Asia/Shanghai')).toEqual(new Date('2026-11-22T01:00:00Z'));
    expect(occurrenceFrom('0 9 * * *', new Date('2026-11-22T01:00:00Z'), 'Asia/Shanghai')).toEqual(new Date('2026-11-22T01:00:00Z'));
    expect(occurrenceFrom('0 9 * * 1', new Date('2026-11-22T01:00:01Z'), 'Asia/Shanghai')).toEqual(new Date('2026-11-23T01:00:00Z')); // Monday
  });
  it('accepts 5-field crons only', () => {
    expect(cronProblem('0 9 * * *')).toBeNull();
    expect(cronProblem('0 0 9 * * *')).toMatch(/5 fields/);
    expect(cronProblem('0 99 * * *')).toMatch(/range/);
  });
});
