import { z } from 'zod';
import { valueType } from './attributes.schema.ts';

export const catalogQuery = z.strictObject({});

const topValue = z.object({ value: z.union([z.string(), z.boolean()]), count: z.number() });

export const catalogView = z.object({
  attributes: z.array(z.object({
    name: z.string(),
    type: valueType,
    source: z.enum(['builtIn', 'inferred', 'declared']),
    /** String and boolean attributes: up to 10 most frequent values among the sampled profiles. */
    topValues: z.array(topValue).optional(),
  })),
  events: z.array(z.object({
    name: z.string(),
    /** Events stored since the workspace began (kept at ingest; exact). */
    count: z.number(),
    lastSeenAt: z.string().nullable(),
    properties: z.array(z.object({ name: z.string(), type: valueType })),
  })),
  /** Top values are counted over the first `users` profiles in externalId order (at most `limit`). */
  sample: z.object({ users: z.number(), limit: z.number() }),
});
export type CatalogView = z.infer<typeof catalogView>;
