import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import type { Config } from '../platform/config.ts';
import { AppError } from '../platform/errors.ts';
import { derivedKey } from '../channels/secret-box.ts';

/**
 * The signed user token of an H5 page link (docs/h5.md "Tokens").
 *
 * `<payload base64url>.<HMAC-SHA256 base64url>`: the payload names the workspace, the user,
 * the page (a coupon template or a lottery), the campaign and the expiry, so a token is the
 * whole credential of one user on one page: nothing in a public request names a user, and the
 * routes check the page in the URL against the token's. Editing any byte breaks the MAC.
 *
 * The key is derived (HKDF, its own `info`) from the platform secret (MARKETLOOP_SECRET_KEY or
 * the generated `<data dir>/secret-key`) through the channels' key derivation, so rotating that
 * secret invalidates every H5 link like every unsubscribe link.
 */
export type PageKind = 'coupon' | 'lottery';

export interface H5Claim {
  /** Token id: the idempotency reference of what the link grants (one coupon per token). */
  tokenId: string;
  workspaceId: string;
  /** Internal user id. */
  userId: string;
  externalId: string;
  kind: PageKind;
  pageId: string;
  campaignId: string | null;
  expiresAt: Date;
}

interface Wire { v: 1; i: string; w: string; u: string; e: string; k: 'c' | 'l'; p: string; c?: string; x: number }

const keys = new Map<string, Buffer>();
function h5Key(config: Pick<Config, 'secretKey' | 'dataDir'>): Buffer {
  const base = derivedKey(config, 'credentials');
  const id = base.toString('base64');
  let key = keys.get(id);
  if (!key) {
    key = Buffer.from(hkdfSync('sha256', base, 'marketloop', 'marketloop/h5-token/v1', 32));
    keys.set(id, key);
  }
  return key;
}

const mac = (key: Buffer, body: string): Buffer => createHmac('sha256', key).update(body).digest();

export function signH5Token(config: Pick<Config, 'secretKey' | 'dataDir'>, c: H5Claim): string {
  const wire: Wire = {
    v: 1, i: c.tokenId, w: c.workspaceId, u: c.userId, e: c.externalId, k: c.kind === 'coupon' ? 'c' : 'l', p: c.pageId,
    ...(c.campaignId ? { c: c.campaignId } : {}), x: Math.floor(c.expiresAt.getTime() / 1000),
  };
  const body = Buffer.from(JSON.stringify(wire)).toString('base64url');
  return `${body}.${mac(h5Key(config), body).toString('base64url')}`;
}

/**
 * Checks signature, expiry and page. Throws `invalid_token` (missing, edited, forged, signed
 * under another secret), `link_expired` (past its expiry at `now`) and `forbidden` (a valid
 * token of another page kind or id).
 */
export function verifyH5Token(config: Pick<Config, 'secretKey' | 'dataDir'>, token: string | undefined, now: Date, page?: { kind: PageKind; id: string }): H5Claim {
  const bad = () => new AppError('invalid_token', 'This page link is not valid: open the link exactly as you received it.');
  if (!token || token.length > 2000) throw bad();
  const dot = token.indexOf('.');
  if (dot <= 0 || dot !== token.lastIndexOf('.')) throw bad();
  const body = token.slice(0, dot);
  const got = Buffer.from(token.slice(dot + 1), 'base64url');
  const want = mac(h5Key(config), body);
  if (got.length !== want.length || !timingSafeEqual(got, want)) throw bad();
  let w: Partial<Wire>;
  try {
    w = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Partial<Wire>;
  } catch {
    throw bad();
  }
  if (w.v !== 1 || typeof w.i !== 'string' || typeof w.w !== 'string' || typeof w.u !== 'string' || typeof w.e !== 'string'
    || (w.k !== 'c' && w.k !== 'l') || typeof w.p !== 'string' || typeof w.x !== 'number') throw bad();
  const claim: H5Claim = {
    tokenId: w.i, workspaceId: w.w, userId: w.u, externalId: w.e, kind: w.k === 'c' ? 'coupon' : 'lottery', pageId: w.p,
    campaignId: typeof w.c === 'string' ? w.c : null, expiresAt: new Date(w.x * 1000),
  };
  if (claim.expiresAt.getTime() <= now.getTime()) throw new AppError('link_expired', 'This page link has expired; ask for a new one.');
  if (page && (page.kind !== claim.kind || page.id !== claim.pageId)) throw new AppError('forbidden', 'This link belongs to another page.');
  return claim;
}
