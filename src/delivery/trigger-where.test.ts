import { describe, expect, it } from 'vitest';
import { matchesWhere } from './trigger-where.ts';

const tz = 'Asia/Shanghai';
const now = new Date('2026-03-10T04:00:00Z'); // 12:00 in Shanghai, 2026-03-10
const m = (where: Parameters<typeof matchesWhere>[0], props: Record<string, unknown>) => matchesWhere(where, props, tz, now);

describe('trigger where (segment where semantics, in memory)', () => {
  it('compares numbers and strings by their own JSON type', () => {
    expect(m([{ prop: 'amount', op: 'gte', value: 20000 }], { amount: 20000 })).toBe(true);
    expect(m([{ prop: 'amount', op: 'gte', value: 20000 }], { amount: 19999 })).toBe(false);
    expect(m([{ prop: 'amount', op: 'gte', value: 20000 }], { amount: '30000' })).toBe(false);
    expect(m([{ prop: 'amount', op: 'eq', value: 10 }], { amount: '10' })).toBe(false);
    expect(m([{ prop: 'amount', op: 'between', value: [100, 200] }], { amount: 200 })).toBe(true);
    expect(m([{ prop: 'amount', op: 'between', value: [100, 200] }], { amount: 201 })).toBe(false);
    expect(m([{ prop: 'sku', op: 'in', value: ['a', 'b'] }], { sku: 'b' })).toBe(true);
    expect(m([{ prop: 'url', op: 'contains', value: 'Shoe' }], { url: '/shoes' })).toBe(false); // case-sensitive
    expect(m([{ prop: 'url', op: 'startsWith', value: '/sh' }], { url: '/shoes' })).toBe(true);
  });

  it('a missing property fails every operator but neq, notIn and notExists', () => {
    const ops = ['eq', 'neq', 'in', 'notIn', 'contains', 'startsWith', 'gt', 'gte', 'lt', 'lte', 'exists', 'notExists'] as const;
    const passing = ops.filter((op) => m([{ prop: 'x', op, value: op === 'in' || op === 'notIn' ? ['a'] : op.startsWith('g') || op.startsWith('l') ? 1 : 'a' }], {}));
    expect(passing).toEqual(['neq', 'notIn', 'notExists']);
  });

  it('reads days in the workspace timezone, instants as instants', () => {
    // 2026-03-09T17:00Z is 01:00 on 03-10 in Shanghai: "today", not yesterday.
    expect(m([{ prop: 'at', op: 'on', value: 'T+0' }], { at: '2026-03-09T17:00:00Z' })).toBe(true);
    expect(m([{ prop: 'at', op: 'before', value: '2026-03-10' }], { at: '2026-03-09T17:00:00Z' })).toBe(false);
    expect(m([{ prop: 'at', op: 'before', value: '2026-03-10' }], { at: '2026-03-09T15:59:00Z' })).toBe(true);
    expect(m([{ prop: 'at', op: 'after', value: '2026-03-09T16:30:00Z' }], { at: '2026-03-09T17:00:00Z' })).toBe(true);
    expect(m([{ prop: 'at', op: 'between', value: ['T-1', 'T+0'] }], { at: '2026-03-08T16:00:00Z' })).toBe(true);
    expect(m([{ prop: 'at', op: 'between', value: ['T-1', 'T+0'] }], { at: '2026-03-08T15:59:59Z' })).toBe(false);
    expect(m([{ prop: 'at', op: 'withinLastDays', value: 1 }], { at: '2026-03-09T04:00:00Z' })).toBe(true);
    expect(m([{ prop: 'at', op: 'withinLastDays', value: 1 }], { at: '2026-03-09T03:59:59Z' })).toBe(false);
  });

  it('all conditions must hold', () => {
    const where = [{ prop: 'amount', op: 'gte' as const, value: 100 }, { prop: 'channel', op: 'eq' as const, value: 'app' }];
    expect(m(where, { amount: 150, channel: 'app' })).toBe(true);
    expect(m(where, { amount: 150, channel: 'web' })).toBe(false);
    expect(m(undefined, {})).toBe(true);
  });
});
