import { describe, expect, it } from 'vitest';
import { pgText, toJsonb } from './text.ts';

describe('text for PostgreSQL', () => {
  it('drops NUL characters from jsonb but keeps a literal backslash-u0000', () => {
    expect(JSON.parse(toJsonb({ a: 'x\u0000y' }))).toEqual({ a: 'xy' });
    expect(JSON.parse(toJsonb({ a: 'x\\u0000y' }))).toEqual({ a: 'x\\u0000y' });
    expect(JSON.parse(toJsonb({ a: '\\\u0000' }))).toEqual({ a: '\\' });
  });
  it('rejects NUL in text columns', () => {
    expect(pgText().safeParse('ok').success).toBe(true);
    expect(pgText().safeParse('n\u0000o').success).toBe(false);
  });
});
