import { z } from 'zod';
import { definitionSchema } from './definition.schema.ts';

export const refreshModes = ['once', 'daily', 'manual'] as const;

export const createSegmentBody = z.strictObject({
  name: z.string().min(1).max(200),
  definition: definitionSchema,
  refresh: z.enum(refreshModes).default('manual'),
});

export const previewBody = z.strictObject({ definition: definitionSchema });

export const segmentView = z.object({
  id: z.string(),
  name: z.string(),
  definition: z.unknown(),
  refresh: z.enum(refreshModes),
  status: z.enum(['computing', 'ready', 'failed']),
  count: z.number().nullable(),
  computedAt: z.string().nullable(),
  error: z.string().nullable(),
  createdAt: z.string(),
});
export type SegmentView = z.infer<typeof segmentView>;
