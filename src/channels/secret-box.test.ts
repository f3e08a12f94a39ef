import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { derivedKey, open, seal, signToken, verifyToken } from './secret-box.ts';

describe('secret box', () => {
  it('seals with AES-256-GCM bound to its row; another row, key or a flipped byte does not open', () => {
    const key = derivedKey({ secretKey: 'k'.repeat(32), dataDir: '/nonexistent' }, 'credentials');
    const box = seal(key, '{"secret":"s3cr3t"}', 'provider:ws1:prv_1');
    expect(box).not.toContain('s3cr3t');
    expect(open(key, box, 'provider:ws1:prv_1')).toBe('{"secret":"s3cr3t"}');
    expect(() => open(key, box, 'provider:ws2:prv_1')).toThrow();
    expect(() => open(derivedKey({ secretKey: 'j'.repeat(32), dataDir: '/x' }, 'credentials'), box, 'provider:ws1:prv_1')).toThrow();
    const parts = box.split('.');
    const ct = Buffer.from(parts[3]!, 'base64url');
    ct[0]! ^= 1;
    expect(() => open(key, [parts[0], parts[1], parts[2], ct.toString('base64url')].join('.'), 'provider:ws1:prv_1')).toThrow();
  });

  it('without MARKETLOOP_SECRET_KEY, generates one secret in the data dir (mode 600) and keeps using it', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ml-secret-'));
    const a = derivedKey({ dataDir }, 'credentials');
    expect(readFileSync(join(dataDir, 'secret-key'), 'utf8').trim()).toMatch(/^[\w-]{43}$/);
    expect(statSync(join(dataDir, 'secret-key')).mode & 0o777).toBe(0o600);
    expect(derivedKey({ dataDir }, 'credentials').equals(a)).toBe(true);
    expect(derivedKey({ dataDir }, 'unsubscribe').equals(a)).toBe(false); // one key per use
  });

  it('signed tokens verify, and an edited payload does not', () => {
    const key = derivedKey({ secretKey: 'k'.repeat(32), dataDir: '/x' }, 'unsubscribe');
    const t = signToken(key, { e: 'ann' });
    expect(verifyToken(key, t)).toEqual({ e: 'ann' });
    expect(verifyToken(key, `${Buffer.from('{"e":"bob"}').toString('base64url')}.${t.split('.')[1]}`)).toBeNull();
  });
});
