import type { FastifyRequest } from 'fastify';
import { AppError } from '../platform/errors.ts';

/** An oversize batch is a 413 (API.md), checked before validation walks 10,000+ items. */
export const batchLimit = (field: string, max: number) => async (req: FastifyRequest): Promise<void> => {
  const body = req.body as Record<string, unknown> | null;
  const items = body && typeof body === 'object' ? body[field] : undefined;
  if (Array.isArray(items) && items.length > max) {
    throw new AppError('payload_too_large', `At most ${max} ${field} per call; this one has ${items.length}.`, [{ path: field, message: `Too many items (max ${max}).` }]);
  }
};
