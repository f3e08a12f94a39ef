import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../http/app.ts';
import { createHarness, newWorkspace, type Harness } from '../../test/support/harness.ts';
import { launch, smallWorld } from '../../test/support/fixtures.ts';

/**
 * The server's fast redirect path answers exactly what the Fastify route answers: two real
 * servers on the same platform, one with the fast path and one without, asked the same
 * requests over real HTTP.
 */
describe('fast redirect path', () => {
  let h: Harness;
  let fast: FastifyInstance;
  let plain: FastifyInstance;
  let fastUrl: string;
  let plainUrl: string;
  beforeAll(async () => {
    h = await createHarness();
    fast = await buildApp(h.p, { logger: false });
    plain = await buildApp(h.p, { logger: false, fastRedirects: false });
    fastUrl = await fast.listen({ port: 0, host: '127.0.0.1' });
    plainUrl = await plain.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await fast.close();
    await plain.close();
    await h.close();
  });

  const ask = async (base: string, path: string, init: RequestInit = {}) => {
    const r = await fetch(`${base}${path}`, { redirect: 'manual', ...init });
    const headers = Object.fromEntries(['location', 'cache-control', 'content-type', 'x-request-id'].map((k) => [k, r.headers.get(k)]));
    return { status: r.status, headers, body: await r.text() };
  };

  it('answers known, unknown and malformed codes as the Fastify route does, and records each click once', async () => {
    const ws = await newWorkspace(h);
    const world = await smallWorld(h, ws.api, { prefix: 'fr' });
    await launch(h, ws.api, world.campaign.id);
    const code = /\/l\/(\w+)/.exec((await ws.api.get('/v1/sandbox/outbox')).json().items[0].rendered.text)![1]!;

    const cases: [string, RequestInit][] = [
      [`/l/${code}`, { headers: { 'x-request-id': 'req-1', 'x-forwarded-for': '203.0.113.7, 10.0.0.1', 'user-agent': 'UA/1' } }],
      [`/l/${code}?from=qr`, {}],
      ['/l/Unknown123', { headers: { 'x-request-id': 'req-2' } }],
      ['/l/not-a-code!', { headers: { 'x-request-id': 'req-3' } }],
      [`/l/${code}`, { method: 'POST', headers: { 'x-request-id': 'req-4' } }],
    ];
    for (const [path, init] of cases) {
      const a = await ask(fastUrl, path, init);
      const b = await ask(plainUrl, path, init);
      // Fresh request ids differ unless the client sent one; everything else is equal.
      if (!(init.headers as Record<string, string> | undefined)?.['x-request-id']) {
        expect(a.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
        a.headers['x-request-id'] = b.headers['x-request-id'] = null;
      }
      expect({ path, ...a }).toEqual({ path, ...b });
    }
    const first = await ask(fastUrl, `/l/${code}`);
    expect(first.status).toBe(302);
    expect(first.headers.location).toContain(`mlc=${world.campaign.id}`);

    // Two GETs of the known code per server, plus the one above: five clicks (a POST is no click).
    await h.drain();
    const clicks = (await h.p.pool.query("select properties from events where workspace_id = $1 and name = '$link_clicked' order by id", [ws.id])).rows;
    expect(clicks).toHaveLength(5);
    expect(clicks[0].properties).toMatchObject({ code, ip: '203.0.113.7', userAgent: 'UA/1' });
    expect(clicks[1].properties).toMatchObject({ code, ip: '203.0.113.7', userAgent: 'UA/1' });
  });
});
