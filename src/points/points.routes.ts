import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Platform } from '../platform/context.ts';
import { principalOf } from '../http/auth.ts';
import { errorResponses, listQuery } from '../http/common.ts';
import * as service from './points.service.ts';
import { balanceView, creditBody, debitBody, entryView, movementView } from './points.schema.ts';

const tags = ['points'];
const externalIdParam = z.strictObject({ externalId: z.string().min(1).max(200) });

/** Points: credit, debit, balance, history (exchange for chances is POST /v1/lotteries/{id}/exchange). */
export const pointsRoutes: FastifyPluginAsyncZod<{ p: Platform }> = async (app, { p }) => {
  app.post('/v1/points/:externalId/credit', {
    config: { auth: 'write', idempotent: true },
    schema: { tags, summary: 'Credit points (idempotent on refId; optional expiry)', params: externalIdParam, body: creditBody, response: { 200: movementView, ...errorResponses } },
  }, async (req) => service.credit(p, principalOf(req), req.params.externalId, req.body));

  app.post('/v1/points/:externalId/debit', {
    config: { auth: 'write', idempotent: true },
    schema: { tags, summary: 'Debit points, the first to lapse first (idempotent on refId); 409 insufficient_points', params: externalIdParam, body: debitBody, response: { 200: movementView, ...errorResponses } },
  }, async (req) => service.debit(p, principalOf(req), req.params.externalId, req.body));

  app.get('/v1/points/:externalId', {
    config: { auth: 'read' },
    schema: { tags, summary: 'Balance and the next points to lapse', params: externalIdParam, response: { 200: balanceView, ...errorResponses } },
  }, async (req) => service.balance(p, principalOf(req).workspaceId, req.params.externalId));

  app.get('/v1/points/:externalId/history', {
    config: { auth: 'read' },
    schema: { tags, summary: 'Ledger entries (credit, debit, expire), newest first', params: externalIdParam, querystring: listQuery, response: { 200: z.object({ items: z.array(entryView), nextCursor: z.string().nullable() }), ...errorResponses } },
  }, async (req) => service.history(p, principalOf(req).workspaceId, req.params.externalId, req.query.limit, req.query.cursor));
};
