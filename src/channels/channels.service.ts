import type { Platform } from '../platform/context.ts';
import type { Tx } from '../platform/db.ts';
import { AppError, notFound } from '../platform/errors.ts';
import { newId } from '../platform/ids.ts';
import { badCursor, decodeCursor, page } from '../platform/cursor.ts';
import { counterKey } from '../platform/counters/counters.keys.ts';
import type { Principal } from '../workspaces/roles.ts';
import * as delivery from '../delivery/delivery.service.ts';
import * as workspaces from '../workspaces/workspaces.service.ts';
import * as policies from '../policies/policies.service.ts';
import type { Channel } from './channels.schema.ts';
import type { OutgoingMessage, Provider, SendOutcome } from './providers.ts';
import { sandboxProvider } from './sandbox/sandbox.provider.ts';
import { inboxProvider } from './inbox/inbox.provider.ts';
import { webhookProvider, webhookCredentials, webhookSettings } from './webhook/webhook.provider.ts';
import { wechatProvider, wechatCredentials, wechatSettings } from './wechat/wechat.provider.ts';
import { tencentSmsProvider, tencentSmsCredentials, tencentSmsSettings, type tencentSmsReport } from './tencent-sms/tencent-sms.provider.ts';
import { smtpProvider, smtpCredentials, smtpSettings } from './email/smtp.provider.ts';
import { configIssues, mask, typeSpecs, type CreateProviderInput, type ProviderType, type UpdateProviderInput } from './providers.schema.ts';
import { derivedKey, open, seal, signToken, verifyToken } from './secret-box.ts';
import { sleep } from './http-call.ts';
import * as repo from './providers.repo.ts';
import { z as zod, type z } from 'zod';
import * as inboxRepo from './inbox/inbox.repo.ts';

/**
 * Providers per workspace and channel (docs/channels.md): configuration with sealed
 * credentials, and `providerFor`, which delivery calls for each batch: the channel's provider
 * of highest priority, wrapped with its rate limit and fallback, or the default (sandbox;
 * the inbox store for `inbox`).
 */

let platform: Platform | undefined;

/** Called once by the composition root: providers built in jobs need the config, clock and counters; hourly purge of channel data. */
export function registerChannels(p: Platform): void {
  platform = p;
  p.jobs.define({ name: 'channels.purge', payload: emptyPayload, cron: '41 * * * *', handle: async () => { await purgeChannelData(p); } });
}
const emptyPayload = zod.object({});

/** Vendor serials wait this long for their receipt (Tencent reports within 72 hours). */
const REF_RETENTION_MS = 7 * 86_400_000;

/** Deletes expired inbox messages and vendor serials past their receipt window. */
export async function purgeChannelData(p: Platform): Promise<{ inbox: number; refs: number }> {
  const now = p.clock.now();
  const inbox = await inboxRepo.purgeExpired(p.db, now);
  const refs = await repo.purgeMessageRefs(p.db, new Date(now.getTime() - REF_RETENTION_MS));
  return { inbox, refs };
}
const plat = (): Platform => {
  if (!platform) throw new Error('registerChannels(p) was not called');
  return platform;
};

const aad = (workspaceId: string, id: string) => `provider:${workspaceId}:${id}`;

function view(p: Platform, r: repo.ProviderRow) {
  // A provider whose credentials no longer open (the secret key changed) is still listed, so it can be fixed with PATCH.
  let creds: Record<string, unknown> | null = null;
  try { creds = readCredentials(p, r); } catch { /* shown as unreadable */ }
  return {
    id: r.id, channel: r.channel as Channel, type: r.type as ProviderType, name: r.name,
    credentials: Object.fromEntries(r.credentialKeys.map((k) => [k, creds ? mask(creds[k]) : 'unreadable'])),
    settings: r.settings as Record<string, unknown>, rateLimitPerSecond: r.rateLimitPerSecond, fallbackProviderId: r.fallbackProviderId,
    priority: r.priority, createdAt: r.createdAt.toISOString(), updatedAt: r.updatedAt.toISOString(),
  };
}

function readCredentials(p: Platform, r: repo.ProviderRow): Record<string, unknown> {
  try {
    return JSON.parse(open(derivedKey(p.config, 'credentials'), r.credentialsEnc, aad(r.workspaceId, r.id))) as Record<string, unknown>;
  } catch {
    throw new AppError('provider_credentials_unreadable', `The credentials of provider ${r.id} cannot be decrypted with this MARKETLOOP_SECRET_KEY; set them again with PATCH.`);
  }
}

function validate(type: ProviderType, channel: Channel, credentials: unknown, settings: unknown): { credentials: Record<string, unknown>; settings: Record<string, unknown> } {
  const spec = typeSpecs[type];
  const issues = [
    ...(spec.channels.includes(channel) ? [] : [{ path: ['type'], message: `A ${type} provider cannot send ${channel}; it sends ${spec.channels.join(', ')}.` }]),
    ...configIssues(type, 'credentials', credentials), ...configIssues(type, 'settings', settings),
  ];
  if (issues.length) throw new AppError('validation_failed', 'The provider is not valid; see details for each field.', issues.map((i) => ({ path: i.path.join('.'), message: i.message })));
  return { credentials: spec.credentials.parse(credentials) as Record<string, unknown>, settings: spec.settings.parse(settings) as Record<string, unknown> };
}

async function checkFallback(tx: Tx, workspaceId: string, channel: string, selfId: string, fallbackId: string | null | undefined): Promise<void> {
  if (!fallbackId) return;
  if (fallbackId === selfId) throw new AppError('validation_failed', 'A provider cannot fall back to itself.', [{ path: 'fallbackProviderId', message: 'Same as the provider.' }]);
  const f = await repo.providerById(tx, workspaceId, fallbackId);
  if (!f) throw notFound('Fallback provider');
  if (f.channel !== channel) throw new AppError('validation_failed', 'The fallback provider sends another channel.', [{ path: 'fallbackProviderId', message: `It sends ${f.channel}, not ${channel}.` }]);
}

/** Creates a provider. Throws `validation_failed`, `not_found` (fallback). */
export async function createProvider(p: Platform, who: Principal, input: CreateProviderInput) {
  const { credentials, settings } = validate(input.type, input.channel, input.credentials, input.settings);
  const id = newId('prv');
  return p.db.transaction().execute(async (tx) => {
    await checkFallback(tx, who.workspaceId, input.channel, id, input.fallbackProviderId);
    const row = await repo.insertProvider(tx, {
      id, workspaceId: who.workspaceId, channel: input.channel, type: input.type, name: input.name,
      credentialsEnc: seal(derivedKey(p.config, 'credentials'), JSON.stringify(credentials), aad(who.workspaceId, id)), credentialKeys: Object.keys(credentials),
      settings: JSON.stringify(settings), rateLimitPerSecond: input.rateLimitPerSecond ?? null, fallbackProviderId: input.fallbackProviderId ?? null, priority: input.priority ?? 0, now: p.clock.now(),
    });
    // The audit names credential keys, never their values.
    await workspaces.audit(tx, who, 'provider.create', 'provider', id, { channel: input.channel, type: input.type, name: input.name, credentialKeys: Object.keys(credentials), settings }, p.clock.now());
    return view(p, row);
  });
}

/**
 * Providers by channel and priority (the order delivery picks them in), then oldest first:
 * keyset (channel, priority desc, created_at, id). The cursor holds created_at as its time and
 * the rest packed as `channel:priority:id` (neither a channel nor a priority holds a colon).
 */
export async function listProviders(p: Platform, workspaceId: string, limit: number, channel?: Channel, cursor?: string) {
  const c = decodeCursor(cursor);
  let after: repo.ProviderCursor | undefined;
  if (c) {
    const m = /^([a-z]+):(-?\d{1,4}):(.+)$/.exec(c.id);
    if (!m) throw badCursor();
    after = { channel: m[1]!, priority: Number(m[2]), createdAt: c.createdAt, id: m[3]! };
  }
  const rows = await repo.pageProviders(p.db, workspaceId, limit, channel, after);
  return page(rows.map((r) => ({ row: r, createdAt: r.createdAt, id: `${r.channel}:${r.priority}:${r.id}` })), limit, (x) => view(p, x.row));
}

/** Throws `not_found`. */
export async function getProvider(p: Platform, workspaceId: string, id: string) {
  const r = await repo.providerById(p.db, workspaceId, id);
  if (!r) throw notFound('Provider');
  return view(p, r);
}

/** Changes a provider; `credentials` and `settings` are replaced whole. Throws `not_found`, `validation_failed`. */
export async function updateProvider(p: Platform, who: Principal, id: string, input: UpdateProviderInput) {
  return p.db.transaction().execute(async (tx) => {
    const r = await repo.providerById(tx, who.workspaceId, id);
    if (!r) throw notFound('Provider');
    const type = r.type as ProviderType;
    const { credentials, settings } = validate(type, r.channel as Channel, input.credentials ?? readCredentials(p, r), input.settings ?? r.settings);
    if (input.fallbackProviderId !== undefined) await checkFallback(tx, who.workspaceId, r.channel, id, input.fallbackProviderId);
    const row = await repo.updateProvider(tx, who.workspaceId, id, {
      ...(input.name !== undefined ? { name: input.name } : {}),
      ...(input.credentials ? { credentialsEnc: seal(derivedKey(p.config, 'credentials'), JSON.stringify(credentials), aad(who.workspaceId, id)), credentialKeys: Object.keys(credentials) } : {}),
      ...(input.settings ? { settings: JSON.stringify(settings) } : {}),
      ...(input.rateLimitPerSecond !== undefined ? { rateLimitPerSecond: input.rateLimitPerSecond } : {}),
      ...(input.fallbackProviderId !== undefined ? { fallbackProviderId: input.fallbackProviderId } : {}),
      ...(input.priority !== undefined ? { priority: input.priority } : {}),
      updatedAt: p.clock.now(),
    });
    const { credentials: newCreds, ...rest } = input;
    await workspaces.audit(tx, who, 'provider.update', 'provider', id, { ...rest, ...(newCreds ? { credentialKeys: Object.keys(credentials) } : {}) }, p.clock.now());
    return view(p, row!);
  });
}

/** Throws `not_found`. Providers falling back to it lose their fallback. */
export async function deleteProvider(p: Platform, who: Principal, id: string): Promise<void> {
  await p.db.transaction().execute(async (tx) => {
    if (!(await repo.deleteProvider(tx, who.workspaceId, id))) throw notFound('Provider');
    await workspaces.audit(tx, who, 'provider.delete', 'provider', id, {}, p.clock.now());
  });
}

/** The default of a channel when the workspace configured none. */
const defaultFor = (channel: Channel): Provider => (channel === 'inbox' ? inboxProvider('inbox') : sandboxProvider);

function build(p: Platform, r: repo.ProviderRow): Provider {
  const creds = readCredentials(p, r);
  const s = r.settings;
  const name = `${r.type}:${r.id}`;
  const now = () => p.clock.now().getTime();
  switch (r.type as ProviderType) {
    case 'sandbox': return { ...sandboxProvider, name };
    case 'inbox': return inboxProvider(name, (s as { expiresInDays?: number }).expiresInDays);
    case 'webhook': return webhookProvider(name, webhookCredentials.parse(creds), webhookSettings.parse(s), now);
    case 'wechat': return wechatProvider(name, wechatCredentials.parse(creds), wechatSettings.parse(s), now);
    case 'tencent_sms': return tencentSmsProvider(name, tencentSmsCredentials.parse(creds), tencentSmsSettings.parse(s),
      (tx, refs) => repo.insertMessageRefs(tx, r.workspaceId, r.id, refs.map((x) => ({ messageId: x.messageId, vendorRef: x.serialNo }))), now);
    case 'smtp': return smtpProvider(name, smtpCredentials.parse(creds) as z.infer<typeof smtpCredentials>, smtpSettings.parse(s), (m) => unsubscribeUrl(p, m));
  }
}

/** Sends at most `perSecond` messages a second across every process (the Counters port), waiting for room. */
function rateLimited(p: Platform, r: repo.ProviderRow, inner: Provider): Provider {
  const perSecond = r.rateLimitPerSecond;
  if (!perSecond) return inner;
  const key = counterKey(r.workspaceId, `provider:${r.id}`, 'rate');
  async function acquire(want: number): Promise<number> {
    for (;;) {
      const amount = Math.min(want, perSecond!);
      const t = await p.counters.take(key, { limit: perSecond!, amount, window: { kind: 'rolling', ms: 1000 } });
      if (t.ok) return amount;
      if (t.remaining > 0 && (await p.counters.take(key, { limit: perSecond!, amount: t.remaining, window: { kind: 'rolling', ms: 1000 } })).ok) return t.remaining;
      await sleep(50);
    }
  }
  return {
    ...inner,
    async send(tx, messages, now) {
      const out: SendOutcome[] = [];
      for (let i = 0; i < messages.length;) {
        const n = await acquire(messages.length - i);
        out.push(...(await inner.send(tx, messages.slice(i, i + n), now)));
        i += n;
      }
      return out;
    },
  };
}

/** Messages the first provider failed with a retryable error go to the fallback; its outcome counts. */
function withFallback(first: Provider, fallback: Provider): Provider {
  return {
    name: first.name, transactional: first.transactional && fallback.transactional,
    async send(tx, messages, now) {
      const out = await first.send(tx, messages, now);
      const retry = new Set(out.filter((o) => o.status === 'failed' && o.retryable).map((o) => o.messageId));
      if (!retry.size) return out;
      const second = new Map((await fallback.send(tx, messages.filter((m) => retry.has(m.messageId)), now)).map((o) => [o.messageId, o]));
      return out.map((o) => second.get(o.messageId) ?? o);
    },
  };
}

/**
 * The provider for a workspace's channel: its configured provider of highest priority (ties:
 * the oldest) with rate limit and fallback chain, or the default. Delivery calls it per batch.
 */
export async function providerFor(tx: Tx, workspaceId: string, channel: Channel): Promise<Provider> {
  const p = plat();
  const rows = await repo.listProviders(tx, workspaceId, channel);
  if (!rows.length) return defaultFor(channel);
  const byId = new Map(rows.map((r) => [r.id, r]));
  const chain: repo.ProviderRow[] = [];
  for (let r: repo.ProviderRow | undefined = rows[0]; r && !chain.includes(r) && chain.length < 5; r = r.fallbackProviderId ? byId.get(r.fallbackProviderId) : undefined) chain.push(r);
  let provider = rateLimited(p, chain[chain.length - 1]!, build(p, chain[chain.length - 1]!));
  for (let i = chain.length - 2; i >= 0; i--) provider = withFallback(rateLimited(p, chain[i]!, build(p, chain[i]!)), provider);
  return provider;
}

/**
 * The price of one SMS segment (minor units) with the provider delivery would use now: the
 * `unitPrice` setting of the workspace's first SMS provider; 0 when it has none (the sandbox).
 */
export async function smsUnitPrice(tx: Tx, workspaceId: string): Promise<number> {
  const rows = await repo.listProviders(tx, workspaceId, 'sms');
  const price = (rows[0]?.settings as { unitPrice?: number } | undefined)?.unitPrice;
  return typeof price === 'number' ? Math.round(price) : 0;
}

// ---- one-click unsubscribe (RFC 8058) ----

interface UnsubscribeClaim { w: string; e: string; c: Channel; m: string }

/** `${publicUrl}/u?t={token}`: the token names workspace, user, channel and message, signed so it cannot be forged or edited. */
export function unsubscribeUrl(p: Platform, m: Pick<OutgoingMessage, 'workspaceId' | 'externalId' | 'channel' | 'messageId'>): string {
  const claim: UnsubscribeClaim = { w: m.workspaceId, e: m.externalId, c: m.channel, m: m.messageId };
  return `${p.config.publicUrl}/u?t=${signToken(derivedKey(p.config, 'unsubscribe'), claim)}`;
}

/** Verifies an unsubscribe token. Throws `invalid_token`. */
export function readUnsubscribeToken(p: Platform, token: string): UnsubscribeClaim {
  const c = verifyToken(derivedKey(p.config, 'unsubscribe'), token) as Partial<UnsubscribeClaim> | null;
  if (!c || typeof c.w !== 'string' || typeof c.e !== 'string' || typeof c.c !== 'string') throw new AppError('invalid_token', 'This unsubscribe link is not valid.');
  return c as UnsubscribeClaim;
}

/** Records the unsubscribe a link asks for (the channel it came by), through the policies store. Throws `invalid_token`, `not_found`. */
export async function unsubscribeByToken(p: Platform, token: string): Promise<UnsubscribeClaim> {
  const c = readUnsubscribeToken(p, token);
  await policies.unsubscribe(p, { workspaceId: c.w, role: 'viewer', actor: 'unsubscribe-link' }, c.e, c.c);
  return c;
}

// ---- Tencent Cloud SMS delivery receipts ----

/**
 * Records Tencent's status reports for a provider: SUCCESS → delivered, anything else →
 * failed with its errmsg. Reports for unknown serials, or messages not sent, are skipped.
 * Throws `not_found` when the provider is not a Tencent SMS provider.
 */
export async function recordTencentSmsReports(p: Platform, providerId: string, reports: z.infer<typeof tencentSmsReport>[]): Promise<{ recorded: number }> {
  const prv = await repo.providerByIdAnyWorkspace(p.db, providerId);
  if (!prv || prv.type !== 'tencent_sms') throw notFound('Provider');
  const refs = new Map((await repo.messagesByRefs(p.db, providerId, reports.map((r) => r.sid))).map((r) => [r.vendorRef, r]));
  let recorded = 0;
  for (const r of reports) {
    const ref = refs.get(r.sid);
    if (!ref) continue;
    const ok = r.report_status === 'SUCCESS';
    try {
      await delivery.recordReceipt(p, ref.workspaceId, ref.messageId, ok ? 'delivered' : 'failed', ok ? undefined : `tencent_sms_${r.errmsg ?? r.report_status}: ${r.description ?? ''}`.trim());
      recorded++;
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
    }
  }
  return { recorded };
}
