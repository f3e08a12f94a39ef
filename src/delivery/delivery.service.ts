import { z } from 'zod';
import type { Platform } from '../platform/context.ts';
import type { Tx } from '../platform/db.ts';
import { AppError, notFound } from '../platform/errors.ts';
import * as campaigns from '../campaigns/campaigns.service.ts';
import * as segments from '../audiences/segments.service.ts';
import * as customers from '../customers/customers.service.ts';
import * as templates from '../templates/templates.service.ts';
import * as links from '../links/links.service.ts';
import { addressFor, type OutgoingMessage, type Provider } from '../channels/providers.ts';
import { sandboxProvider } from '../channels/sandbox/sandbox.provider.ts';
import type { Channel } from '../channels/channels.schema.ts';
import * as repo from './delivery.repo.ts';

/**
 * Delivery: a task run expands its audience snapshot into batches (one job each); a batch
 * renders, shortens links and sends. Each (run, user) has one message row, created with its
 * unique key, so a retried or crashed batch resumes without sending anyone twice.
 */

const providerFor = (_workspaceId: string, _channel: Channel): Provider => sandboxProvider;

/** Creates a run for (task, time) and queues it, in the caller's transaction. Idempotent. */
export async function scheduleRun(p: Platform, tx: Tx, r: { workspaceId: string; taskId: string; campaignId: string; scheduledFor: Date }): Promise<void> {
  const run = await repo.insertRunOrNull(tx, r);
  if (!run) return;
  await p.jobs.enqueue(tx, 'delivery.run', { runId: run.id }, { runAt: r.scheduledFor, jobKey: `run:${run.id}` });
}

export const hasStarted = (tx: Tx, workspaceId: string, campaignId: string) => repo.hasStartedRuns(tx, workspaceId, campaignId);

/** Resume re-queues what a pause left: runs not started and batches not sent. */
export async function resumeCampaign(p: Platform, tx: Tx, workspaceId: string, campaignId: string): Promise<void> {
  for (const run of await repo.runsOfCampaign(tx, workspaceId, campaignId, ['scheduled', 'sending'])) {
    if (run.status === 'scheduled') {
      await p.jobs.enqueue(tx, 'delivery.run', { runId: run.id }, { runAt: run.scheduledFor, jobKey: `run:${run.id}` });
      continue;
    }
    for (const b of await repo.pendingBatches(tx, workspaceId, run.id)) {
      await p.jobs.enqueue(tx, 'delivery.batch', { runId: run.id, batchNo: b.batchNo }, { jobKey: `batch:${run.id}:${b.batchNo}` });
    }
  }
}

export async function scheduleCampaignEnd(p: Platform, tx: Tx, workspaceId: string, campaignId: string, endAt: Date): Promise<void> {
  await p.jobs.enqueue(tx, 'campaigns.end', { workspaceId, campaignId }, { runAt: endAt, jobKey: `campaign-end:${campaignId}` });
}

const live = new Set(['approved', 'running']);

/** Expands a run: snapshot → ranges of user ids → one batch job each. */
async function expandRun(p: Platform, runId: string): Promise<void> {
  const head = await p.db.selectFrom('taskRuns').select(['workspaceId', 'taskId', 'campaignId', 'status']).where('id', '=', runId).executeTakeFirst();
  if (!head || head.status !== 'scheduled') return;
  const campaign = await campaigns.campaignInfo(p.db, head.workspaceId, head.campaignId);
  if (!live.has(campaign.status)) return; // paused: resume re-queues; ended: nothing to do
  const task = await campaigns.taskInfo(p.db, head.workspaceId, head.taskId);
  // Computing a dynamic segment can take a while; it happens before the run row is locked.
  const snap = await segments.snapshotForRun(p, head.workspaceId, task.audience.segmentId);
  const ranges = await segments.memberRanges(p, head.workspaceId, snap.snapshotId, p.config.deliveryBatchSize);
  await p.db.transaction().execute(async (tx) => {
    const run = await repo.runForUpdate(tx, runId);
    if (!run || run.status !== 'scheduled') return;
    const now = p.clock.now();
    await repo.insertBatches(tx, run.workspaceId, runId, ranges);
    await repo.setRun(tx, runId, {
      status: ranges.length ? 'sending' : 'done', snapshotId: snap.snapshotId, targeted: snap.count, batchesTotal: ranges.length,
      startedAt: now, ...(ranges.length ? {} : { finishedAt: now }),
    });
    await campaigns.markRunning(tx, run.workspaceId, run.campaignId, now);
    await campaigns.setTaskStatus(tx, run.workspaceId, run.taskId, ranges.length ? 'running' : 'completed', now);
    for (let i = 0; i < ranges.length; i++) {
      await p.jobs.enqueue(tx, 'delivery.batch', { runId, batchNo: i }, { jobKey: `batch:${runId}:${i}` });
    }
  });
}

/** Sends one batch in one transaction (sandbox: the send itself is part of it). */
async function sendBatch(p: Platform, runId: string, batchNo: number): Promise<void> {
  await p.db.transaction().execute(async (tx) => {
    const batch = await repo.batchForUpdate(tx, runId, batchNo);
    if (!batch || batch.status !== 'pending') return;
    const run = await repo.runById(tx, runId);
    if (!run?.snapshotId) return;
    const ws = run.workspaceId;
    const now = p.clock.now();
    const campaign = await campaigns.campaignInfo(tx, ws, run.campaignId);
    if (!live.has(campaign.status)) return; // paused or ended: the batch stays pending
    const task = await campaigns.taskInfo(tx, ws, run.taskId);
    const { compiled } = await templates.compiledTemplate(tx, ws, task.templateId);
    const userIds = await segments.memberIdsInRange(tx, ws, run.snapshotId, batch.fromUserId, batch.toUserId);
    const queued = userIds.length ? await repo.claimMessages(tx, { workspaceId: ws, runId, taskId: task.id, campaignId: campaign.id, channel: task.channel, userIds, now }) : [];
    const profiles = await customers.profilesByIds(tx, ws, queued.map((q) => q.userId));
    const updates: repo.MessageUpdate[] = [];
    const outgoing: OutgoingMessage[] = [];
    const newLinks: links.NewLink[] = [];
    const scopeCampaign = { id: campaign.id, name: campaign.name, goal: campaign.goal };
    const scopeTask = { id: task.id, name: task.name };
    for (const q of queued) {
      const u = profiles.get(q.userId);
      const to = u ? addressFor(task.channel, u) : null;
      if (!u || !to) {
        updates.push({ id: q.id, status: 'suppressed', reason: 'noAddress', to: null });
        continue;
      }
      try {
        const perMessage = new Map<string, string>();
        const rendered = compiled.render({ user: templates.userScope(u), campaign: scopeCampaign, task: scopeTask }, (url) => {
          let short = perMessage.get(url);
          if (!short) {
            const link = links.newLink({ workspaceId: ws, messageId: q.id, campaignId: campaign.id, taskId: task.id, userId: q.userId, url, now });
            newLinks.push(link);
            short = links.shortUrl(p, link.code);
            perMessage.set(url, short);
          }
          return short;
        });
        outgoing.push({ messageId: q.id, workspaceId: ws, channel: task.channel, externalId: u.externalId, to, rendered, taskId: task.id, campaignId: campaign.id });
      } catch (err) {
        updates.push({ id: q.id, status: 'failed', reason: `render_error: ${err instanceof Error ? err.message.split('\n')[0] : 'unknown'}`, to });
      }
    }
    await links.insertLinks(tx, newLinks);
    const provider = providerFor(ws, task.channel);
    const outcomes = outgoing.length ? await provider.send(tx, outgoing, now) : [];
    const byId = new Map(outgoing.map((o) => [o.messageId, o]));
    const userOf = new Map(queued.map((q) => [q.id, q.userId]));
    const platformEvents: Parameters<typeof customers.recordPlatformEvents>[2] = [];
    for (const o of outcomes) {
      const m = byId.get(o.messageId)!;
      const userId = userOf.get(o.messageId)!;
      updates.push({ id: o.messageId, status: o.status, reason: o.status === 'failed' ? o.reason : null, to: m.to });
      const props = { messageId: o.messageId, taskId: task.id, campaignId: campaign.id, channel: task.channel };
      if (o.status !== 'failed') platformEvents.push({ userId, name: '$message_sent', ts: now, properties: props, messageId: `sent:${o.messageId}` });
      if (o.status === 'delivered') platformEvents.push({ userId, name: '$message_delivered', ts: now, properties: props, messageId: `dlv:${o.messageId}` });
      if (o.status === 'failed') platformEvents.push({ userId, name: '$message_failed', ts: now, properties: { ...props, reason: o.reason }, messageId: `fail:${o.messageId}` });
    }
    await repo.applyOutcomes(tx, provider.name, updates, now);
    await customers.recordPlatformEvents(tx, ws, platformEvents);
    await repo.finishBatch(tx, runId, batchNo, now);
    if (await repo.finishRunIfDone(tx, runId, now)) await campaigns.setTaskStatus(tx, ws, task.id, 'completed', now);
  });
}

/** A provider's delivery receipt for one message. Throws `not_found`. */
export async function recordReceipt(p: Platform, workspaceId: string, messageId: string, status: 'delivered' | 'failed', reason?: string): Promise<void> {
  await p.db.transaction().execute(async (tx) => {
    const m = await repo.messageById(tx, workspaceId, messageId);
    if (!m) throw notFound('Message');
    if (m.status === 'queued' || m.status === 'suppressed') throw new AppError('invalid_state', `Message ${messageId} was not sent.`);
    const now = p.clock.now();
    await repo.setReceipt(tx, workspaceId, messageId, status, now, reason ?? null);
    const props = { messageId, taskId: m.taskId, campaignId: m.campaignId, channel: m.channel };
    await customers.recordPlatformEvents(tx, workspaceId, [
      status === 'delivered'
        ? { userId: m.userId, name: '$message_delivered', ts: now, properties: props, messageId: `dlv:${messageId}` }
        : { userId: m.userId, name: '$message_failed', ts: now, properties: { ...props, reason: reason ?? 'provider receipt' }, messageId: `fail:${messageId}` },
    ]);
  });
}

/** Totals over all runs of a task; every targeted user is in exactly one bucket. Throws `not_found`. */
export async function taskReport(p: Platform, workspaceId: string, taskId: string) {
  const task = await campaigns.taskInfo(p.db, workspaceId, taskId);
  const campaign = await campaigns.campaignInfo(p.db, workspaceId, task.campaignId);
  const rows = await repo.taskCounts(p.db, workspaceId, taskId);
  const suppressed: { frequency: number; unsubscribed: number; blacklisted: number; noAddress: number; control: number; [reason: string]: number } = { frequency: 0, unsubscribed: 0, blacklisted: 0, noAddress: 0, control: 0 };
  let targeted = 0, deferred = 0, sent = 0, delivered = 0, failed = 0, failedBeforeSend = 0, clicked = 0, queued = 0;
  for (const r of rows) {
    const n = Number(r.n);
    targeted += n;
    delivered += Number(r.delivered);
    clicked += Number(r.clicked);
    if (r.status === 'suppressed') suppressed[r.reason ?? 'other'] = (suppressed[r.reason ?? 'other'] ?? 0) + n;
    else if (r.status === 'deferred') deferred += n;
    else if (r.status === 'queued') queued += n;
    else if (r.status === 'sent' || r.status === 'delivered') sent += n;
    else if (r.status === 'failed') failed += n;
  }
  const failedSent = await repo.failedAfterSend(p.db, workspaceId, taskId);
  failedBeforeSend = failed - failedSent;
  sent += failedSent; // a message that was sent and later failed its receipt still went out
  const conv = await repo.taskConversions(p.db, workspaceId, taskId, campaign.conversion.event, campaign.conversion.windowDays);
  const runs = await repo.runsOfTask(p.db, workspaceId, taskId);
  return {
    taskId, campaignId: campaign.id, targeted, suppressed, deferred, queued, sent, delivered, failed, failedBeforeSend, clicked,
    converted: conv.converted, orders: conv.orders, revenue: conv.revenue, byVariant: [],
    runs: runs.map((r) => ({ id: r.id, status: r.status, scheduledFor: r.scheduledFor.toISOString(), startedAt: r.startedAt?.toISOString() ?? null, finishedAt: r.finishedAt?.toISOString() ?? null, targeted: r.targeted, batches: r.batchesTotal })),
  };
}

export async function userMessages(p: Platform, workspaceId: string, externalId: string, limit: number, cursor?: string) {
  const userId = await customers.internalId(p.db, workspaceId, externalId);
  const rows = await repo.messagesOfUser(p.db, workspaceId, userId, limit, cursor);
  const items = rows.slice(0, limit);
  return { nextCursor: rows.length > limit ? items[items.length - 1]!.id : null, items: items.map(({ toAddress, ...m }) => ({ ...m, to: toAddress, createdAt: m.createdAt.toISOString(), sentAt: m.sentAt?.toISOString() ?? null, deliveredAt: m.deliveredAt?.toISOString() ?? null, firstClickedAt: m.firstClickedAt?.toISOString() ?? null })) };
}

const runPayload = z.object({ runId: z.string() });
const batchPayload = z.object({ runId: z.string(), batchNo: z.number().int().min(0) });
const endPayload = z.object({ workspaceId: z.string(), campaignId: z.string() });

export function registerDeliveryJobs(p: Platform): void {
  p.jobs.define({ name: 'delivery.run', payload: runPayload, handle: ({ runId }) => expandRun(p, runId) });
  p.jobs.define({ name: 'delivery.batch', payload: batchPayload, handle: ({ runId, batchNo }) => sendBatch(p, runId, batchNo) });
  p.jobs.define({ name: 'campaigns.end', payload: endPayload, handle: ({ workspaceId, campaignId }) => campaigns.endIfDue(p, workspaceId, campaignId) });
}
