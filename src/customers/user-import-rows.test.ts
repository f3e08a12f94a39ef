import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { ValueType } from './attribute-types.ts';
import { crlfToLf } from './user-import.service.ts';
import { readHeader, readRow, type Column } from './user-import-rows.ts';

describe('CSV rows of users', () => {
  const columns = (names: string[]): Column[] => {
    const h = readHeader(names);
    if (!h.ok) throw new Error(h.message);
    return h.columns;
  };

  it('reads the header: externalId required, profile fields, attributes, no duplicates or computed columns', () => {
    expect(columns([' externalId', 'phone', 'city '])).toEqual([{ kind: 'externalId' }, { kind: 'field', name: 'phone' }, { kind: 'attribute', name: 'city' }]);
    expect(readHeader(['phone'])).toMatchObject({ ok: false });
    expect(readHeader(['externalId', 'a', 'a'])).toMatchObject({ ok: false, message: 'Column "a" appears twice in the header.' });
    expect(readHeader(['externalId', 'lastOrderAt'])).toMatchObject({ ok: false });
    expect(readHeader(['externalId', ''])).toMatchObject({ ok: false, message: 'Column 2 of the header has no name.' });
  });

  it('converts cells by type, infers a new column from its first value, skips empty cells', () => {
    const cols = columns(['externalId', 'email', 'age', 'tier', 'since']);
    const types = new Map<string, ValueType>([['tier', 'string']]);
    expect(readRow(['a', 'A@B.co', '31', '07', ''], cols, types)).toEqual({ ok: true, user: { externalId: 'a', email: 'A@B.co', attributes: { age: 31, tier: '07' } } });
    expect(types.get('age')).toBe('number');
    expect(readRow(['b', '', 'old', '', '2026-01-01'], cols, types)).toEqual({ ok: false, message: 'age: "old" is not a number. The attribute is a number.' });
    expect(readRow(['c', 'not-an-email', '', '', ''], cols, types)).toMatchObject({ ok: false, message: expect.stringMatching(/^email: /) });
    expect(readRow(['', '', '', '', ''], cols, types)).toEqual({ ok: false, message: 'externalId: empty.' });
    expect(readRow(['d'], cols, types)).toEqual({ ok: false, message: '1 fields; the header has 5.' });
    expect(readRow(['$anon:x', '', '', '', ''], cols, types)).toMatchObject({ ok: false, message: expect.stringMatching(/^externalId: /) });
  });

  it('turns CRLF into LF, also when a chunk ends between CR and LF', async () => {
    const chunks = ['a,b\r', '\nc,"x\r\ny"\r', '\n\r', 'z\r'].map((s) => Buffer.from(s));
    const out: Buffer[] = [];
    for await (const c of Readable.from(chunks).pipe(crlfToLf())) out.push(c as Buffer);
    expect(Buffer.concat(out).toString()).toBe('a,b\nc,"x\ny"\n\rz\r');
  });
});
