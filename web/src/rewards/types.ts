/** Shapes of the rewards API answers the console reads (API.md "Coupons", "Lotteries"; docs/h5.md). */
export type CouponType = 'threshold' | 'direct' | 'percent';

export interface CouponTemplate {
  id: string; name: string; type: CouponType; value: number; minSpend: number; maxDiscount: number | null; faceValue: number;
  totalStock: number; perUserLimit: number | null; perUserDailyLimit: number | null; claimStart: string; claimEnd: string;
  validity: { from: string; to: string } | { days: number }; campaignId: string | null; killed: boolean; createdAt: string; updatedAt: string;
}
export interface CouponStats { totalStock: number; granted: number; redeemed: number; expired: number; remaining: number; discountTotal: number; orderAmountTotal: number }

export interface LedgerEntry { id: string; kind: string; delta: number; amount: number; couponId: string | null; actor: string | null; reason: string | null; createdAt: string }
export interface Budget {
  campaignId: string; amount: number; unlimited: boolean; initial: number; toppedUp: number; reserved: number; spent: number;
  committed: number; remaining: number; ledger: LedgerEntry[]; nextCursor: string | null;
}

export interface Prize { key: string; name: string; weight: number; probability: number; stock: number | null; couponTemplateId: string | null; points: number | null; perUserLimit: number | null }
export interface Lottery {
  id: string; name: string; status: 'scheduled' | 'running' | 'ended'; startAt: string; endAt: string; costPerDraw: number; perUserDailyDraws: number | null;
  noPrizeWeight: number; noPrizeProbability: number; pointsPerChance: number | null; campaignId: string | null; prizes: Prize[];
  pools: { segmentId: string; noPrizeWeight: number; noPrizeProbability: number; prizes: { key: string; weight: number; probability: number }[] }[];
  createdAt: string; updatedAt: string;
}
export interface LotteryStats { draws: number; wins: number; delivery: { pending: number; delivered: number; failed: number }; prizes: { key: string; won: number; stock: number | null; remaining: number | null }[] }
export interface DrawRecord { drawId: string; externalId: string; prizeKey: string | null; delivery: string; couponCode: string | null; points: number | null; error: string | null; createdAt: string }

export interface Alert {
  id: string; kind: string; severity: 'info' | 'warning' | 'critical'; subject: { type: string; id: string }; message: string; data: unknown;
  notifiedAt: string | null; ackedBy: string | null; ackedAt: string | null; createdAt: string;
}
export const killTypes = ['coupon_template', 'lottery', 'campaign', 'points', 'referral'] as const;
export type KillType = (typeof killTypes)[number];
export interface KillSwitch { type: string; id: string; reason: string | null; createdBy: string; createdAt: string }

export interface PointsBalance { externalId: string; balance: number; expiring: { amount: number; expiresAt: string }[] }
export interface PointsEntry { id: string; kind: 'credit' | 'debit' | 'expire'; amount: number; balanceAfter: number; reason?: string; refId?: string; createdAt: string }

export interface H5Link { url: string; shortUrl: string; code: string; page: 'coupon' | 'lottery'; pageId: string; externalId: string; campaignId: string | null; expiresAt: string; createdAt: string }
