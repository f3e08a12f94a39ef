import { z } from 'zod';
import { definitionSchema } from '../audiences/definition.schema.ts';

export const couponTypes = ['threshold', 'direct', 'percent'] as const;
export type CouponType = (typeof couponTypes)[number];
export const couponSources = ['api', 'task', 'lottery', 'h5'] as const;
export type CouponSource = (typeof couponSources)[number];

const iso = z.iso.datetime({ offset: true });
const money = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const positiveMoney = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

export const validitySchema = z.union([
  z.strictObject({ from: iso, to: iso }),
  z.strictObject({ days: z.number().int().min(1).max(3650) }),
]);
export type Validity = z.infer<typeof validitySchema>;

const templateFields = {
  name: z.string().min(1).max(200),
  type: z.enum(couponTypes),
  /** threshold/direct: minor units off; percent: percent off (1..100). */
  value: positiveMoney,
  minSpend: money.optional(),
  maxDiscount: positiveMoney.optional(),
  totalStock: z.number().int().min(0).max(1_000_000_000),
  perUserLimit: z.number().int().min(1).max(1_000_000).optional(),
  perUserDailyLimit: z.number().int().min(1).max(1_000_000).optional(),
  claimStart: iso,
  claimEnd: iso,
  validity: validitySchema,
  /** The campaign whose budget pays: face value reserved at grant, settled at redemption. */
  campaignId: z.string().min(1).max(100).optional(),
  /** Who may claim: a segment definition checked for the one user at claim time. */
  eligibility: definitionSchema.optional(),
};

/** Rules zod's shape cannot say; shared by create and (merged) patch. */
export function templateIssues(t: { type: CouponType; value: number; maxDiscount?: number | null; claimStart: string; claimEnd: string; validity: Validity; campaignId?: string | null }): { path: string[]; message: string }[] {
  const out: { path: string[]; message: string }[] = [];
  if (t.type === 'percent' && t.value > 100) out.push({ path: ['value'], message: 'A percent coupon takes 1 to 100 (percent off).' });
  // A budget reserves the face value at grant: a percent coupon's face value is its cap.
  if (t.type === 'percent' && t.campaignId && !t.maxDiscount) out.push({ path: ['maxDiscount'], message: 'A percent coupon paid by a campaign budget needs maxDiscount (its face value).' });
  if (new Date(t.claimEnd) <= new Date(t.claimStart)) out.push({ path: ['claimEnd'], message: 'claimEnd must be after claimStart.' });
  if ('from' in t.validity && new Date(t.validity.to) <= new Date(t.validity.from)) out.push({ path: ['validity', 'to'], message: 'validity.to must be after validity.from.' });
  return out;
}

export const createTemplateBody = z.strictObject(templateFields).superRefine((t, ctx) => {
  for (const i of templateIssues(t)) ctx.addIssue({ code: 'custom', path: i.path, message: i.message });
});
export type CreateTemplateInput = z.infer<typeof createTemplateBody>;

/** Stock top-ups, limits, window, validity for new grants; type and value are fixed once created (coupons already granted carry them). */
export const patchTemplateBody = z.strictObject({
  name: templateFields.name.optional(),
  totalStock: templateFields.totalStock.optional(),
  perUserLimit: templateFields.perUserLimit.nullable().optional(),
  perUserDailyLimit: templateFields.perUserDailyLimit.nullable().optional(),
  claimStart: iso.optional(),
  claimEnd: iso.optional(),
  validity: validitySchema.optional(),
  eligibility: definitionSchema.nullable().optional(),
});
export type PatchTemplateInput = z.infer<typeof patchTemplateBody>;

export const templateView = z.object({
  id: z.string(), name: z.string(), type: z.enum(couponTypes), value: z.number(), minSpend: z.number(), maxDiscount: z.number().nullable(),
  faceValue: z.number(), totalStock: z.number(), perUserLimit: z.number().nullable(), perUserDailyLimit: z.number().nullable(),
  claimStart: z.string(), claimEnd: z.string(), validity: validitySchema, campaignId: z.string().nullable(), eligibility: z.unknown().nullable(),
  killed: z.boolean(), createdAt: z.string(), updatedAt: z.string(),
});
export type TemplateView = z.infer<typeof templateView>;

export const grantBody = z.strictObject({ externalId: z.string().min(1).max(200) });
export const grantView = z.object({ couponId: z.string(), code: z.string(), validFrom: z.string(), validTo: z.string(), repeated: z.boolean() });

export const codeParam = z.strictObject({ code: z.string().min(1).max(64) });
export const redeemBody = z.strictObject({ externalId: z.string().min(1).max(200), orderId: z.string().min(1).max(200), orderAmount: money });
export const redeemView = z.object({ discount: z.number(), payable: z.number() });
export const releaseBody = z.strictObject({ orderId: z.string().min(1).max(200) });
export const releaseView = z.object({ released: z.boolean(), status: z.string() });

export const couponView = z.object({
  id: z.string(), code: z.string(), templateId: z.string(), externalId: z.string().nullable(), status: z.string(), source: z.string(),
  faceValue: z.number(), validFrom: z.string(), validTo: z.string(), grantedAt: z.string(),
  orderId: z.string().nullable(), discount: z.number().nullable(), redeemedAt: z.string().nullable(),
});

export const statsView = z.object({
  totalStock: z.number(), granted: z.number(), redeemed: z.number(), expired: z.number(), remaining: z.number(),
  discountTotal: z.number(), orderAmountTotal: z.number(),
});

export const topUpBody = z.strictObject({ amount: positiveMoney, reason: z.string().min(1).max(2000) });
export const ledgerEntry = z.object({
  id: z.string(), kind: z.string(), delta: z.number(), amount: z.number(), couponId: z.string().nullable(),
  actor: z.string().nullable(), reason: z.string().nullable(), createdAt: z.string(),
});
export const budgetView = z.object({
  campaignId: z.string(), amount: z.number(), unlimited: z.boolean(), initial: z.number(), toppedUp: z.number(), reserved: z.number(), spent: z.number(),
  committed: z.number(), remaining: z.number(), ledger: z.array(ledgerEntry), nextCursor: z.string().nullable(),
});
