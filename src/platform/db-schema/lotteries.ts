import type { ColumnType, Generated } from 'kysely';
import type { Int8, Int8Id, Ts } from '../db-schema.ts';

/** Kysely view of the lotteries, points and referrals tables (migration 0008-lotteries-points). Merged into Database in ../db-schema.ts. */
export interface LotteriesTable {
  workspaceId: string;
  id: string;
  name: string;
  startAt: Ts;
  endAt: Ts;
  costPerDraw: number;
  perUserDailyDraws: number | null;
  noPrizeWeight: Int8;
  pointsPerChance: number | null;
  chanceRules: ColumnType<unknown, string, string>;
  pools: ColumnType<unknown, string, string>;
  campaignId: string | null;
  createdBy: string;
  createdAt: Ts;
  updatedAt: Ts;
  /** When its counters were dropped, a week after it ended (migration 0021); null while they are kept. */
  countersDroppedAt: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}
export interface LotteryPrizesTable {
  workspaceId: string;
  lotteryId: string;
  key: string;
  position: number;
  name: string;
  weight: Int8;
  stock: Int8 | null;
  couponTemplateId: string | null;
  points: Int8 | null;
  perUserLimit: number | null;
}
export interface LotteryChanceBalancesTable {
  workspaceId: string;
  lotteryId: string;
  userId: Int8;
  chances: number;
  updatedAt: Ts;
}
export interface LotteryChanceLedgerTable {
  id: Int8Id;
  workspaceId: string;
  lotteryId: string;
  userId: Int8;
  delta: number;
  reason: string;
  ref: string;
  rule: number | null;
  day: string | null;
  createdAt: Ts;
}
export interface LotteryDrawsTable {
  workspaceId: string;
  id: string;
  lotteryId: string;
  userId: Int8;
  pool: number | null;
  prizeKey: string | null;
  day: string;
  requestRef: string | null;
  deliveryStatus: string;
  couponId: string | null;
  couponCode: string | null;
  points: Int8 | null;
  deliveryError: string | null;
  deliveryAttempts: ColumnType<number, number | undefined, number>;
  createdAt: Ts;
  deliveredAt: Ts | null;
}
export interface PointsAccountsTable {
  workspaceId: string;
  userId: Int8;
  balance: Int8;
  updatedAt: Ts;
}
export interface PointsLedgerTable {
  id: Generated<string>;
  workspaceId: string;
  userId: Int8;
  kind: string;
  amount: Int8;
  balanceAfter: Int8;
  reason: string;
  refId: string;
  expiresAt: Ts | null;
  createdAt: Ts;
}
export interface PointsLotsTable {
  id: Generated<string>;
  workspaceId: string;
  userId: Int8;
  amount: Int8;
  remaining: Int8;
  expiresAt: Ts | null;
  createdAt: Ts;
}
export interface ReferralCodesTable {
  workspaceId: string;
  userId: Int8;
  code: string;
  createdAt: Ts;
}
export interface ReferralProgramsTable {
  workspaceId: string;
  id: string;
  name: string;
  campaignId: string | null;
  reward: ColumnType<unknown, string, string>;
  active: ColumnType<boolean, boolean | undefined, boolean>;
  createdBy: string;
  createdAt: Ts;
}
export interface ReferralLinksTable {
  workspaceId: string;
  inviteeId: Int8;
  inviterId: Int8;
  code: string;
  programId: string | null;
  createdAt: Ts;
}
export interface ReferralRewardsTable {
  workspaceId: string;
  inviteeId: Int8;
  inviterId: Int8;
  programId: string;
  orderRef: string;
  status: string;
  couponCode: string | null;
  points: Int8 | null;
  error: string | null;
  createdAt: Ts;
  deliveredAt: Ts | null;
}
export interface LotteriesTables {
  lotteries: LotteriesTable;
  lotteryPrizes: LotteryPrizesTable;
  lotteryChanceBalances: LotteryChanceBalancesTable;
  lotteryChanceLedger: LotteryChanceLedgerTable;
  lotteryDraws: LotteryDrawsTable;
  pointsAccounts: PointsAccountsTable;
  pointsLedger: PointsLedgerTable;
  pointsLots: PointsLotsTable;
  referralCodes: ReferralCodesTable;
  referralPrograms: ReferralProgramsTable;
  referralLinks: ReferralLinksTable;
  referralRewards: ReferralRewardsTable;
}
