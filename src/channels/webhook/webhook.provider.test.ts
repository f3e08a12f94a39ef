import { createHmac, timingSafeEqual } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, startPeer } from '../test-peer.ts';
import type { OutgoingMessage } from '../providers.ts';
import { webhookProvider, webhookSettings } from './webhook.provider.ts';
import { isPrivateUrl } from './private-address.ts';

const secret = 'whsec_0123456789abcdef';
const failures = new Map<string, number>();
let peer: Awaited<ReturnType<typeof startPeer>>;

// The receiver a customer would write: verify the signature over "timestamp.body", then answer
// per path: /fail/N/CODE fails N times with CODE, /hang never answers, /ok answers 204.
beforeAll(async () => {
  peer = await startPeer((r, res) => {
    const ts = String(r.headers['x-marketloop-timestamp']);
    const want = Buffer.from(`sha256=${createHmac('sha256', secret).update(`${ts}.${r.body}`).digest('hex')}`);
    const got = Buffer.from(String(r.headers['x-marketloop-signature']));
    if (got.length !== want.length || !timingSafeEqual(got, want)) return json(res, 401, { error: 'bad signature' });
    if (Math.abs(Date.now() / 1000 - Number(ts)) > 300) return json(res, 401, { error: 'stale' });
    const m = /^\/fail\/(\d+)\/(\d+)/.exec(r.url);
    if (m) {
      const seen = (failures.get(r.url) ?? 0) + 1;
      failures.set(r.url, seen);
      if (seen <= Number(m[1])) return json(res, Number(m[2]), { seen });
    }
    if (r.url === '/hang') return;
    res.statusCode = 204;
    res.end();
  });
});
afterAll(() => peer.close());

const msg = (id: string, path: string, body = `{"id":"${id}","text":"héllo"}`): OutgoingMessage => ({
  messageId: id, workspaceId: 'ws', channel: 'webhook', externalId: 'u1', to: 'u1', rendered: { url: `${peer.base}${path}`, body }, taskId: 't', campaignId: 'c',
});
const provider = (over: Record<string, unknown> = {}, s = secret) => webhookProvider('wh', { secret: s }, webhookSettings.parse({ backoffMs: 10, allowPrivateNetworks: true, ...over }));
const sendOne = async (p: ReturnType<typeof provider>, m: OutgoingMessage) => (await p.send(undefined as never, [m], new Date()))[0]!;

describe('webhook provider against a real HTTP receiver', () => {
  it('signs the raw body with the timestamp, sends the message id as idempotency key', async () => {
    expect(await sendOne(provider(), msg('101', '/ok'))).toEqual({ messageId: '101', status: 'sent' });
    const r = peer.requests.find((q) => q.headers['x-marketloop-message-id'] === '101')!;
    expect(r.method).toBe('POST');
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.headers['idempotency-key']).toBe('101');
    expect(JSON.parse(r.body)).toEqual({ id: '101', text: 'héllo' });
  });

  it('a wrong secret is refused by the receiver (401): failed, not retried', async () => {
    const before = peer.requests.length;
    const o = await sendOne(provider({}, 'whsec_another_secret_xx'), msg('102', '/ok'));
    expect(o).toEqual({ messageId: '102', status: 'failed', reason: 'webhook_http_401' });
    expect(peer.requests.length - before).toBe(1);
  });

  it('retries 5xx with backoff until it succeeds', async () => {
    const t0 = Date.now();
    expect(await sendOne(provider({ maxAttempts: 3, backoffMs: 50 }), msg('103', '/fail/2/503'))).toEqual({ messageId: '103', status: 'sent' });
    expect(failures.get('/fail/2/503')).toBe(3);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(50 + 100); // 50 ms, then 100 ms
  });

  it('gives up after maxAttempts on 5xx: failed and retryable', async () => {
    const o = await sendOne(provider({ maxAttempts: 2 }), msg('104', '/fail/5/500'));
    expect(o).toMatchObject({ status: 'failed', retryable: true, reason: 'webhook_http_500 after 2 attempts' });
    expect(failures.get('/fail/5/500')).toBe(2);
  });

  it('never retries a 4xx', async () => {
    const o = await sendOne(provider({ maxAttempts: 5 }), msg('105', '/fail/5/422'));
    expect(o).toEqual({ messageId: '105', status: 'failed', reason: 'webhook_http_422' });
    expect(failures.get('/fail/5/422')).toBe(1);
  });

  it('times out and retries a receiver that never answers; a refused connection is a network error', async () => {
    const o = await sendOne(provider({ maxAttempts: 2, timeoutMs: 200 }), msg('106', '/hang'));
    expect(o).toMatchObject({ status: 'failed', retryable: true, reason: 'webhook_network: timeout after 2 attempts' });
    const gone = await startPeer(() => undefined);
    await gone.close(); // a port nobody listens on
    const dead = { ...msg('107', '/ok'), rendered: { url: `${gone.base}/x`, body: '{}' } };
    expect(await sendOne(provider({ maxAttempts: 2 }), dead)).toMatchObject({ status: 'failed', retryable: true, reason: 'webhook_network: ECONNREFUSED after 2 attempts' });
  });

  it('refuses internal addresses unless allowPrivateNetworks (templates cannot reach the internal network)', async () => {
    const before = peer.requests.length;
    const p = provider({ allowPrivateNetworks: false });
    for (const url of [`${peer.base}/ok`, 'http://localhost:9/x', 'http://169.254.169.254/latest/meta-data', 'http://10.1.2.3/x', 'http://[::1]:9/x', 'http://[::ffff:127.0.0.1]/x']) {
      expect(await sendOne(p, { ...msg('109', '/ok'), rendered: { url, body: '{}' } })).toEqual({ messageId: '109', status: 'failed', reason: 'webhook_private_address' });
    }
    expect(peer.requests.length).toBe(before);
    expect(await isPrivateUrl('http://93.184.216.34/hook')).toBe(false);
    expect(await isPrivateUrl('https://[2606:4700::1111]/hook')).toBe(false);
  });

  it('a rendered body that is not JSON fails without a request', async () => {
    expect(await sendOne(provider(), msg('108', '/ok', 'not json'))).toEqual({ messageId: '108', status: 'failed', reason: 'webhook_body_not_json' });
  });
});
