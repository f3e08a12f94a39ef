import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../platform/config.ts';

/**
 * Secrets of the channels: provider credentials are sealed with AES-256-GCM and unsubscribe
 * tokens signed with HMAC-SHA256, both under keys derived (HKDF-SHA256, one `info` per use)
 * from MARKETLOOP_SECRET_KEY, or, when unset, from a random secret generated once in
 * `<data dir>/secret-key` (like the root key). Losing that secret loses the stored credentials.
 */
const cache = new Map<string, Buffer>();

const fileSecrets = new Map<string, string>();

function masterSecret(config: Pick<Config, 'secretKey' | 'dataDir'>): string {
  if (config.secretKey) return config.secretKey;
  const file = join(config.dataDir, 'secret-key');
  let secret = fileSecrets.get(file);
  if (secret) return secret;
  if (!existsSync(file)) {
    mkdirSync(config.dataDir, { recursive: true });
    try {
      writeFileSync(file, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err; // another process won the race: use its secret
    }
  }
  secret = readFileSync(file, 'utf8').trim();
  fileSecrets.set(file, secret);
  return secret;
}

export function derivedKey(config: Pick<Config, 'secretKey' | 'dataDir'>, use: 'credentials' | 'unsubscribe'): Buffer {
  const master = masterSecret(config);
  const id = `${use}:${master}`;
  let key = cache.get(id);
  if (!key) {
    key = Buffer.from(hkdfSync('sha256', master, 'marketloop', `marketloop/${use}/v1`, 32));
    cache.set(id, key);
  }
  return key;
}

/** `v1.<iv>.<tag>.<ciphertext>` (base64url); the AAD binds the box to its row, so a box copied to another provider does not open. */
export function seal(key: Buffer, plaintext: string, aad: string): string {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(Buffer.from(aad));
  const ct = Buffer.concat([c.update(plaintext, 'utf8'), c.final()]);
  return ['v1', iv.toString('base64url'), c.getAuthTag().toString('base64url'), ct.toString('base64url')].join('.');
}

/** Throws when the box was tampered with, sealed under another key or for another row. */
export function open(key: Buffer, box: string, aad: string): string {
  const [v, iv, tag, ct] = box.split('.');
  if (v !== 'v1' || !iv || !tag || ct === undefined) throw new Error('not a sealed box');
  const d = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
  d.setAAD(Buffer.from(aad));
  d.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([d.update(Buffer.from(ct, 'base64url')), d.final()]).toString('utf8');
}

/** `<payload base64url>.<hmac base64url>`: a compact signed token. */
export function signToken(key: Buffer, payload: object): string {
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  return `${body}.${createHmac('sha256', key).update(body).digest('base64url')}`;
}

export function verifyToken(key: Buffer, token: string): unknown {
  const [body, mac] = token.split('.');
  if (!body || !mac) return null;
  const want = createHmac('sha256', key).update(body).digest();
  const got = Buffer.from(mac, 'base64url');
  if (got.length !== want.length || !timingSafeEqual(got, want)) return null;
  try { return JSON.parse(Buffer.from(body, 'base64url').toString('utf8')); } catch { return null; }
}
