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

export interface Template {
  id: string;
  name: string;
  channel: Channel;
  content: Record<string, unknown>;
  version: number;
  reviewState: string;
  createdAt: string;
  updatedAt: string;
}

export interface RenderResult {
  rendered: Record<string, unknown>;
  smsSegments?: number;
  smsEncoding?: string;
  smsCharacters?: number;
}

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

export type Schedule = { type: 'now' } | { type: 'at'; at: string };

export interface Task {
  id: string;
  campaignId: string;
  name: string;
  channel: Channel;
  templateId: string;
  audience: { segmentId: string };
  schedule: unknown;
  frequency: unknown;
  priority: number;
  status: string;
  createdAt: string;
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
  runs: TaskRun[];
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
