import { z } from 'zod';
import { pgText } from '../platform/text.ts';

/** What the inviter gets when an invitee pays a first order: points, or a coupon of a template. */
export const rewardSchema = z.union([
  z.strictObject({ points: z.number().int().min(1).max(1_000_000_000) }),
  z.strictObject({ couponTemplateId: z.string().min(1).max(100) }),
]);
export type Reward = z.infer<typeof rewardSchema>;

export const createProgramBody = z.strictObject({
  name: pgText(1, 200),
  /** The campaign this program belongs to (GET /v1/referrals/top?campaignId=). */
  campaignId: z.string().min(1).max(100).optional(),
  reward: rewardSchema,
});
export const patchProgramBody = z.strictObject({ name: pgText(1, 200).optional(), active: z.boolean().optional() });
export const programView = z.object({
  id: z.string(), name: z.string(), campaignId: z.string().nullable(), reward: rewardSchema, active: z.boolean(), createdAt: z.string(),
});
export type ProgramView = z.infer<typeof programView>;

export const codeBody = z.strictObject({ externalId: z.string().min(1).max(200) });
export const codeView = z.object({ externalId: z.string(), code: z.string() });

export const bindBody = z.strictObject({
  externalId: z.string().min(1).max(200),
  code: z.string().min(1).max(40),
  /** The program the invitation counts for; absent: the workspace's newest active program (or none). */
  programId: z.string().min(1).max(100).optional(),
});
export const bindView = z.object({ externalId: z.string(), inviter: z.string(), programId: z.string().nullable(), repeated: z.boolean() });

export const downlineQuery = z.strictObject({ depth: z.coerce.number().int().min(1).max(10).default(3) });
export const downlineView = z.object({
  externalId: z.string(),
  depth: z.number(),
  count: z.number(),
  truncated: z.boolean(),
  items: z.array(z.object({ externalId: z.string(), level: z.number(), invitedBy: z.string(), programId: z.string().nullable(), createdAt: z.string() })),
});

export const topQuery = z.strictObject({ campaignId: z.string().min(1).max(100).optional(), limit: z.coerce.number().int().min(1).max(1000).default(10) });
export const topView = z.object({
  items: z.array(z.object({ externalId: z.string(), invitees: z.number(), converted: z.number() })),
});

export const summaryView = z.object({
  externalId: z.string(),
  code: z.string().nullable(),
  inviter: z.string().nullable(),
  programId: z.string().nullable(),
  invitees: z.number(),
  /** The reward this user's first order earned their inviter (pending, delivered or failed). */
  inviterReward: z.object({ status: z.string(), orderRef: z.string(), couponCode: z.string().nullable(), points: z.number().nullable(), error: z.string().nullable() }).nullable(),
});
