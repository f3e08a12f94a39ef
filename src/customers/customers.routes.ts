import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Platform } from '../platform/context.ts';
import { principalOf } from '../http/auth.ts';
import { errorResponses } from '../http/common.ts';
import { batchLimit } from '../http/limits.ts';
import * as service from './customers.service.ts';
import { attributesRoutes } from './attributes.routes.ts';
import { userImportRoutes } from './user-import.routes.ts';
import * as catalog from './catalog.service.ts';
import { catalogQuery, catalogView } from './catalog.schema.ts';
import * as identities from './identities.service.ts';
import { aliasBody, aliasResult } from './identities.schema.ts';
import { ingestEventsBody, MAX_BATCH, upsertUsersBody, userEventsQuery, userSearchQuery, userView } from './customers.schema.ts';

const tags = ['customers'];
const externalIdParam = z.strictObject({ externalId: z.string().min(1).max(200) });

export const customersRoutes: FastifyPluginAsyncZod<{ p: Platform }> = async (app, { p }) => {
  await app.register(attributesRoutes, { p });
  await app.register(userImportRoutes, { p });

  app.post('/v1/users', {
    config: { auth: 'write', idempotent: true },
    preValidation: batchLimit('users', MAX_BATCH),
    schema: { tags, summary: 'Upsert users (max 10,000 per call); attributes merge, null deletes a key', body: upsertUsersBody, response: { 200: z.object({ upserted: z.number() }), ...errorResponses } },
  }, async (req) => service.upsertUsers(p, principalOf(req), req.body.users));

  app.post('/v1/events', {
    config: { auth: 'write', idempotent: true },
    preValidation: batchLimit('events', MAX_BATCH),
    schema: { tags, summary: 'Ingest events (max 10,000 per call); repeated messageIds are ignored', body: ingestEventsBody, response: { 202: z.object({ accepted: z.number(), deduplicated: z.number() }), ...errorResponses } },
  }, async (req, reply) => reply.status(202).send(await service.ingestEvents(p, principalOf(req), req.body.events)));

  app.post('/v1/users/alias', {
    config: { auth: 'write', idempotent: true },
    schema: { tags, summary: "Merge an anonymous id's history into a known user (idempotent)", body: aliasBody, response: { 200: aliasResult, ...errorResponses } },
  }, async (req) => identities.alias(p, principalOf(req), req.body.anonymousId, req.body.externalId));

  app.get('/v1/catalog', {
    config: { auth: 'read' },
    schema: { tags, summary: 'Attributes with types and top values, events with counts and property types, for the segment builder', querystring: catalogQuery, response: { 200: catalogView, ...errorResponses } },
  }, async (req) => catalog.catalog(p, principalOf(req).workspaceId));

  app.get('/v1/users', {
    config: { auth: 'read' },
    schema: { tags, summary: 'Find users by externalId (or its prefix), phone or email', querystring: userSearchQuery, response: { 200: z.object({ items: z.array(userView), nextCursor: z.string().nullable() }), ...errorResponses } },
  }, async (req) => service.searchUsers(p, principalOf(req).workspaceId, req.query.q, req.query.limit, req.query.cursor));

  app.get('/v1/users/:externalId', {
    config: { auth: 'read' },
    schema: { tags, summary: 'A user profile with order stats', params: externalIdParam, response: { 200: userView, ...errorResponses } },
  }, async (req) => service.getUser(p, principalOf(req).workspaceId, req.params.externalId));

  app.get('/v1/users/:externalId/events', {
    config: { auth: 'read' },
    schema: { tags, summary: "A user's event timeline, newest first", params: externalIdParam, querystring: userEventsQuery },
  }, async (req) => service.userEvents(p, principalOf(req).workspaceId, req.params.externalId, req.query.limit, req.query.cursor, req.query.name));
};
