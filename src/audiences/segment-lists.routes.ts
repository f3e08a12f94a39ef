import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type {} from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import type { Platform } from '../platform/context.ts';
import { AppError } from '../platform/errors.ts';
import { principalOf } from '../http/auth.ts';
import { errorResponses } from '../http/common.ts';
import { batchLimit } from '../http/limits.ts';
import * as lists from './segment-lists.service.ts';
import { listBody, listResultView, MAX_PASTED_IDS } from './segments.schema.ts';

const tags = ['segments'];

/** Multipart parts as the list service reads them (it knows nothing of Fastify). */
async function* partsOf(req: FastifyRequest): AsyncGenerator<lists.ListPart> {
  for await (const part of req.parts()) {
    if (part.type === 'file') yield { kind: 'file', name: part.fieldname, stream: part.file };
    else yield { kind: 'field', name: part.fieldname, value: typeof part.value === 'string' ? part.value : String(part.value) };
  }
}

export const segmentListsRoutes: FastifyPluginAsyncZod<{ p: Platform }> = async (app, { p }) => {
  app.post('/v1/segments/upload', {
    config: { auth: 'write' },
    schema: {
      tags,
      summary: 'A static list segment from a CSV upload (multipart/form-data: field "name" and a CSV file with an externalId column); unknown ids are reported',
      consumes: ['multipart/form-data'],
      response: { 201: listResultView, ...errorResponses },
    },
  }, async (req, reply) => {
    if (!req.isMultipart()) throw new AppError('unsupported_media_type', 'Send multipart/form-data with a "name" field and a CSV file.');
    return reply.status(201).send(await lists.createListFromParts(p, principalOf(req), partsOf(req)));
  });

  app.post('/v1/segments/list', {
    config: { auth: 'write' },
    preValidation: batchLimit('externalIds', MAX_PASTED_IDS),
    schema: { tags, summary: 'A static list segment from pasted externalIds (max 100,000); unknown ids are reported', body: listBody, response: { 201: listResultView, ...errorResponses } },
  }, async (req, reply) => reply.status(201).send(await lists.createListFromIds(p, principalOf(req), req.body.name, req.body.externalIds)));
};
