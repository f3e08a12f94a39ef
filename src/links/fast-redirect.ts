import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Platform } from '../platform/context.ts';
import { resolverOf } from './links.service.ts';

/**
 * The short-link redirect, answered by the HTTP server before Fastify routes the request.
 *
 * Why: a redirect is the one public path that takes a campaign's whole burst of clicks at once,
 * and the framework's per-request work (routing, schema validation, the API's auth and
 * idempotency hooks, reply decoration) was most of what separated it from a bare 302
 * (docs/benchmarks.md). This path does only what a redirect needs: the same resolver and click
 * queue as the Fastify route (links.routes.ts), the same answers (302 with Location and
 * `cache-control: no-store`, the same 404 page, `x-request-id`), proven equal by
 * links/fast-redirect.int.test.ts. Anything it is not sure about (another method, a code that
 * is not alphanumeric) it leaves to Fastify, whose route stays the documented one and the one
 * `app.inject` exercises.
 */
export const CODE = /^[0-9A-Za-z]{1,64}$/;

export const notFoundPage = `<!doctype html><html lang="en"><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Link not found</title><body style="font-family:system-ui;text-align:center;padding:3em">
<h1>Link not found · 链接不存在</h1><p>This link is unknown or has expired.</p></body></html>`;

/** The client's address as Fastify reports it with `trustProxy: true` (the first X-Forwarded-For entry). */
function clientIp(req: IncomingMessage): string | null {
  const xff = req.headers['x-forwarded-for'];
  const first = (Array.isArray(xff) ? xff[0] : xff)?.split(',')[0]?.trim();
  return first || req.socket.remoteAddress || null;
}

/** Answers `GET /l/{code}` itself and returns true, or returns false to let Fastify handle the request. */
export function fastRedirect(p: Platform, req: IncomingMessage, res: ServerResponse): boolean {
  const url = req.url ?? '';
  if (req.method !== 'GET' || !url.startsWith('/l/')) return false;
  const q = url.indexOf('?');
  const code = q < 0 ? url.slice(3) : url.slice(3, q);
  if (!CODE.test(code)) return false;
  const given = req.headers['x-request-id'];
  const requestId = typeof given === 'string' && given.length <= 100 ? given : randomUUID();
  resolverOf(p).click(code, { ip: clientIp(req), userAgent: req.headers['user-agent'] ?? null }).then(
    (target) => {
      if (target) {
        res.writeHead(302, { location: target, 'cache-control': 'no-store', 'x-request-id': requestId, 'content-length': 0 });
        res.end();
      } else {
        const body = Buffer.from(notFoundPage);
        res.writeHead(404, { 'content-type': 'text/html; charset=utf-8', 'x-request-id': requestId, 'content-length': body.length });
        res.end(body);
      }
    },
    (err: unknown) => {
      p.log.error({ err, reqId: requestId }, 'redirect failed');
      const body = JSON.stringify({ error: { code: 'internal_error', message: `Something went wrong on our side; quote request id ${requestId}.`, details: [] } });
      res.writeHead(500, { 'content-type': 'application/json; charset=utf-8', 'x-request-id': requestId, 'content-length': Buffer.byteLength(body) });
      res.end(body);
    },
  );
  return true;
}
