import { describe, expect, it } from 'vitest';
import { fromText, inferType, inferTypeFromText, looksLikeIsoDate } from './attribute-types.ts';

describe('attribute type inference', () => {
  it('reads ISO dates and date-times that exist', () => {
    for (const s of ['2026-03-01', '2026-03-01T08:00', '2026-03-01T08:00:00Z', '2026-03-01T08:00:00.123+08:00', '2024-02-29', '2026-03-01 08:00:00']) expect(looksLikeIsoDate(s), s).toBe(true);
    for (const s of ['2026-02-30', '2026-13-01', '20260301', '2026-3-1', 'March 1', '2026-03-01T25:00:00Z', '2023-02-29', '']) expect(looksLikeIsoDate(s), s).toBe(false);
  });

  it('infers from JSON values', () => {
    expect(inferType(3)).toBe('number');
    expect(inferType(-0.5)).toBe('number');
    expect(inferType(true)).toBe('boolean');
    expect(inferType('Guangzhou')).toBe('string');
    expect(inferType('30')).toBe('string'); // a JSON string stays a string
    expect(inferType('2026-01-01')).toBe('date');
    expect(inferType(null)).toBeNull();
    expect(inferType({ a: 1 })).toBeNull();
    expect(inferType([1])).toBeNull();
  });

  it('infers from CSV text and converts by type', () => {
    expect(inferTypeFromText('12')).toBe('number');
    expect(inferTypeFromText('-1.5e3')).toBe('number');
    expect(inferTypeFromText('true')).toBe('boolean');
    expect(inferTypeFromText('2026-01-01')).toBe('date');
    expect(inferTypeFromText('12a')).toBe('string');
    expect(inferTypeFromText('Infinity')).toBe('string');
    expect(fromText('12.5', 'number')).toEqual({ ok: true, value: 12.5 });
    expect(fromText('12', 'string')).toEqual({ ok: true, value: '12' });
    expect(fromText('FALSE', 'boolean')).toEqual({ ok: true, value: false });
    expect(fromText('2026-01-01', 'date')).toEqual({ ok: true, value: '2026-01-01' });
    expect(fromText('abc', 'number')).toEqual({ ok: false, message: '"abc" is not a number.' });
    expect(fromText('yes', 'boolean').ok).toBe(false);
    expect(fromText('01/02/2026', 'date').ok).toBe(false);
    expect(fromText('0x10', 'number').ok).toBe(false);
  });
});
