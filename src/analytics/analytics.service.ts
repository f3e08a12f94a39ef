import { DateTime } from 'luxon';
import type { Platform } from '../platform/context.ts';
import * as campaigns from '../campaigns/campaigns.service.ts';
import * as customers from '../customers/customers.service.ts';
import * as delivery from '../delivery/delivery.service.ts';
import * as workspaces from '../workspaces/workspaces.service.ts';

/** Task report (API.md). Throws `not_found`. */
export const taskReport = (p: Platform, workspaceId: string, taskId: string) => delivery.taskReport(p, workspaceId, taskId);

export const userMessages = (p: Platform, workspaceId: string, externalId: string, limit: number, cursor?: string) => delivery.userMessages(p, workspaceId, externalId, limit, cursor);

/** Home page counts; "today" is the workspace's calendar day. */
export async function overview(p: Platform, workspaceId: string) {
  const ws = await workspaces.getWorkspace(p, workspaceId);
  const todayStart = DateTime.fromJSDate(p.clock.now(), { zone: ws.timezone }).startOf('day').toJSDate();
  const [counts, byStatus] = await Promise.all([customers.stats(p, workspaceId, todayStart), campaigns.statusCounts(p, workspaceId)]);
  return { users: counts.users, eventsToday: counts.eventsToday, campaignsRunning: byStatus.running ?? 0, campaignsByStatus: byStatus };
}
