import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { OutgoingMessage, Provider, SendOutcome } from '../providers.ts';
import { httpCall, mapLimit } from '../http-call.ts';

export const wechatCredentials = z.strictObject({ appId: z.string().min(1).max(100), appSecret: z.string().min(1).max(200) });
export const wechatSettings = z.strictObject({
  baseUrl: z.string().url().default('https://api.weixin.qq.com'),
  timeoutMs: z.number().int().min(100).max(60_000).default(5000),
  concurrency: z.number().int().min(1).max(64).default(8),
  /** Opens a mini program page instead of `url` (WeChat prefers it when both are set). */
  miniprogram: z.strictObject({ appid: z.string().min(1).max(100), pagepath: z.string().max(2000).optional() }).optional(),
});

/** Refresh this long before WeChat says the token expires, so no call races the expiry. */
const marginSeconds = 300;
const tokenErrors = new Set([40001, 40014, 42001]); // invalid, malformed, expired access_token
const busy = new Set([-1, 45009]); // system busy; API quota reached for now

interface CachedToken { token: string; expiresAtMs: number }
/** One token per (base URL, appid) for the process: WeChat invalidates the old one on every fetch, so fetch rarely. */
const tokens = new Map<string, CachedToken | Promise<CachedToken>>();

export function forgetWechatTokens(): void {
  tokens.clear();
}

/**
 * WeChat Official Account template messages (`cgi-bin/message/template/send`). The access
 * token comes from `cgi-bin/token` and is cached until `expires_in` minus a margin, and
 * fetched again when WeChat answers 40001/40014/42001. `client_msg_id` carries the message id:
 * WeChat sends one message per (openid, client_msg_id) for a while, so a re-send after a
 * crash is dropped (see docs/channels.md for the window).
 */
export function wechatProvider(name: string, creds: z.infer<typeof wechatCredentials>, settings: z.infer<typeof wechatSettings>, nowMs: () => number = Date.now): Provider {
  const base = settings.baseUrl.replace(/\/$/, '');
  // The secret is in the key so that changed credentials never reuse the old app's token.
  const cacheKey = `${base}|${creds.appId}|${createHash('sha256').update(creds.appSecret).digest('hex')}`;

  async function fetchToken(): Promise<CachedToken> {
    const q = new URLSearchParams({ grant_type: 'client_credential', appid: creds.appId, secret: creds.appSecret });
    const r = await httpCall(`${base}/cgi-bin/token?${q}`, { method: 'GET', timeoutMs: settings.timeoutMs });
    if (!r.ok) throw new WechatError(`wechat_token_network: ${r.error}`, true);
    const body = parse(r.body) as { access_token?: string; expires_in?: number; errcode?: number; errmsg?: string } | null;
    if (r.status !== 200 || !body?.access_token) throw new WechatError(`wechat_token_${body?.errcode ?? `http_${r.status}`}: ${body?.errmsg ?? ''}`.trim(), r.status >= 500 || busy.has(body?.errcode ?? 0));
    const ttl = Math.max(60, (body.expires_in ?? 7200) - marginSeconds);
    return { token: body.access_token, expiresAtMs: nowMs() + ttl * 1000 };
  }

  async function token(stale?: string): Promise<string> {
    const have = tokens.get(cacheKey);
    if (have && !(have instanceof Promise) && have.token !== stale && have.expiresAtMs > nowMs()) return have.token;
    if (have instanceof Promise) return (await have).token;
    const p = fetchToken();
    tokens.set(cacheKey, p); // concurrent senders share one fetch
    try {
      const t = await p;
      tokens.set(cacheKey, t);
      return t.token;
    } catch (err) {
      tokens.delete(cacheKey);
      throw err;
    }
  }

  function payload(m: OutgoingMessage): string {
    const r = m.rendered as { templateId?: string; data?: Record<string, unknown>; url?: string };
    // Template data is {"first":{"value":"…"}}; a template may give plain strings, wrapped here.
    const data = Object.fromEntries(Object.entries(r.data ?? {}).map(([k, v]) => [k, typeof v === 'object' && v !== null ? v : { value: String(v) }]));
    return JSON.stringify({
      touser: m.to, template_id: r.templateId, ...(r.url ? { url: r.url } : {}),
      ...(settings.miniprogram ? { miniprogram: settings.miniprogram } : {}),
      data, client_msg_id: m.messageId,
    });
  }

  async function one(m: OutgoingMessage): Promise<SendOutcome> {
    const body = payload(m);
    let stale: string | undefined;
    for (let attempt = 0; attempt < 2; attempt++) {
      let t: string;
      try { t = await token(stale); } catch (err) {
        const e = err as WechatError;
        return { messageId: m.messageId, status: 'failed', reason: e.message, retryable: e.retryable };
      }
      const r = await httpCall(`${base}/cgi-bin/message/template/send?access_token=${encodeURIComponent(t)}`, {
        method: 'POST', timeoutMs: settings.timeoutMs, body, headers: { 'content-type': 'application/json' },
      });
      if (!r.ok) return { messageId: m.messageId, status: 'failed', reason: `wechat_network: ${r.error}`, retryable: true };
      const res = parse(r.body) as { errcode?: number; errmsg?: string } | null;
      if (r.status >= 500 || !res) return { messageId: m.messageId, status: 'failed', reason: `wechat_http_${r.status}`, retryable: true };
      const code = res.errcode ?? 0;
      if (code === 0) return { messageId: m.messageId, status: 'sent' };
      if (tokenErrors.has(code) && attempt === 0) { stale = t; continue; }
      return { messageId: m.messageId, status: 'failed', reason: `wechat_${code}: ${res.errmsg ?? ''}`.trim(), retryable: busy.has(code) };
    }
    return { messageId: m.messageId, status: 'failed', reason: 'wechat_token_rejected', retryable: true };
  }

  return { name, transactional: false, send: async (_tx, messages) => mapLimit(messages, settings.concurrency, one) };
}

class WechatError extends Error {
  constructor(message: string, readonly retryable: boolean) { super(message); }
}

function parse(s: string): unknown {
  try { return JSON.parse(s); } catch { return null; }
}
