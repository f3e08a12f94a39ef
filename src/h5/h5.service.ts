import type { Platform } from '../platform/context.ts';
import { AppError } from '../platform/errors.ts';
import { decodeCursor, encodeCursor } from '../platform/cursor.ts';
import { counterKey } from '../platform/counters/counters.keys.ts';
import { rollingWindow } from '../platform/counters/counters.windows.ts';
import { newId, newLinkCode } from '../platform/ids.ts';
import type { Principal } from '../workspaces/roles.ts';
import * as customers from '../customers/customers.service.ts';
import * as campaigns from '../campaigns/campaigns.service.ts';
import * as workspaces from '../workspaces/workspaces.service.ts';
import * as rewards from './h5.rewards.ts';
import * as repo from './h5.repo.ts';
import type { CreateLinkInput, H5Settings, LinkView } from './h5.schema.ts';
import { signH5Token, verifyH5Token, type H5Claim, type PageKind } from './h5.token.ts';

/**
 * H5 reward pages (docs/h5.md): signed links for one user and one page, and the public API the
 * pages call. Every public call is verified (token), rate limited (per IP and per device, on
 * the Counters port) and recorded as an event with the link's campaign id.
 */

const DEFAULT_TTL_HOURS = 24 * 7;
/** Mobile carriers put many phones behind one address, so the IP limit is the looser one. */
export const DEFAULT_SETTINGS: H5Settings = { perIpPerMinute: 600, perDevicePerMinute: 60 };
const RATE_WINDOW = rollingWindow(60_000);

const pageUrl = (p: Platform, kind: PageKind, pageId: string, token: string) =>
  `${p.config.publicUrl}/h5/${kind}/${encodeURIComponent(pageId)}?t=${token}`;
export const shortLinkUrl = (p: Platform, code: string) => `${p.config.publicUrl}/h/${code}`;

// ---- links (operator side) ----

/** Issues a signed page link for one user. Throws `not_found` (user, coupon template, lottery, campaign). */
export async function createLink(p: Platform, who: Principal, input: CreateLinkInput): Promise<LinkView> {
  const ws = who.workspaceId;
  const kind: PageKind = input.couponTemplateId ? 'coupon' : 'lottery';
  const pageId = (input.couponTemplateId ?? input.lotteryId)!;
  const userId = await customers.internalId(p.db, ws, input.externalId);
  if (kind === 'coupon') await rewards.couponOffer(p, ws, pageId);
  else await rewards.lotteryPublic(p, ws, pageId);
  if (input.campaignId) await campaigns.campaignInfo(p.db, ws, input.campaignId);
  const now = p.clock.now();
  const claim: H5Claim = {
    tokenId: newId('h5t'), workspaceId: ws, userId, externalId: input.externalId, kind, pageId,
    campaignId: input.campaignId ?? null, expiresAt: new Date(now.getTime() + (input.ttlHours ?? DEFAULT_TTL_HOURS) * 3_600_000),
  };
  const token = signH5Token(p.config, claim);
  const row = {
    code: newLinkCode(), workspaceId: ws, tokenId: claim.tokenId, userId, externalId: input.externalId, pageKind: kind, pageId,
    campaignId: claim.campaignId, token, expiresAt: claim.expiresAt, createdBy: who.actor, createdAt: now,
  };
  await repo.insertLink(p.db, row);
  return linkView(p, { ...row, expiresAt: claim.expiresAt, createdAt: now });
}

function linkView(p: Platform, r: { code: string; token: string; tokenId: string; pageKind: string; pageId: string; externalId: string; campaignId: string | null; expiresAt: Date; createdAt: Date }): LinkView {
  const kind = r.pageKind as PageKind;
  return {
    url: pageUrl(p, kind, r.pageId, r.token), shortUrl: shortLinkUrl(p, r.code), code: r.code, token: r.token, tokenId: r.tokenId,
    page: kind, pageId: r.pageId, externalId: r.externalId, campaignId: r.campaignId,
    expiresAt: r.expiresAt.toISOString(), createdAt: r.createdAt.toISOString(),
  };
}

export async function listLinks(p: Platform, workspaceId: string, q: { limit: number; cursor?: string; page?: PageKind; pageId?: string; externalId?: string }) {
  const after = decodeCursor(q.cursor);
  const rows = await repo.listLinks(p.db, workspaceId, q.limit, after, { pageKind: q.page, pageId: q.pageId, externalId: q.externalId });
  const items = rows.slice(0, q.limit);
  const last = items[items.length - 1];
  return { items: items.map((r) => linkView(p, r)), nextCursor: rows.length > q.limit && last ? encodeCursor(last.createdAt, last.code) : null };
}

/**
 * `/h/{code}`: the short form of a page link. Records `$link_clicked` for the link's user with
 * the campaign id (like a message's short link, so "clicked" segments and reports see it) and
 * answers the page URL; null when the code is unknown. Counts against the IP's rate limit.
 */
export async function followShortLink(p: Platform, code: string, meta: { ip: string | null; userAgent: string | null }): Promise<string | null> {
  const link = await repo.linkByCode(p.db, code);
  if (!link) return null;
  const url = pageUrl(p, link.pageKind as PageKind, link.pageId, link.token);
  // A click over the IP's limit still goes to the page (it may be a real user behind a busy
  // address) but is not written: a flood of clicks cannot turn into a flood of event rows.
  const s = await settingsFor(p, link.workspaceId);
  const r = await p.counters.take(counterKey(link.workspaceId, 'h5rl', `ip:${meta.ip ?? 'unknown'}`), { limit: s.perIpPerMinute, window: RATE_WINDOW });
  if (!r.ok) return url;
  await p.db.transaction().execute((tx) => customers.recordPlatformEvents(tx, link.workspaceId, [{
    userId: link.userId, name: '$link_clicked', ts: p.clock.now(),
    properties: { code, url: `/h5/${link.pageKind}/${link.pageId}`, source: 'h5', page: link.pageKind, pageId: link.pageId, campaignId: link.campaignId, tokenId: link.tokenId, ip: meta.ip, userAgent: meta.userAgent },
  }], p));
  return url;
}

// ---- settings ----

const settingsCache = new Map<string, { at: number; s: H5Settings }>();
const SETTINGS_TTL_MS = 5_000;

async function settingsFor(p: Platform, workspaceId: string): Promise<H5Settings> {
  const hit = settingsCache.get(workspaceId);
  const nowMs = Date.now(); // a cache age, not domain time
  if (hit && nowMs - hit.at < SETTINGS_TTL_MS) return hit.s;
  const row = await repo.settingsOf(p.db, workspaceId);
  const s = row ? { perIpPerMinute: row.perIpPerMinute, perDevicePerMinute: row.perDevicePerMinute } : DEFAULT_SETTINGS;
  settingsCache.set(workspaceId, { at: nowMs, s });
  return s;
}

export async function getSettings(p: Platform, workspaceId: string) {
  const row = await repo.settingsOf(p.db, workspaceId);
  return row
    ? { perIpPerMinute: row.perIpPerMinute, perDevicePerMinute: row.perDevicePerMinute, updatedAt: row.updatedAt.toISOString() }
    : { ...DEFAULT_SETTINGS, updatedAt: null };
}

/** Other API processes see the change within SETTINGS_TTL_MS; this one at once. */
export async function putSettings(p: Platform, who: Principal, s: H5Settings) {
  await repo.upsertSettings(p.db, who.workspaceId, s, who.actor, p.clock.now());
  settingsCache.delete(who.workspaceId);
  return getSettings(p, who.workspaceId);
}

// ---- public pages ----

/** Who is calling a public route: the token (verified here), the caller's address and device. */
export interface Caller { token: string | undefined; ip: string; deviceId: string; lang?: string }
export interface Visit { claim: H5Claim; caller: Caller }

/**
 * Verifies the token for the page, then takes one unit of the caller's IP and device rate
 * limits in one atomic step (both or neither). Throws `invalid_token`, `link_expired`,
 * `forbidden`, `rate_limited`.
 */
export async function enter(p: Platform, caller: Caller, page: { kind: PageKind; id: string }): Promise<Visit> {
  const claim = verifyH5Token(p.config, caller.token, p.clock.now(), page);
  const s = await settingsFor(p, claim.workspaceId);
  const r = await p.counters.takeMany([
    { key: counterKey(claim.workspaceId, 'h5rl', `ip:${caller.ip}`), limit: s.perIpPerMinute, window: RATE_WINDOW },
    { key: counterKey(claim.workspaceId, 'h5rl', `dev:${caller.deviceId}`), limit: s.perDevicePerMinute, window: RATE_WINDOW },
  ]);
  if (!r.ok) {
    throw new AppError('rate_limited', 'Too many requests; wait a minute and try again.', [{ path: r.failedIndex === 0 ? 'ip' : 'device', message: `At most ${r.failedIndex === 0 ? s.perIpPerMinute : s.perDevicePerMinute} requests a minute.` }]);
  }
  return { claim, caller };
}

/** `$h5_view` / `$h5_click` for the link's user, with the campaign id (the loop's measure step). */
async function record(p: Platform, v: Visit, name: '$h5_view' | '$h5_click', extra: Record<string, unknown>): Promise<void> {
  const c = v.claim;
  await p.db.transaction().execute((tx) => customers.recordPlatformEvents(tx, c.workspaceId, [{
    userId: c.userId, name, ts: p.clock.now(),
    properties: { campaignId: c.campaignId, page: c.kind, pageId: c.pageId, tokenId: c.tokenId, deviceId: v.caller.deviceId, ip: v.caller.ip, ...(v.caller.lang ? { lang: v.caller.lang } : {}), ...extra },
  }], p));
}

async function head(p: Platform, c: H5Claim) {
  const ws = await workspaces.settings(p.db, c.workspaceId);
  return { pageId: c.pageId, externalId: c.externalId, campaignId: c.campaignId, expiresAt: c.expiresAt.toISOString(), currency: ws.currency, timezone: ws.timezone };
}

export async function couponPage(p: Platform, v: Visit) {
  const c = v.claim;
  const offer = await rewards.couponOffer(p, c.workspaceId, c.pageId);
  const myCoupons = await rewards.userCoupons(p, c.workspaceId, c.pageId, c.userId);
  await record(p, v, '$h5_view', {});
  return { page: 'coupon' as const, ...(await head(p, c)), offer: offer as unknown as Record<string, unknown>, myCoupons };
}

export async function lotteryPage(p: Platform, v: Visit) {
  const c = v.claim;
  const lottery = await rewards.lotteryPublic(p, c.workspaceId, c.pageId, c.userId);
  const chances = await rewards.chances(p, c.workspaceId, c.pageId, c.userId);
  const myPrizes = await prizesOf(p, c);
  const points = lottery.pointsPerChance ? await rewards.pointsBalance(p, c.workspaceId, c.userId) : null;
  await record(p, v, '$h5_view', {});
  return { page: 'lottery' as const, ...(await head(p, c)), lottery, chances, points, myPrizes };
}

type DrawResult = rewards.Drawn & { at: string };

async function prizesOf(p: Platform, c: H5Claim) {
  const rows = await repo.userActions(p.db, c.workspaceId, c.userId, 'lottery', c.pageId, 'draw', 50);
  return rows.map((r) => r.result as DrawResult).filter((d) => d.prize).map((d) => ({ drawId: d.drawId, ...d.prize!, at: d.at }));
}

/**
 * Claims the page's coupon: one coupon per link (the coupons service grants once per
 * (template, 'h5', token id)), so a second tap, a retry or a reload answers the same coupon
 * with `repeated: true`. Refusals (out_of_stock, user_limit_reached, …) pass through.
 */
export async function claim(p: Platform, v: Visit) {
  const c = v.claim;
  try {
    const g = await rewards.grant(p, { workspaceId: c.workspaceId, templateId: c.pageId, userId: c.userId, sourceRef: `${c.tokenId}:${c.pageId}` });
    await record(p, v, '$h5_click', { action: 'claim', outcome: g.repeated ? 'repeated' : 'granted', couponId: g.couponId });
    return { couponId: g.couponId, code: g.code, validFrom: g.validFrom.toISOString(), validTo: g.validTo.toISOString(), repeated: g.repeated };
  } catch (err) {
    if (err instanceof AppError) await record(p, v, '$h5_click', { action: 'claim', outcome: err.code });
    throw err;
  }
}

/**
 * Draws once. With a `requestId` the draw is idempotent: the same id on the same link returns
 * the first draw (the lotteries service also dedups on requestRef), so a retried tap never
 * spends a second chance.
 */
export async function draw(p: Platform, v: Visit, requestId?: string) {
  const c = v.claim;
  const key = { workspaceId: c.workspaceId, tokenId: c.tokenId, action: 'draw', requestId: requestId ?? newId('req') };
  const prior = await repo.actionResult(p.db, key);
  if (prior) {
    const d = prior.result as DrawResult;
    return { drawId: d.drawId, prize: d.prize, chances: await rewards.chances(p, c.workspaceId, c.pageId, c.userId) };
  }
  let d: rewards.Drawn;
  try {
    d = await rewards.draw(p, { workspaceId: c.workspaceId, lotteryId: c.pageId, userId: c.userId, requestRef: `h5:${c.tokenId}:${key.requestId}` });
  } catch (err) {
    if (err instanceof AppError) await record(p, v, '$h5_click', { action: 'draw', outcome: err.code });
    throw err;
  }
  const now = p.clock.now();
  await repo.insertAction(p.db, { ...key, userId: c.userId, pageKind: 'lottery', pageId: c.pageId, campaignId: c.campaignId, result: { ...d, at: now.toISOString() } satisfies DrawResult, createdAt: now });
  await record(p, v, '$h5_click', { action: 'draw', outcome: d.prize ? 'won' : 'no_prize', drawId: d.drawId, prizeKey: d.prize?.key ?? null });
  return { drawId: d.drawId, prize: d.prize, chances: await rewards.chances(p, c.workspaceId, c.pageId, c.userId) };
}

/**
 * Exchanges the user's points for chances of the page's lottery. With a `requestId` a retried
 * tap exchanges once (the lotteries service is idempotent on the reference).
 */
export async function exchange(p: Platform, v: Visit, chances: number, requestId?: string) {
  const c = v.claim;
  try {
    const r = await rewards.exchange(p, { workspaceId: c.workspaceId, lotteryId: c.pageId, externalId: c.externalId, tokenId: c.tokenId, chances, refId: `h5:${c.tokenId}:${requestId ?? newId('req')}` });
    await record(p, v, '$h5_click', { action: 'exchange', outcome: 'exchanged', chances, pointsSpent: r.pointsSpent });
    return r;
  } catch (err) {
    if (err instanceof AppError) await record(p, v, '$h5_click', { action: 'exchange', outcome: err.code, chances });
    throw err;
  }
}

/** A click on the page that is not a claim or a draw (e.g. "use now", "rules"), for the funnel. */
export async function track(p: Platform, v: Visit, target: string): Promise<void> {
  await record(p, v, '$h5_click', { action: 'ui', target });
}
