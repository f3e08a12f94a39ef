import type { ColumnType, Generated } from 'kysely';
import type { Int8, Int8Id, Json, Ts } from '../db-schema.ts';

/** Kysely view of the coupons tables (migration 0007-coupons). Merged into Database in ../db-schema.ts. */
export interface CouponTemplatesTable {
  workspaceId: string;
  id: string;
  name: string;
  type: string;
  value: Int8;
  minSpend: ColumnType<string, number | string | undefined, number | string>;
  maxDiscount: Int8 | null;
  totalStock: Int8;
  perUserLimit: number | null;
  perUserDailyLimit: number | null;
  claimStart: Ts;
  claimEnd: Ts;
  validity: Json;
  campaignId: string | null;
  eligibility: Json | null;
  createdBy: string;
  createdAt: Ts;
  updatedAt: Ts;
  /** When the per-user counters were dropped, the claim window long over (migration 0020); null while they are kept. */
  userCountersDroppedAt: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

export interface CouponsTable {
  workspaceId: string;
  id: string;
  code: string;
  templateId: string;
  campaignId: string | null;
  userId: Int8;
  source: string;
  sourceRef: string;
  status: string;
  faceValue: Int8;
  validFrom: Ts;
  validTo: Ts;
  grantedAt: Ts;
  localDay: string;
  orderId: string | null;
  orderAmount: Int8 | null;
  discount: Int8 | null;
  redeemedAt: Ts | null;
  releasedCount: Generated<number>;
  updatedAt: Ts;
}

export interface CouponRedemptionsTable {
  workspaceId: string;
  couponId: string;
  orderId: string;
  orderAmount: Int8;
  discount: Int8;
  redeemedAt: Ts;
  releasedAt: Ts | null;
}

export interface BudgetLedgerTable {
  workspaceId: string;
  id: Int8Id;
  campaignId: string;
  kind: string;
  delta: Int8;
  amount: ColumnType<string, number | string | undefined, number | string>;
  couponId: string | null;
  actor: string | null;
  reason: string | null;
  createdAt: Ts;
}

export interface AlertsTable {
  workspaceId: string;
  id: string;
  kind: string;
  severity: string;
  subjectType: string;
  subjectId: string;
  message: string;
  data: ColumnType<Json, string | undefined, string>;
  dedupKey: string | null;
  notifiedAt: Ts | null;
  ackedBy: string | null;
  ackedAt: Ts | null;
  createdAt: Ts;
}

export interface KillSwitchesTable {
  workspaceId: string;
  subjectType: string;
  subjectId: string;
  reason: string | null;
  createdBy: string;
  createdAt: Ts;
}

export interface AlertSettingsTable {
  workspaceId: string;
  webhookUrl: string | null;
  allowPrivateNetworks: ColumnType<boolean, boolean | undefined, boolean>;
  updatedBy: string;
  updatedAt: Ts;
}

export interface CouponsTables {
  couponTemplates: CouponTemplatesTable;
  coupons: CouponsTable;
  couponRedemptions: CouponRedemptionsTable;
  budgetLedger: BudgetLedgerTable;
  alerts: AlertsTable;
  killSwitches: KillSwitchesTable;
  alertSettings: AlertSettingsTable;
}
