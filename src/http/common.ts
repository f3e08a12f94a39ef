import { z } from 'zod';
import { errorBody } from './errors.ts';

/** `?limit=&cursor=` of API.md "Lists". */
export const listQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(1000).default(50),
  cursor: z.string().max(200).optional(),
});

export const errorSchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.array(z.object({ path: z.string(), message: z.string() })) }),
});

/** Error responses every authenticated route may answer, for the OpenAPI document. */
export const errorResponses = {
  400: errorSchema, 401: errorSchema, 403: errorSchema, 404: errorSchema, 409: errorSchema,
} as const;

export const idParam = z.strictObject({ id: z.string().min(1).max(100) });

export const ok = { ok: true } as const;
export { errorBody };
