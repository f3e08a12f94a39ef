import { createHmac } from 'node:crypto';
import { z } from 'zod';
import type { OutgoingMessage, Provider, SendOutcome } from '../providers.ts';
import { httpCall, mapLimit, sleep } from '../http-call.ts';
import { isPrivateUrl } from './private-address.ts';

export const webhookCredentials = z.strictObject({ secret: z.string().min(16).max(500) });
export const webhookSettings = z.strictObject({
  timeoutMs: z.number().int().min(100).max(60_000).default(5000),
  maxAttempts: z.number().int().min(1).max(10).default(3),
  backoffMs: z.number().int().min(0).max(60_000).default(500),
  concurrency: z.number().int().min(1).max(64).default(8),
  /** Allow URLs on loopback/private/link-local addresses (off: a template cannot reach the internal network). */
  allowPrivateNetworks: z.boolean().default(false),
});

/**
 * `sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>`: the timestamp is inside the
 * signed string, so a receiver that rejects old timestamps cannot be replayed an old body.
 */
export function webhookSignature(secret: string, timestamp: string, rawBody: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest('hex')}`;
}

/**
 * POSTs the rendered `body` (JSON) to the rendered `url`. 2xx: sent. 4xx: failed at once (the
 * receiver refused this body; trying again would not change that). 5xx, timeouts and network
 * errors: retried with exponential backoff, then failed as retryable. The message id travels in
 * `X-Marketloop-Message-Id` and `Idempotency-Key`, so a receiver can drop a repeat after a crash.
 */
export function webhookProvider(name: string, creds: z.infer<typeof webhookCredentials>, settings: z.infer<typeof webhookSettings>, nowMs: () => number = Date.now): Provider {
  async function one(m: OutgoingMessage): Promise<SendOutcome> {
    const url = String(m.rendered.url ?? '');
    const body = String(m.rendered.body ?? '');
    if (!/^https?:\/\//.test(url)) return { messageId: m.messageId, status: 'failed', reason: 'webhook_invalid_url' };
    try { JSON.parse(body); } catch { return { messageId: m.messageId, status: 'failed', reason: 'webhook_body_not_json' }; }
    if (!settings.allowPrivateNetworks && (await isPrivateUrl(url))) return { messageId: m.messageId, status: 'failed', reason: 'webhook_private_address' };
    let last = '';
    for (let attempt = 1; attempt <= settings.maxAttempts; attempt++) {
      if (attempt > 1) await sleep(settings.backoffMs * 2 ** (attempt - 2));
      const ts = String(Math.floor(nowMs() / 1000));
      const r = await httpCall(url, {
        method: 'POST', timeoutMs: settings.timeoutMs, body,
        headers: {
          'content-type': 'application/json', 'user-agent': 'Marketloop-Webhook/1',
          'x-marketloop-timestamp': ts, 'x-marketloop-signature': webhookSignature(creds.secret, ts, body),
          'x-marketloop-message-id': m.messageId, 'idempotency-key': m.messageId,
        },
      });
      if (r.ok && r.status >= 200 && r.status < 300) return { messageId: m.messageId, status: 'sent' };
      if (r.ok && r.status < 500) return { messageId: m.messageId, status: 'failed', reason: `webhook_http_${r.status}` };
      last = r.ok ? `webhook_http_${r.status}` : `webhook_network: ${r.error}`;
    }
    return { messageId: m.messageId, status: 'failed', reason: `${last} after ${settings.maxAttempts} attempts`, retryable: true };
  }
  return { name, transactional: false, send: async (_tx, messages) => mapLimit(messages, settings.concurrency, one) };
}
