import { z } from 'zod';

/** `POST /v1/h5/links`: a signed page link for one user (docs/h5.md). */
export const createLinkBody = z.strictObject({
  externalId: z.string().min(1).max(200),
  couponTemplateId: z.string().min(1).max(100).optional(),
  lotteryId: z.string().min(1).max(100).optional(),
  campaignId: z.string().min(1).max(100).optional(),
  /** Lifetime of the link; default 7 days, at most 90 days. */
  ttlHours: z.number().int().min(1).max(24 * 90).optional(),
}).refine((b) => (b.couponTemplateId ? 1 : 0) + (b.lotteryId ? 1 : 0) === 1, { message: 'Give exactly one of couponTemplateId and lotteryId.', path: ['couponTemplateId'] });
export type CreateLinkInput = z.infer<typeof createLinkBody>;

export const linkView = z.object({
  url: z.string(), shortUrl: z.string(), code: z.string(), token: z.string(), tokenId: z.string(),
  page: z.enum(['coupon', 'lottery']), pageId: z.string(), externalId: z.string(), campaignId: z.string().nullable(),
  expiresAt: z.string(), createdAt: z.string(),
});
export type LinkView = z.infer<typeof linkView>;

export const settingsBody = z.strictObject({
  perIpPerMinute: z.number().int().min(1).max(1_000_000),
  perDevicePerMinute: z.number().int().min(1).max(1_000_000),
});
export type H5Settings = z.infer<typeof settingsBody>;
export const settingsView = settingsBody.extend({ updatedAt: z.string().nullable() });

/** The public routes take the token in `X-H5-Token` and an optional device id in `X-Device-Id`. */
export const publicHeaders = z.object({
  'x-h5-token': z.string().max(2000).optional(),
  'x-device-id': z.string().max(100).optional(),
});

/** A client request id makes a tap retried (network, double tap) answer the first result. */
export const actionBody = z.strictObject({ requestId: z.string().min(1).max(100).regex(/^[A-Za-z0-9_-]+$/).optional() });
export const exchangeBody = z.strictObject({ chances: z.number().int().min(1).max(100), requestId: actionBody.shape.requestId });
export const exchangeView = z.object({ chances: z.number(), pointsSpent: z.number(), pointsBalance: z.number() });
export const trackBody = z.strictObject({ target: z.string().min(1).max(100) });

const couponView = z.object({ code: z.string(), validFrom: z.string(), validTo: z.string(), status: z.string().optional() });

export const claimView = z.object({ couponId: z.string(), code: z.string(), validFrom: z.string(), validTo: z.string(), repeated: z.boolean() });
export const drawView = z.object({
  drawId: z.string(),
  prize: z.object({ key: z.string(), name: z.string(), couponCode: z.string().optional(), points: z.number().optional() }).nullable(),
  chances: z.number().nullable(),
});

export const couponPageView = z.object({
  page: z.literal('coupon'), pageId: z.string(), externalId: z.string(), campaignId: z.string().nullable(), expiresAt: z.string(), currency: z.string(), timezone: z.string(),
  offer: z.record(z.string(), z.unknown()),
  myCoupons: z.array(couponView),
});
export const lotteryPageView = z.object({
  page: z.literal('lottery'), pageId: z.string(), externalId: z.string(), campaignId: z.string().nullable(), expiresAt: z.string(), currency: z.string(), timezone: z.string(),
  lottery: z.object({
    id: z.string(), name: z.string(), startAt: z.string(), endAt: z.string(), prizes: z.array(z.object({ key: z.string(), name: z.string(), probability: z.number() })),
    costPerDraw: z.number(), pointsPerChance: z.number().nullable(),
  }),
  chances: z.number(),
  /** The user's points balance when the lottery exchanges points for chances, else null. */
  points: z.number().nullable(),
  myPrizes: z.array(z.object({ drawId: z.string(), key: z.string(), name: z.string(), couponCode: z.string().optional(), points: z.number().optional(), at: z.string() })),
});
