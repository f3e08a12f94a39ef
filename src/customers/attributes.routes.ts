import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Platform } from '../platform/context.ts';
import { principalOf } from '../http/auth.ts';
import { errorResponses } from '../http/common.ts';
import * as service from './attributes.service.ts';
import { attributeListQuery, attributeNameParam, attributeView, setAttributeTypeBody } from './attributes.schema.ts';

const tags = ['customers'];

export const attributesRoutes: FastifyPluginAsyncZod<{ p: Platform }> = async (app, { p }) => {
  app.get('/v1/attributes', {
    config: { auth: 'read' },
    schema: { tags, summary: 'Attributes with their types, built-in ones included, in name order', querystring: attributeListQuery, response: { 200: z.object({ items: z.array(attributeView), nextCursor: z.string().nullable() }), ...errorResponses } },
  }, async (req) => service.listAttributes(p, principalOf(req).workspaceId, req.query.limit, req.query.cursor));

  app.put('/v1/attributes/:name', {
    config: { auth: 'write' },
    schema: { tags, summary: "Declare or change an attribute's type (built-in attributes are fixed)", params: attributeNameParam, body: setAttributeTypeBody, response: { 200: attributeView, ...errorResponses } },
  }, async (req) => service.setAttributeType(p, principalOf(req), req.params.name, req.body.type));
};
