import { z } from 'zod';

export const jobStatuses = ['queued', 'running', 'done', 'failed'] as const;
export type JobStatus = (typeof jobStatuses)[number];

export const jobError = z.object({ line: z.number(), message: z.string() });
export type JobError = z.infer<typeof jobError>;

/** At most this many per-row errors are kept; `failed` still counts them all. */
export const MAX_JOB_ERRORS = 100;

export const jobView = z.object({
  id: z.string(),
  type: z.string(),
  status: z.enum(jobStatuses),
  /** Input rows handled so far, failed ones included. */
  processed: z.number(),
  /** Rows rejected; the first 100 are described in `errors`. */
  failed: z.number(),
  errors: z.array(jobError),
  /** Why the whole job failed (a bad header, a crash after every retry), or null. */
  error: z.string().nullable(),
  input: z.object({ name: z.string().nullable(), bytes: z.number().nullable() }),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
});
export type JobView = z.infer<typeof jobView>;

export const jobIdParam = z.strictObject({ id: z.string().min(1).max(100) });
