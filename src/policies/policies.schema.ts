import { z } from 'zod';
import { channels, type Channel } from '../channels/channels.schema.ts';

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM, 24-hour.');

export const capSchema = z.strictObject({
  maxPerUser: z.number().int().min(1).max(1_000_000),
  perDays: z.number().int().min(1).max(365),
});
export type Cap = z.infer<typeof capSchema>;

export const quietHoursSchema = z
  .strictObject({ start: hhmm, end: hhmm })
  .refine((q) => q.start !== q.end, { path: ['end'], message: 'Quiet hours must not start and end at the same time.' });
export type QuietHours = z.infer<typeof quietHoursSchema>;

const channelCaps = z.strictObject(Object.fromEntries(channels.map((c) => [c, capSchema.optional()])) as Record<Channel, z.ZodOptional<typeof capSchema>>);

/** PUT /v1/policies/delivery: the whole policy; what is absent is off. */
export const deliveryPolicyBody = z.strictObject({
  global: capSchema.nullable().optional(),
  channels: channelCaps.optional(),
  quietHours: quietHoursSchema.nullable().optional(),
  /** The opt-out line marketing SMS must carry; absent: the default `拒收请回复R`. */
  smsOptOut: z.string().min(1).max(40).optional(),
  /** Provider failures that may pass later (5xx, timeout, network): attempts in all, the first retry after `delaySeconds`, doubling. Absent: 3 attempts, 60 s. */
  retries: z.strictObject({ maxAttempts: z.number().int().min(1).max(10), delaySeconds: z.number().int().min(1).max(86_400) }).optional(),
});
export type DeliveryPolicyInput = z.infer<typeof deliveryPolicyBody>;

export interface DeliveryPolicy {
  global: Cap | null;
  channels: Partial<Record<Channel, Cap>>;
  quietHours: QuietHours | null;
  smsOptOut: string;
  retries: RetryPolicy;
}
export interface RetryPolicy { maxAttempts: number; delaySeconds: number }
export const DEFAULT_RETRIES: RetryPolicy = { maxAttempts: 3, delaySeconds: 60 };

/** What Chinese carriers expect marketing SMS to end with when the workspace sets nothing else. */
export const DEFAULT_SMS_OPT_OUT = '拒收请回复R';

/** The stored policy, re-parsed on read (JSONB is an edge too). */
export const storedPolicy = z.object({
  global: capSchema.nullable(),
  channels: z.partialRecord(z.enum(channels), capSchema),
  quietHours: z.object({ start: hhmm, end: hhmm }).nullable(),
  smsOptOut: z.string().default('拒收请回复R'),
  retries: z.object({ maxAttempts: z.number(), delaySeconds: z.number() }).default({ maxAttempts: 3, delaySeconds: 60 }),
});

export const deliveryPolicyView = z.object({
  global: capSchema.nullable(),
  channels: z.record(z.string(), capSchema),
  quietHours: z.object({ start: z.string(), end: z.string() }).nullable(),
  smsOptOut: z.string(),
  retries: z.object({ maxAttempts: z.number(), delaySeconds: z.number() }),
  timezone: z.string(),
  updatedAt: z.string().nullable(),
});

export const unsubscribeBody = z.strictObject({ channel: z.enum(channels).optional() });
export const unsubscribeView = z.object({ externalId: z.string(), channels: z.array(z.union([z.enum(channels), z.literal('*')])) });

export const externalIds = z.array(z.string().min(1).max(200).refine((s) => !s.includes('\u0000'), 'NUL is not allowed.')).min(1).max(10_000);
export const blacklistBody = z.strictObject({ externalIds });
export const blacklistView = z.object({ items: z.array(z.object({ externalId: z.string(), createdAt: z.string() })), nextCursor: z.string().nullable() });
