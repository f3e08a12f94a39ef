import type { ColumnType, Generated } from 'kysely';
import type { AudiencesTables } from './db-schema/audiences.ts';
import type { CouponsTables } from './db-schema/coupons.ts';
import type { H5Tables } from './db-schema/h5.ts';
import type { LotteriesTables } from './db-schema/lotteries.ts';
import type { ReachTables } from './db-schema/reach.ts';

/**
 * Kysely's view of the tables created by ./migrations (camelCase; CamelCasePlugin maps to
 * snake_case columns). Kept beside the migrations because both describe the same schema.
 */
export type Json = unknown;
export type Ts = ColumnType<Date, Date | string, Date | string>;
export type TsDefault = ColumnType<Date, Date | string | undefined, Date | string>;
export type Int8 = ColumnType<string, number | string | bigint, number | string | bigint>;
export type Int8Id = ColumnType<string, never, never>;

export interface WorkspacesTable {
  id: string;
  slug: string;
  name: string;
  timezone: ColumnType<string, string | undefined, string>;
  currency: ColumnType<string, string | undefined, string>;
  requireApproval: ColumnType<boolean, boolean | undefined, boolean>;
  requireTemplateReview: ColumnType<boolean, boolean | undefined, boolean>;
  createdAt: TsDefault;
  updatedAt: TsDefault;
}
export interface ApiKeysTable {
  id: string;
  workspaceId: string;
  name: string;
  role: string;
  keyHash: string;
  keyPrefix: string;
  createdAt: TsDefault;
  revokedAt: Ts | null;
}
export interface ConsoleUsersTable {
  id: string;
  workspaceId: string;
  email: string;
  name: string | null;
  role: string;
  passwordHash: string | null;
  inviteTokenHash: string | null;
  inviteExpiresAt: Ts | null;
  invitedBy: string | null;
  createdAt: TsDefault;
  activatedAt: Ts | null;
}
export interface ConsoleSessionsTable {
  tokenHash: string;
  workspaceId: string;
  consoleUserId: string;
  createdAt: TsDefault;
  expiresAt: Ts;
}
export interface AuditLogTable {
  id: Int8Id;
  workspaceId: string;
  actor: string;
  action: string;
  objectType: string;
  objectId: string;
  details: Json;
  at: Ts;
}
export interface UsersTable {
  id: Int8Id;
  workspaceId: string;
  externalId: string;
  phone: string | null;
  email: string | null;
  wechatOpenId: string | null;
  pushToken: string | null;
  platform: string | null;
  attributes: ColumnType<Record<string, unknown>, string, string>;
  createdAt: Ts;
  updatedAt: Ts;
  firstOrderAt: Ts | null;
  lastOrderAt: Ts | null;
  orderCount: ColumnType<number, number | undefined, number>;
  orderTotal: ColumnType<string, number | string | undefined, number | string>;
}
export interface EventsTable {
  id: Int8Id;
  workspaceId: string;
  userId: Int8;
  name: string;
  ts: Ts;
  properties: ColumnType<Record<string, unknown>, string, string>;
  messageId: string | null;
  receivedAt: TsDefault;
}
export interface OrdersTable {
  workspaceId: string;
  orderId: string;
  userId: Int8;
  amount: Int8;
  paidAt: Ts;
  couponCode: string | null;
  firstOrder: boolean;
}
export interface SegmentsTable {
  id: string;
  workspaceId: string;
  name: string;
  definition: ColumnType<unknown, string, string>;
  refresh: string;
  status: string;
  count: number | null;
  computedAt: Ts | null;
  currentSnapshotId: Int8 | null;
  error: string | null;
  createdBy: string;
  createdAt: Ts;
  updatedAt: Ts;
  kind: ColumnType<string, string | undefined, string>;
  refreshAt: ColumnType<string, string | undefined, string>;
  nextRefreshAt: Ts | null;
}
export interface SegmentSnapshotsTable {
  id: Generated<string>;
  workspaceId: string;
  segmentId: string;
  computedAt: Ts;
  count: number;
  reason: string;
}
export interface SegmentSqlContextTable {
  pid: number;
  xid: string;
  workspaceId: string;
}
export interface SegmentMembersTable {
  snapshotId: Int8;
  userId: Int8;
  workspaceId: string;
}
export interface TemplatesTable {
  id: string;
  workspaceId: string;
  name: string;
  channel: string;
  content: ColumnType<unknown, string, string>;
  version: ColumnType<number, number | undefined, number>;
  reviewState: ColumnType<string, string | undefined, string>;
  createdBy: string;
  createdAt: Ts;
  updatedAt: Ts;
}
export interface CampaignsTable {
  id: string;
  workspaceId: string;
  name: string;
  goal: string;
  startAt: Ts;
  endAt: Ts;
  budgetAmount: Int8 | null;
  conversionEvent: string;
  conversionWindowDays: number;
  status: string;
  rejectReason: string | null;
  createdBy: string;
  submittedBy: string | null;
  approvedBy: string | null;
  createdAt: Ts;
  updatedAt: Ts;
}
export interface TasksTable {
  id: string;
  workspaceId: string;
  campaignId: string;
  name: string;
  channel: string;
  templateId: string;
  segmentId: string;
  schedule: ColumnType<unknown, string, string>;
  frequency: ColumnType<unknown, string | null, string | null>;
  variants: ColumnType<unknown, string | null, string | null>;
  controlPercent: number;
  couponTemplateId: string | null;
  priority: number;
  status: string;
  createdBy: string;
  createdAt: Ts;
  updatedAt: Ts;
}
export interface TaskRunsTable {
  id: Generated<string>;
  workspaceId: string;
  taskId: string;
  campaignId: string;
  scheduledFor: Ts;
  status: string;
  snapshotId: Int8 | null;
  targeted: number | null;
  batchesTotal: number | null;
  startedAt: Ts | null;
  finishedAt: Ts | null;
  error: string | null;
  priority: ColumnType<number, number | undefined, number>;
  deferred: ColumnType<number, number | undefined, number>;
}
export interface TaskRunBatchesTable {
  workspaceId: string;
  taskRunId: Int8;
  batchNo: number;
  fromUserId: Int8;
  toUserId: Int8;
  size: number;
  status: string;
  attempts: ColumnType<number, number | undefined, number>;
  finishedAt: Ts | null;
}
export interface MessagesTable {
  id: Generated<string>;
  workspaceId: string;
  taskRunId: Int8;
  taskId: string;
  campaignId: string;
  userId: Int8;
  channel: string;
  variant: string | null;
  status: string;
  reason: string | null;
  toAddress: string | null;
  provider: string | null;
  createdAt: Ts;
  sentAt: Ts | null;
  deliveredAt: Ts | null;
  failedAt: Ts | null;
  firstClickedAt: Ts | null;
}
export interface LinksTable {
  code: string;
  workspaceId: string;
  messageId: Int8;
  campaignId: string;
  taskId: string;
  userId: Int8;
  url: string;
  createdAt: Ts;
}
export interface SandboxOutboxTable {
  messageId: Int8;
  workspaceId: string;
  channel: string;
  externalId: string;
  toAddress: string | null;
  rendered: ColumnType<unknown, string, string>;
  taskId: string | null;
  sentAt: Ts;
}
export interface IdempotencyKeysTable {
  workspaceId: string;
  key: string;
  route: string;
  requestHash: string;
  statusCode: number;
  body: ColumnType<unknown, string, string>;
  createdAt: TsDefault;
}
export interface WorkerHeartbeatsTable {
  processId: string;
  workerIds: string[];
  heartbeatAt: Ts;
}

export interface AttributeTypesTable {
  workspaceId: string;
  name: string;
  type: string;
  source: string;
  createdAt: Ts;
  updatedAt: Ts;
}
export interface EventPropertyTypesTable {
  workspaceId: string;
  eventName: string;
  property: string;
  type: string;
  createdAt: Ts;
}
export interface EventCountsTable {
  workspaceId: string;
  name: string;
  shard: number;
  count: Int8;
  lastSeenAt: Ts;
}
export interface AnonymousIdsTable {
  workspaceId: string;
  anonymousId: string;
  userId: Int8;
  createdAt: Ts;
  mergedAt: Ts | null;
}
export interface BackgroundJobsTable {
  id: string;
  workspaceId: string;
  type: string;
  status: string;
  contentHash: string | null;
  inputOid: number | null;
  inputBytes: Int8 | null;
  inputName: string | null;
  processed: ColumnType<string, number | string | undefined, number | string>;
  failed: ColumnType<string, number | string | undefined, number | string>;
  checkpointLine: ColumnType<string, number | string | undefined, number | string>;
  errors: ColumnType<unknown, string | undefined, string>;
  error: string | null;
  createdBy: string;
  createdAt: Ts;
  startedAt: Ts | null;
  finishedAt: Ts | null;
}
export interface CountersTable {
  workspaceId: string;
  key: string;
  used: Int8;
  expiresAt: Ts | null;
  updatedAt: TsDefault;
}

export interface DeliveryPoliciesTable {
  workspaceId: string;
  policy: ColumnType<Json, string, string>;
  updatedBy: string;
  updatedAt: Ts;
}
export interface UnsubscribesTable {
  workspaceId: string;
  externalId: string;
  channel: string;
  createdAt: Ts;
}
export interface BlacklistTable {
  workspaceId: string;
  externalId: string;
  createdBy: string;
  createdAt: Ts;
}

export interface ProvidersTable {
  id: string;
  workspaceId: string;
  channel: string;
  type: string;
  name: string;
  credentialsEnc: string;
  credentialKeys: ColumnType<string[], string[] | undefined, string[]>;
  settings: ColumnType<Json, string | undefined, string>;
  rateLimitPerSecond: number | null;
  fallbackProviderId: string | null;
  priority: ColumnType<number, number | undefined, number>;
  createdAt: TsDefault;
  updatedAt: TsDefault;
}
export interface ProviderMessageRefsTable {
  providerId: string;
  vendorRef: string;
  workspaceId: string;
  messageId: Int8;
  createdAt: TsDefault;
}
export interface InboxMessagesTable {
  messageId: Int8;
  workspaceId: string;
  externalId: string;
  title: string;
  body: string;
  url: string | null;
  readAt: Ts | null;
  expiresAt: Ts | null;
  createdAt: Ts;
}

/** Later domains keep their tables in ./db-schema/<domain>.ts so their work never collides here. */
export interface LinkClickLogTable {
  id: Int8Id;
  receivedAt: TsDefault;
  n: number;
  clicks: string;
}

export interface Database extends CouponsTables, LotteriesTables, ReachTables, AudiencesTables, H5Tables {
  workspaces: WorkspacesTable;
  apiKeys: ApiKeysTable;
  consoleUsers: ConsoleUsersTable;
  consoleSessions: ConsoleSessionsTable;
  auditLog: AuditLogTable;
  users: UsersTable;
  events: EventsTable;
  orders: OrdersTable;
  segments: SegmentsTable;
  segmentSnapshots: SegmentSnapshotsTable;
  segmentMembers: SegmentMembersTable;
  segmentSqlContext: SegmentSqlContextTable;
  templates: TemplatesTable;
  campaigns: CampaignsTable;
  tasks: TasksTable;
  taskRuns: TaskRunsTable;
  taskRunBatches: TaskRunBatchesTable;
  messages: MessagesTable;
  links: LinksTable;
  sandboxOutbox: SandboxOutboxTable;
  idempotencyKeys: IdempotencyKeysTable;
  workerHeartbeats: WorkerHeartbeatsTable;
  attributeTypes: AttributeTypesTable;
  eventPropertyTypes: EventPropertyTypesTable;
  eventCounts: EventCountsTable;
  anonymousIds: AnonymousIdsTable;
  backgroundJobs: BackgroundJobsTable;
  counters: CountersTable;
  providers: ProvidersTable;
  providerMessageRefs: ProviderMessageRefsTable;
  inboxMessages: InboxMessagesTable;
  deliveryPolicies: DeliveryPoliciesTable;
  unsubscribes: UnsubscribesTable;
  blacklist: BlacklistTable;
  linkClickLog: LinkClickLogTable;
}
