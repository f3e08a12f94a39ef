import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { statusOf } from './errors.ts';
import { pathString } from '../platform/errors.ts';

describe('error codes', () => {
  it('docs/errors.md has a row for every code the HTTP layer maps, with the same status', () => {
    const doc = readFileSync('docs/errors.md', 'utf8');
    const rows = new Map([...doc.matchAll(/^\| `([a-z_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1]!, Number(m[2])]));
    expect(rows.size).toBeGreaterThan(0);
    expect(Object.fromEntries(rows)).toEqual(statusOf);
  });

  it('formats detail paths the way API.md writes them', () => {
    expect(pathString(['definition', 'all', 2, 'op'])).toBe('definition.all[2].op');
    expect(pathString(['events', '0', 'properties', 'amount'])).toBe('events[0].properties.amount');
    expect(pathString([])).toBe('');
  });
});
