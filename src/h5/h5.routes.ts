import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Platform } from '../platform/context.ts';
import { principalOf } from '../http/auth.ts';
import { errorResponses, errorSchema, listQuery } from '../http/common.ts';
import { newId } from '../platform/ids.ts';
import * as service from './h5.service.ts';
import { actionBody, claimView, couponPageView, createLinkBody, drawView, exchangeBody, exchangeView, linkView, lotteryPageView, publicHeaders, settingsBody, settingsView, trackBody } from './h5.schema.ts';
import type { PageKind } from './h5.token.ts';

const tags = ['h5'];
const DEVICE_COOKIE = 'ml_did';
const DEVICE_ID = /^[A-Za-z0-9_-]{8,100}$/;
const pageParam = z.strictObject({ id: z.string().min(1).max(100) });
const publicErrors = { ...errorResponses, 410: errorSchema, 429: errorSchema } as const;

const shortLinkMissing = `<!doctype html><html lang="en"><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Link not found</title><body style="font-family:system-ui;text-align:center;padding:3em">
<h1>Link not found · 链接不存在</h1><p>This link is unknown.</p></body></html>`;

/**
 * The device a public call comes from: the page's `X-Device-Id` (kept in its localStorage), else
 * the `ml_did` cookie, else a new id set as that cookie, so even a bare client is counted per
 * device after its first call (a client that drops cookies is still held by the IP limit).
 */
function deviceOf(p: Platform, req: FastifyRequest, reply: FastifyReply): string {
  const header = req.headers['x-device-id'];
  if (typeof header === 'string' && DEVICE_ID.test(header)) return header;
  const cookie = req.cookies?.[DEVICE_COOKIE];
  if (cookie && DEVICE_ID.test(cookie)) return cookie;
  const id = newId('dev');
  void reply.setCookie(DEVICE_COOKIE, id, { httpOnly: true, sameSite: 'lax', path: '/', maxAge: 365 * 86_400, secure: p.config.publicUrl.startsWith('https://') });
  return id;
}

function callerOf(p: Platform, req: FastifyRequest, reply: FastifyReply): service.Caller {
  const token = req.headers['x-h5-token'];
  const lang = req.headers['accept-language']?.split(',')[0]?.split(';')[0]?.trim().slice(0, 20);
  return { token: typeof token === 'string' ? token : undefined, ip: req.ip || 'unknown', deviceId: deviceOf(p, req, reply), ...(lang ? { lang } : {}) };
}

/** Public H5 reward pages and their signed user tokens (docs/h5.md). */
export const h5Routes: FastifyPluginAsyncZod<{ p: Platform }> = async (app, { p }) => {
  // A page's answers are one user's (codes, chances): no shared cache may keep them.
  const enter = (req: FastifyRequest, reply: FastifyReply, kind: PageKind, id: string) => {
    void reply.header('cache-control', 'private, no-store');
    return service.enter(p, callerOf(p, req, reply), { kind, id });
  };

  // ---- operator side ----
  app.post('/v1/h5/links', {
    config: { auth: 'write' },
    schema: { tags, summary: 'A signed, expiring H5 page link (coupon or lottery) for one user, with its short form', body: createLinkBody, response: { 201: linkView, ...errorResponses } },
  }, async (req, reply) => reply.status(201).send(await service.createLink(p, principalOf(req), req.body)));

  app.get('/v1/h5/links', {
    config: { auth: 'read' },
    schema: { tags, summary: 'Issued H5 links, newest first', querystring: listQuery.extend({ page: z.enum(['coupon', 'lottery']).optional(), pageId: z.string().max(100).optional(), externalId: z.string().max(200).optional() }) },
  }, async (req) => service.listLinks(p, principalOf(req).workspaceId, req.query));

  app.get('/v1/h5/settings', {
    config: { auth: 'read' },
    schema: { tags, summary: 'Rate limits of the public H5 routes', response: { 200: settingsView, ...errorResponses } },
  }, async (req) => service.getSettings(p, principalOf(req).workspaceId));

  app.put('/v1/h5/settings', {
    config: { auth: 'manage' },
    schema: { tags, summary: 'Set the per-IP and per-device limits (requests per minute) of the public H5 routes', body: settingsBody, response: { 200: settingsView, ...errorResponses } },
  }, async (req) => service.putSettings(p, principalOf(req), req.body));

  app.get('/h/:code', {
    config: { auth: 'public' },
    schema: { tags, summary: 'Short H5 link: 302 to the page with its token; records $link_clicked', params: z.strictObject({ code: z.string().min(1).max(64) }) },
  }, async (req, reply) => {
    const url = /^[0-9A-Za-z]+$/.test(req.params.code)
      ? await service.followShortLink(p, req.params.code, { ip: req.ip ?? null, userAgent: req.headers['user-agent'] ?? null })
      : null;
    if (!url) return reply.status(404).type('text/html; charset=utf-8').send(shortLinkMissing);
    return reply.header('cache-control', 'no-store').redirect(url, 302);
  });

  // ---- public: the pages' API (token in X-H5-Token) ----
  app.get('/v1/h5/coupon/:id', {
    config: { auth: 'public' },
    schema: { tags, summary: 'Coupon page data: the offer and the user\'s coupons of it (records $h5_view)', params: pageParam, headers: publicHeaders, response: { 200: couponPageView, ...publicErrors } },
  }, async (req, reply) => service.couponPage(p, await enter(req, reply, 'coupon', req.params.id)));

  app.post('/v1/h5/coupon/:id/claim', {
    config: { auth: 'public' },
    schema: { tags, summary: 'Claim the page\'s coupon (one per link; a repeat answers the same coupon)', params: pageParam, headers: publicHeaders, body: actionBody.optional(), response: { 200: claimView, ...publicErrors } },
  }, async (req, reply) => service.claim(p, await enter(req, reply, 'coupon', req.params.id)));

  app.get('/v1/h5/lottery/:id', {
    config: { auth: 'public' },
    schema: { tags, summary: 'Lottery page data: prizes with probabilities, chances, the user\'s prizes (records $h5_view)', params: pageParam, headers: publicHeaders, response: { 200: lotteryPageView, ...publicErrors } },
  }, async (req, reply) => service.lotteryPage(p, await enter(req, reply, 'lottery', req.params.id)));

  app.post('/v1/h5/lottery/:id/draw', {
    config: { auth: 'public' },
    schema: { tags, summary: 'Draw once (idempotent on requestId)', params: pageParam, headers: publicHeaders, body: actionBody.optional(), response: { 200: drawView, ...publicErrors } },
  }, async (req, reply) => service.draw(p, await enter(req, reply, 'lottery', req.params.id), req.body?.requestId));

  app.post('/v1/h5/lottery/:id/exchange', {
    config: { auth: 'public' },
    schema: { tags, summary: 'Exchange the user\'s points for chances at the lottery\'s rate (idempotent on requestId)', params: pageParam, headers: publicHeaders, body: exchangeBody, response: { 200: exchangeView, ...publicErrors } },
  }, async (req, reply) => service.exchange(p, await enter(req, reply, 'lottery', req.params.id), req.body.chances, req.body.requestId));

  app.post('/v1/h5/:kind/:id/track', {
    config: { auth: 'public' },
    schema: { tags, summary: 'Record a click on the page (records $h5_click with the target)', params: z.strictObject({ kind: z.enum(['coupon', 'lottery']), id: z.string().min(1).max(100) }), headers: publicHeaders, body: trackBody },
  }, async (req, reply) => {
    await service.track(p, await enter(req, reply, req.params.kind, req.params.id), req.body.target);
    return reply.status(204).send();
  });
};
