import type { FastifyRequest } from 'fastify';
import { AppError } from '../platform/errors.ts';

/**
 * More items than a batch may hold is a validation failure like any other (400, the field named:
 * API.md's "Max 10,000 per call" is part of the route's schema), checked before validation walks
 * 10,000+ items. A body too large in bytes stays a 413 (http/errors.ts).
 */
export const batchLimit = (field: string, max: number) => async (req: FastifyRequest): Promise<void> => {
  const body = req.body as Record<string, unknown> | null;
  const items = body && typeof body === 'object' ? body[field] : undefined;
  if (Array.isArray(items) && items.length > max) {
    throw new AppError('validation_failed', `At most ${max} ${field} per call; this one has ${items.length}. Split the batch.`, [{ path: field, message: `Too many items (max ${max}).` }]);
  }
};
