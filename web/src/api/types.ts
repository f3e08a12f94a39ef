/** Shapes of the API answers the console reads (see /openapi.json for the full contract). */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export type Role = 'admin' | 'operator' | 'approver' | 'analyst' | 'viewer';
export const roles: readonly Role[] = ['admin', 'operator', 'approver', 'analyst', 'viewer'];

export interface Workspace {
  id: string;
  slug: string;
  name: string;
  timezone: string;
  currency: string;
  requireApproval: boolean;
  requireTemplateReview: boolean;
  createdAt: string;
}

export interface Me {
  workspace: Workspace;
  role: Role;
  actor: string;
  email: string | null;
  name: string | null;
}

export interface Overview {
  users: number;
  eventsToday: number;
  campaignsRunning: number;
  campaignsByStatus: Record<string, number>;
}

export interface User {
  externalId: string;
  phone: string | null;
  email: string | null;
  wechatOpenId: string | null;
  pushToken: string | null;
  platform: string | null;
  attributes: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
  firstOrderAt: string | null;
  lastOrderAt: string | null;
  orderCount: number;
  orderTotal: number;
}

export interface UserEvent {
  id: string;
  name: string;
  timestamp: string;
  properties: Record<string, unknown> | null;
  messageId: string | null;
}

export interface UserMessage {
  id: string;
  taskId: string;
  campaignId: string;
  channel: string;
  status: string;
  reason: string | null;
  to?: string | null;
  createdAt: string;
  sentAt: string | null;
  deliveredAt: string | null;
  firstClickedAt: string | null;
}

export type SegmentStatus = 'computing' | 'ready' | 'failed';
export type RefreshMode = 'once' | 'daily' | 'manual';

export interface Segment {
  id: string;
  name: string;
  definition: unknown;
  refresh: RefreshMode;
  status: SegmentStatus;
  count: number | null;
  computedAt: string | null;
  error: string | null;
  createdAt: string;
}

export interface SegmentPreview {
  count: number;
  sample: string[];
}

export type Channel = 'sms' | 'push' | 'inbox' | 'email' | 'wechat' | 'webhook';

export interface SmsContent {
  signature: string;
  body: string;
}

export const channels: readonly Channel[] = ['sms', 'push', 'inbox', 'email', 'wechat', 'webhook'];

export type ReviewStatus = 'draft' | 'pending_review' | 'approved' | 'rejected';
export const reviewStatuses: readonly ReviewStatus[] = ['draft', 'pending_review', 'approved', 'rejected'];

export interface Template {
  id: string;
  name: string;
  channel: Channel;
  content: Record<string, unknown>;
  version: number;
  /** Review state (contracts: `status`); older servers answered `reviewState`. */
  status?: ReviewStatus;
  reviewState?: string;
  approvedVersion?: number | null;
  reviewNote?: string | null;
  createdAt: string;
  updatedAt: string;
}

/** One stored version of a template (GET /v1/templates/{id}/versions). */
export interface TemplateVersion {
  version: number;
  name?: string;
  content?: Record<string, unknown>;
  status?: string;
  reviewNote?: string | null;
  createdBy?: string | null;
  createdAt?: string;
  submittedBy?: string | null;
  reviewedBy?: string | null;
  reviewedAt?: string | null;
}

export interface SmsCost {
  unitPrice: number;
  segments: number;
  total: number;
  currency: string;
}

export interface RenderResult {
  rendered: Record<string, unknown>;
  smsSegments?: number;
  smsEncoding?: string;
  smsCharacters?: number;
  smsCost?: SmsCost;
}

export interface CatalogAttribute { name: string; type: string; source: string }
export interface CatalogEvent { name: string; count: number; lastSeenAt: string | null; properties: { name: string; type: string }[] }
export interface Catalog { attributes: CatalogAttribute[]; events: CatalogEvent[] }

export type Goal = 'acquisition' | 'activation' | 'retention' | 'repurchase' | 'other';
export const goals: readonly Goal[] = ['acquisition', 'activation', 'retention', 'repurchase', 'other'];

export type CampaignStatus = 'draft' | 'pending_approval' | 'approved' | 'running' | 'paused' | 'ended';
export const campaignStatuses: readonly CampaignStatus[] = ['draft', 'pending_approval', 'approved', 'running', 'paused', 'ended'];

export interface Campaign {
  id: string;
  name: string;
  goal: Goal;
  status: CampaignStatus;
  startAt: string;
  endAt: string;
  budget: { amount: number } | null;
  conversion: { event: string; windowDays: number };
  rejectReason: string | null;
  createdBy: string;
  approvedBy: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface WhereFilter { prop: string; op: string; value?: unknown }

export type Schedule =
  | { type: 'now' }
  | { type: 'at'; at: string }
  | { type: 'recurring'; cron: string; from?: string; until?: string }
  | { type: 'trigger'; event: string; where?: WhereFilter[]; delayMinutes?: number };

/** POST /v1/schedules/preview: a readable summary and the next run times in the workspace timezone. */
export interface SchedulePreview {
  summary: string;
  summaryZh?: string;
  nextRuns: string[];
  timezone?: string;
}

export interface Frequency { maxPerUser: number; perDays: number }
export interface Variant { name: string; templateId: string; weight: number }

export interface Task {
  id: string;
  campaignId: string;
  name: string;
  channel: Channel;
  templateId: string;
  /** Null only for a trigger task without a segment (everyone who does the event). */
  audience: { segmentId: string } | null;
  schedule: unknown;
  frequency: Frequency | null;
  priority: number;
  status: string;
  createdAt: string;
  variants?: Variant[] | null;
  controlPercent?: number;
  couponTemplateId?: string | null;
  templateVersions?: Record<string, number> | null;
}

/** GET /v1/tasks/{id}/estimate (SMS tasks): audience × segments × unit price, minor units. */
export interface TaskEstimate {
  taskId: string;
  audience: number | null;
  segmentsPerMessage: number;
  encoding: string;
  unitPrice: number;
  currency: string;
  perMessage: number;
  total: number | null;
}

export interface CampaignWithTasks extends Campaign {
  tasks: Task[];
}

export interface TaskReport {
  taskId: string;
  campaignId: string;
  targeted: number;
  suppressed: { frequency: number; unsubscribed: number; blacklisted: number; noAddress: number; control: number; [reason: string]: number };
  deferred: number;
  queued: number;
  sent: number;
  delivered: number;
  failed: number;
  failedBeforeSend: number;
  clicked: number;
  converted: number;
  orders: number;
  revenue: number;
  byVariant?: VariantReport[];
  runs: TaskRun[];
}

export interface VariantReport {
  name: string;
  templateId: string | null;
  weight: number | null;
  targeted: number;
  sent: number;
  delivered: number;
  clicked: number;
  /** Touched users: sent to, or held out as control. */
  users: number;
  converted: number;
  /** converted ÷ users. */
  conversionRate: number;
  /** Relative to control's conversion rate; null for control, without one, or when control never converted. */
  lift: number | null;
  /** Two-sided p-value of a two-proportion z-test against control. */
  pValue: number | null;
}

export interface TaskRun {
  id: string;
  status: string;
  scheduledFor: string;
  startedAt: string | null;
  finishedAt: string | null;
  targeted: number | null;
  batches: number | null;
}

export interface ConsoleUser {
  id: string;
  email: string;
  name: string | null;
  role: Role;
  createdAt: string;
  activatedAt: string | null;
}

export interface Invitation {
  id: string;
  email: string;
  role: Role;
  inviteToken: string;
  inviteUrl: string;
}

export interface Cap { maxPerUser: number; perDays: number }
export interface QuietHours { start: string; end: string }

/** GET /v1/policies/delivery (PUT takes the same without timezone/updatedAt). */
export interface DeliveryPolicy {
  global: Cap | null;
  channels: Partial<Record<Channel, Cap>>;
  quietHours: QuietHours | null;
  /** The opt-out line appended to marketing SMS (default 拒收请回复R). */
  smsOptOut?: string;
  retries?: { maxAttempts: number; delaySeconds: number };
  timezone: string;
  updatedAt: string | null;
}

export type ProviderType = 'sandbox' | 'inbox' | 'smtp' | 'webhook' | 'wechat' | 'tencent_sms';

export interface Provider {
  id: string;
  channel: Channel;
  type: ProviderType;
  name: string;
  /** Masked values (`****abcd`): credentials are write-only. */
  credentials: Record<string, string>;
  settings: Record<string, unknown>;
  rateLimitPerSecond: number | null;
  fallbackProviderId: string | null;
  priority: number;
  unreadable?: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface CouponTemplateSummary { id: string; name: string; type?: string; status?: string }

/**
 * GET /v1/campaigns/{id}/report: what a campaign earned (docs/concepts.md "What a campaign
 * earned"). The funnel counts users across all its tasks; money is fen; rates are fractions.
 */
export interface CampaignReport {
  campaignId: string;
  conversion: { event: string; windowDays: number };
  funnel: { targeted: number; reached: number; opened: number; converted: number };
  payers: number;
  orders: number;
  gmv: number;
  couponDiscount: number;
  firstOrderUsers: number;
  firstOrderGmv: number;
  repeatUsers: number;
  repeatGmv: number;
  /** gmv ÷ couponDiscount; null when nothing was discounted. */
  roi: number | null;
  coupons: CampaignCouponLine[];
  tasks: CampaignTaskLine[];
}

/** One coupon template of a campaign report; `redeemRate` is redeemed ÷ granted (0.0479). */
export interface CampaignCouponLine {
  templateId: string;
  granted: number;
  redeemed: number;
  redeemRate: number;
  couponGmv: number;
  discount: number;
}

/** One task of a campaign report: its task report in short. */
export interface CampaignTaskLine {
  taskId: string;
  name: string;
  channel: string;
  status: string;
  targeted: number;
  sent: number;
  delivered: number;
  failed: number;
  clicked: number;
  converted: number;
  orders: number;
  revenue: number;
  byVariant: VariantReport[];
}

/** The two CSV exports of a campaign (GET /v1/campaigns/{id}/export?type=…). */
export type CampaignExportType = 'messages' | 'conversions';
