import { z } from 'zod';
import { pgText } from '../platform/text.ts';
import { definitionSchema } from './definition.schema.ts';

export const refreshModes = ['once', 'daily', 'manual'] as const;
export type RefreshMode = (typeof refreshModes)[number];
export const segmentKinds = ['definition', 'sql', 'list'] as const;
export type SegmentKind = (typeof segmentKinds)[number];

/** Workspace-local time of the daily refresh, "HH:MM" (24 h). */
export const refreshAt = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'A local time "HH:MM" (00:00–23:59).');
export const DEFAULT_REFRESH_AT = '02:00';

const segmentName = pgText(1, 200);

export const createSegmentBody = z.strictObject({
  name: segmentName,
  definition: definitionSchema,
  refresh: z.enum(refreshModes).default('manual'),
  refreshAt: refreshAt.optional(),
});

export const patchSegmentBody = z
  .strictObject({
    name: segmentName.optional(),
    definition: definitionSchema.optional(),
    refresh: z.enum(refreshModes).optional(),
    refreshAt: refreshAt.optional(),
  })
  .refine((b) => Object.values(b).some((v) => v !== undefined), 'Send at least one of name, definition, refresh, refreshAt.');
export type PatchSegmentInput = z.infer<typeof patchSegmentBody>;

export const previewBody = z.strictObject({ definition: definitionSchema });

export const segmentView = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.enum(segmentKinds),
  definition: z.unknown(),
  refresh: z.enum(refreshModes),
  refreshAt: z.string(),
  status: z.enum(['computing', 'ready', 'failed']),
  count: z.number().nullable(),
  computedAt: z.string().nullable(),
  error: z.string().nullable(),
  createdAt: z.string(),
});
export type SegmentView = z.infer<typeof segmentView>;

/** One snapshot of GET /v1/segments/{id}/history. */
export const historyPointView = z.object({ snapshotId: z.string(), computedAt: z.string(), count: z.number(), reason: z.string() });
export type HistoryPointView = z.infer<typeof historyPointView>;

export const MAX_PASTED_IDS = 100_000;
export const listBody = z.strictObject({
  name: segmentName,
  // Any string is accepted as an id: one that cannot be a user (too long, NUL) is reported unknown.
  externalIds: z.array(z.string().min(1).max(10_000)).min(1).max(MAX_PASTED_IDS),
});

/** A static list: the segment, and what matched. Unknown ids are reported, never dropped silently. */
export const listResultView = segmentView.extend({
  matched: z.number().describe('Distinct users of this workspace the list named.'),
  unknown: z.array(z.string()).describe('The first 100 distinct externalIds that are not users here.'),
  unknownCount: z.number().describe('Lines (or pasted ids) whose externalId is not a user here.'),
});
export type ListResultView = z.infer<typeof listResultView>;

export const exportFieldsQuery = z.strictObject({
  fields: z.string().max(2000).default('externalId').describe('Comma-separated: externalId, phone, email, platform, createdAt, attr.<name>.'),
});
