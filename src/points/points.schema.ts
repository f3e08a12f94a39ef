import { z } from 'zod';
import { pgText } from '../platform/text.ts';

const amount = z.number().int().min(1).max(1_000_000_000);

export const creditBody = z.strictObject({
  amount,
  reason: pgText(1, 200),
  /** The caller's reference (an order id, a task id): a repeat with the same refId is the same credit. */
  refId: pgText(1, 200),
  /** When these points lapse; absent: never. */
  expiresAt: z.iso.datetime({ offset: true }).optional(),
});
export type CreditInput = z.infer<typeof creditBody>;

export const debitBody = z.strictObject({ amount, reason: pgText(1, 200), refId: pgText(1, 200) });
export type DebitInput = z.infer<typeof debitBody>;

export const movementView = z.object({
  externalId: z.string(),
  balance: z.number(),
  entryId: z.string(),
  repeated: z.boolean(),
});

export const balanceView = z.object({
  externalId: z.string(),
  balance: z.number(),
  /** The next lots to lapse, soonest first (at most 10). */
  expiring: z.array(z.object({ amount: z.number(), expiresAt: z.string() })),
});

export const entryView = z.object({
  id: z.string(),
  kind: z.enum(['credit', 'debit', 'expire']),
  amount: z.number(),
  balanceAfter: z.number(),
  reason: z.string(),
  refId: z.string(),
  expiresAt: z.string().nullable(),
  createdAt: z.string(),
});
export type EntryView = z.infer<typeof entryView>;
