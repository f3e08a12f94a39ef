import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AppError } from '../platform/errors.ts';
import { derivedKey, signToken } from '../channels/secret-box.ts';
import { signH5Token, verifyH5Token, type H5Claim } from './h5.token.ts';

const config = { secretKey: 'h5-test-secret-0123456789', dataDir: mkdtempSync(join(tmpdir(), 'h5-token-')) };
const now = new Date('2026-11-22T04:00:00Z');
const claim: H5Claim = {
  tokenId: 'h5t_abc', workspaceId: 'ws_1', userId: '42', externalId: 'u-42', kind: 'lottery', pageId: 'lot_1',
  campaignId: 'cmp_1', expiresAt: new Date(now.getTime() + 3_600_000),
};

const codeOf = (f: () => unknown): string => {
  try {
    f();
  } catch (err) {
    if (err instanceof AppError) return err.code;
    throw err;
  }
  return 'ok';
};

describe('H5 token', () => {
  it('round-trips every claim field (expiry to the second)', () => {
    const t = signH5Token(config, claim);
    expect(verifyH5Token(config, t, now, { kind: 'lottery', id: 'lot_1' })).toEqual(claim);
    const noCampaign = signH5Token(config, { ...claim, campaignId: null });
    expect(verifyH5Token(config, noCampaign, now).campaignId).toBeNull();
  });

  it('refuses a token whose payload was edited to another user or page (the MAC no longer matches)', () => {
    const t = signH5Token(config, claim);
    const [body, mac] = t.split('.') as [string, string];
    const payload = JSON.parse(Buffer.from(body, 'base64url').toString()) as Record<string, unknown>;
    for (const edit of [{ u: '43' }, { e: 'u-43' }, { p: 'lot_2' }, { k: 'c' }, { x: Number(payload.x) + 86_400 }, { w: 'ws_2' }]) {
      const forged = `${Buffer.from(JSON.stringify({ ...payload, ...edit })).toString('base64url')}.${mac}`;
      expect(codeOf(() => verifyH5Token(config, forged, now))).toBe('invalid_token');
    }
  });

  it('refuses a token signed under another secret, truncated, empty or not a token', () => {
    const other = signH5Token({ ...config, secretKey: 'another-secret-9876543210' }, claim);
    expect(codeOf(() => verifyH5Token(config, other, now))).toBe('invalid_token');
    const t = signH5Token(config, claim);
    for (const bad of [t.slice(0, -2), t.split('.')[0]!, '', undefined, 'a.b.c', `${t}.x`, '.', `${t.split('.')[0]}.`]) {
      expect(codeOf(() => verifyH5Token(config, bad, now))).toBe('invalid_token');
    }
    // The same payload signed with the unsubscribe links' key (same secret, other use) is refused:
    // one signed link cannot be turned into another kind.
    const payload = JSON.parse(Buffer.from(t.split('.')[0]!, 'base64url').toString()) as object;
    expect(codeOf(() => verifyH5Token(config, signToken(derivedKey(config, 'unsubscribe'), payload), now))).toBe('invalid_token');
  });

  it('expires at its expiry, not a second later', () => {
    const t = signH5Token(config, claim);
    expect(codeOf(() => verifyH5Token(config, t, new Date(claim.expiresAt.getTime() - 1000)))).toBe('ok');
    expect(codeOf(() => verifyH5Token(config, t, claim.expiresAt))).toBe('link_expired');
  });

  it('a valid token opens only its own page', () => {
    const t = signH5Token(config, claim);
    expect(codeOf(() => verifyH5Token(config, t, now, { kind: 'lottery', id: 'lot_2' }))).toBe('forbidden');
    expect(codeOf(() => verifyH5Token(config, t, now, { kind: 'coupon', id: 'lot_1' }))).toBe('forbidden');
  });
});
