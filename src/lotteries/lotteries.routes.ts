import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Platform } from '../platform/context.ts';
import { principalOf } from '../http/auth.ts';
import { errorResponses, idParam, listQuery } from '../http/common.ts';
import * as service from './lotteries.service.ts';
import {
  chancesBody, chancesView, createLotteryBody, drawBody, drawRecordView, drawView, exchangeBody, exchangeView, lotteryView, patchLotteryBody, statsView,
} from './lotteries.schema.ts';

const tags = ['lotteries'];
const idemKey = (req: FastifyRequest): string | undefined => {
  const k = req.headers['idempotency-key'];
  return typeof k === 'string' && k.length > 0 ? k : undefined;
};

/** Lotteries, prizes, pools, chances and draws (API.md "Lotteries", docs/lotteries.md). */
export const lotteriesRoutes: FastifyPluginAsyncZod<{ p: Platform }> = async (app, { p }) => {
  app.post('/v1/lotteries', {
    config: { auth: 'write' },
    schema: { tags, summary: 'Create a lottery: prizes with relative integer weights, noPrizeWeight, stock, pools per segment', body: createLotteryBody, response: { 201: lotteryView, ...errorResponses } },
  }, async (req, reply) => reply.status(201).send(await service.createLottery(p, principalOf(req), req.body)));

  app.get('/v1/lotteries', {
    config: { auth: 'read' },
    schema: { tags, summary: 'Lotteries, newest first', querystring: listQuery, response: { 200: z.object({ items: z.array(lotteryView), nextCursor: z.string().nullable() }), ...errorResponses } },
  }, async (req) => service.listLotteries(p, principalOf(req).workspaceId, req.query.limit, req.query.cursor));

  app.get('/v1/lotteries/:id', {
    config: { auth: 'read' },
    schema: { tags, summary: 'A lottery with each outcome\'s probability', params: idParam, response: { 200: lotteryView, ...errorResponses } },
  }, async (req) => service.getLottery(p, principalOf(req).workspaceId, req.params.id));

  app.patch('/v1/lotteries/:id', {
    config: { auth: 'write' },
    schema: { tags, summary: 'Change a lottery; prize stock may be added while draws run', params: idParam, body: patchLotteryBody, response: { 200: lotteryView, ...errorResponses } },
  }, async (req) => service.patchLottery(p, principalOf(req), req.params.id, req.body));

  app.get('/v1/lotteries/:id/stats', {
    config: { auth: 'read' },
    schema: { tags, summary: 'Draws, wins per prize, stock remaining, deliveries', params: idParam, response: { 200: statsView, ...errorResponses } },
  }, async (req) => service.stats(p, principalOf(req).workspaceId, req.params.id));

  app.get('/v1/lotteries/:id/draws', {
    config: { auth: 'read' },
    schema: { tags, summary: 'Draw records, newest first', params: idParam, querystring: listQuery, response: { 200: z.object({ items: z.array(drawRecordView), nextCursor: z.string().nullable() }), ...errorResponses } },
  }, async (req) => service.listDraws(p, principalOf(req).workspaceId, req.params.id, req.query.limit, req.query.cursor));

  app.post('/v1/lotteries/:id/chances', {
    config: { auth: 'write', idempotent: true },
    schema: { tags, summary: 'Grant draw chances to a user (idempotent on refId or Idempotency-Key)', params: idParam, body: chancesBody, response: { 200: chancesView, ...errorResponses } },
  }, async (req) => service.grantChances(p, principalOf(req), req.params.id, req.body, idemKey(req)));

  app.get('/v1/lotteries/:id/chances/:externalId', {
    config: { auth: 'read' },
    schema: { tags, summary: 'A user\'s chances in this lottery', params: z.strictObject({ id: z.string().min(1).max(100), externalId: z.string().min(1).max(200) }), response: { 200: chancesView, ...errorResponses } },
  }, async (req) => service.chancesByExternalId(p, principalOf(req).workspaceId, req.params.id, req.params.externalId));

  app.post('/v1/lotteries/:id/exchange', {
    config: { auth: 'write', idempotent: true },
    schema: { tags, summary: 'Exchange points for chances at the lottery\'s pointsPerChance; 409 insufficient_points', params: idParam, body: exchangeBody, response: { 200: exchangeView, ...errorResponses } },
  }, async (req) => service.exchange(p, principalOf(req), req.params.id, req.body, idemKey(req)));

  app.post('/v1/lotteries/:id/draw', {
    config: { auth: 'write', idempotent: true },
    schema: { tags, summary: 'Draw once for a user; 409 no_chances | daily_limit_reached | not_running | killed', params: idParam, body: drawBody, response: { 200: drawView, ...errorResponses } },
  }, async (req) => service.drawByExternalId(p, principalOf(req).workspaceId, req.params.id, req.body.externalId, idemKey(req)));
};
