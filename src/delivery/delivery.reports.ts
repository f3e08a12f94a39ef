import type { Platform } from '../platform/context.ts';
import * as campaigns from '../campaigns/campaigns.service.ts';
import * as customers from '../customers/customers.service.ts';
import { liftAgainst } from './ab-lift.ts';
import type { Variant } from './assignment.ts';
import * as repo from './delivery.repo.ts';

/** What a task's messages came to (the report of API.md), and a user's message timeline. */

/** Totals over all runs of a task; every targeted user is in exactly one bucket. Throws `not_found`. */
export async function taskReport(p: Platform, workspaceId: string, taskId: string) {
  const task = await campaigns.taskInfo(p.db, workspaceId, taskId);
  const campaign = await campaigns.campaignInfo(p.db, workspaceId, task.campaignId);
  const rows = await repo.taskCounts(p.db, workspaceId, taskId);
  const suppressed: { frequency: number; unsubscribed: number; blacklisted: number; noAddress: number; control: number; [reason: string]: number } = { frequency: 0, unsubscribed: 0, blacklisted: 0, noAddress: 0, control: 0 };
  let targeted = 0, deferred = 0, sent = 0, delivered = 0, failed = 0, failedBeforeSend = 0, clicked = 0, queued = 0, retrying = 0;
  for (const r of rows) {
    const n = Number(r.n);
    targeted += n;
    delivered += Number(r.delivered);
    clicked += Number(r.clicked);
    if (r.status === 'suppressed') suppressed[r.reason ?? 'other'] = (suppressed[r.reason ?? 'other'] ?? 0) + n;
    else if (r.status === 'deferred') deferred += n;
    else if (r.status === 'queued') queued += n;
    else if (r.status === 'retrying') { retrying += n; queued += n; } // waiting to be sent again: in `queued`, and told apart in `retrying`
    else if (r.status === 'sending') queued += n; // handed to the provider, its outcome not back yet
    else if (r.status === 'sent' || r.status === 'delivered') sent += n;
    else if (r.status === 'failed') failed += n;
  }
  const failedSent = await repo.failedAfterSend(p.db, workspaceId, taskId);
  failedBeforeSend = failed - failedSent;
  sent += failedSent; // a message that was sent and later failed its receipt still went out
  const conv = await repo.taskConversions(p.db, workspaceId, taskId, campaign.conversion.event, campaign.conversion.windowDays);
  const runs = await repo.runsOfTask(p.db, workspaceId, taskId);
  return {
    taskId, campaignId: campaign.id, targeted, suppressed, deferred, queued, retrying, sent, delivered, failed, failedBeforeSend, clicked,
    converted: conv.converted, orders: conv.orders, revenue: conv.revenue, byVariant: await byVariant(p, workspaceId, task, campaign.conversion),
    runs: runs.map((r) => ({ id: r.id, status: r.status, scheduledFor: r.scheduledFor.toISOString(), startedAt: r.startedAt?.toISOString() ?? null, finishedAt: r.finishedAt?.toISOString() ?? null, targeted: r.targeted, batches: r.batchesTotal })),
  };
}

/**
 * Per variant and for the control group: targeted, sent, delivered, clicked (messages), then the
 * touched users (`users`: sent to, or held out as control), those who converted, the conversion
 * rate over them and, against the control group, the lift and its p-value (ab-lift.ts). A
 * control user counts as touched when the send was decided (created_at), so its conversion
 * rate is the baseline for lift.
 */
async function byVariant(p: Platform, workspaceId: string, task: Awaited<ReturnType<typeof campaigns.taskInfo>>, conversion: { event: string; windowDays: number }) {
  const variants = (task.variants ?? []) as Variant[];
  if (variants.length === 0 && task.controlPercent === 0) return [];
  const rows = new Map((await repo.variantCounts(p.db, workspaceId, task.id, conversion.event, conversion.windowDays)).map((r) => [r.variant ?? '', r]));
  const touched = (name: string) => ({ users: Number(rows.get(name)?.users ?? 0), converted: Number(rows.get(name)?.converted ?? 0) });
  const control = task.controlPercent > 0 ? touched('control') : null;
  const line = (name: string, templateId: string | null, weight: number | null) => {
    const r = rows.get(name);
    const group = touched(name);
    return {
      name, templateId, weight, targeted: Number(r?.n ?? 0), sent: Number(r?.sent ?? 0), delivered: Number(r?.delivered ?? 0), clicked: Number(r?.clicked ?? 0),
      ...group, ...liftAgainst(group, name === 'control' ? null : control),
    };
  };
  const out = variants.length ? variants.map((v) => line(v.name, v.templateId, v.weight)) : [line('', task.templateId, null)];
  if (control) out.push(line('control', null, null));
  return out;
}

export async function userMessages(p: Platform, workspaceId: string, externalId: string, limit: number, cursor?: string) {
  const userId = await customers.internalId(p.db, workspaceId, externalId);
  const rows = await repo.messagesOfUser(p.db, workspaceId, userId, limit, cursor);
  const items = rows.slice(0, limit);
  return { nextCursor: rows.length > limit ? items[items.length - 1]!.id : null, items: items.map(({ toAddress, ...m }) => ({ ...m, to: toAddress, createdAt: m.createdAt.toISOString(), sentAt: m.sentAt?.toISOString() ?? null, deliveredAt: m.deliveredAt?.toISOString() ?? null, firstClickedAt: m.firstClickedAt?.toISOString() ?? null })) };
}

