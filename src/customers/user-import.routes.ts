import fastifyMultipart from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import type { Platform } from '../platform/context.ts';
import { AppError } from '../platform/errors.ts';
import { principalOf } from '../http/auth.ts';
import { errorResponses } from '../http/common.ts';
import { startUserImport, type Upload } from './user-import.service.ts';

/** Larger than any import we expect (1 GB files are the design case); past it the upload is a 413. */
export const MAX_IMPORT_BYTES = 4 * 1024 ** 3;

/**
 * Streams the multipart part `file` to a temporary file, hashing it on the way, so the
 * upload is never held in memory. Throws `validation_failed` for a form without that part or
 * with other fields, `payload_too_large` past MAX_IMPORT_BYTES.
 */
async function receiveUpload(req: FastifyRequest, dir: string): Promise<Upload> {
  const part = await req.file({ limits: { fileSize: MAX_IMPORT_BYTES, files: 1, fields: 20, parts: 21 } });
  if (!part) throw new AppError('validation_failed', 'Send the CSV as the multipart part "file".', [{ path: 'file', message: 'Required.' }]);
  const extra = Object.keys(part.fields).filter((k) => k !== part.fieldname);
  if (part.fieldname !== 'file' || extra.length > 0) {
    part.file.resume(); // drain, so the connection can answer
    const details = [...(part.fieldname !== 'file' ? [part.fieldname] : []), ...extra].map((k) => ({ path: k, message: 'Unknown field.' }));
    if (part.fieldname !== 'file') details.push({ path: 'file', message: 'Required.' });
    throw new AppError('validation_failed', 'The form has fields this route does not take.', details);
  }
  const hash = createHash('sha256');
  let bytes = 0;
  const path = join(dir, 'upload.csv');
  await pipeline(part.file, new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      bytes += chunk.length;
      done(null, chunk);
    },
  }), createWriteStream(path));
  if (part.file.truncated) throw new AppError('payload_too_large', `The file is larger than ${MAX_IMPORT_BYTES} bytes.`);
  return { path, sha256: hash.digest('hex'), bytes, filename: part.filename || null };
}

export const userImportRoutes: FastifyPluginAsyncZod<{ p: Platform }> = async (app, { p }) => {
  // The app may already parse multipart for every route (then the per-request limits below
  // still apply); otherwise it is registered here, in this plugin's scope only.
  if (!app.hasRequestDecorator('isMultipart')) await app.register(fastifyMultipart);

  app.post('/v1/users/import', {
    config: { auth: 'write' },
    schema: {
      tags: ['customers'], consumes: ['multipart/form-data'],
      summary: 'Import users from a CSV (multipart part "file", header externalId,phone,email,<attributes>…); the same file again returns the same job',
      description: 'Progress at GET /v1/jobs/{jobId}. Columns: externalId (required), phone, email, wechatOpenId, pushToken, platform, createdAt; any other column is an attribute, read by its type.',
      response: { 202: z.object({ jobId: z.string(), duplicate: z.boolean() }), ...errorResponses },
    },
  }, async (req, reply) => {
    if (!req.isMultipart()) throw new AppError('unsupported_media_type', 'Send the CSV as multipart/form-data, in a part named "file".');
    const dir = await mkdtemp(join(tmpdir(), 'ml-import-'));
    try {
      const upload = await receiveUpload(req, dir);
      return reply.status(202).send(await startUserImport(p, principalOf(req), upload));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
};
