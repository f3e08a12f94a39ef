import { z } from 'zod';
import type { Platform } from '../platform/context.ts';
import type { Tx } from '../platform/db.ts';
import { copyTransaction } from '../platform/copy.ts';
import { AppError } from '../platform/errors.ts';
import * as campaigns from '../campaigns/campaigns.service.ts';
import * as segments from '../audiences/segments.service.ts';
import * as customers from '../customers/customers.service.ts';
import * as templates from '../templates/templates.service.ts';
import * as links from '../links/links.service.ts';
import { addressFor, type OutgoingMessage } from '../channels/providers.ts';
import * as channels from '../channels/channels.service.ts';
import * as policies from '../policies/policies.service.ts';
import type { TakeItem } from '../platform/counters/counters.port.ts';
import * as caps from './caps.ts';
import { quietUntil } from './quiet-hours.ts';
import { inControl, variantFor, type Variant } from './assignment.ts';
import * as repo from './delivery.repo.ts';
import { matchesWhere } from './trigger-where.ts';
import { grantTaskCoupon } from './coupon-grant.ts';
import { assertAllDecided, sendAndRecord, settleOutcomes, SEND_LEASE_MS, type PendingSend, type Second, type Settle } from './delivery.outcomes.ts';
import { registerEventHook, invalidateEventHooks, type IngestedEvent } from '../customers/event-hooks.ts';
import type { Definition, PropCondition } from '../audiences/definition.schema.ts';

/**
 * Delivery: a task run expands its audience snapshot into batches (one job each); a batch
 * renders, shortens links and sends. Each (run, user) has one message row, created with its
 * unique key, so a retried or crashed batch resumes without sending anyone twice.
 */

/** Creates a run for (task, time) and queues it, in the caller's transaction. Idempotent. */
export async function scheduleRun(p: Platform, tx: Tx, r: { workspaceId: string; taskId: string; campaignId: string; scheduledFor: Date; priority: number }): Promise<void> {
  const run = await repo.insertRunOrNull(tx, r);
  if (!run) return;
  await p.jobs.enqueue(tx, 'delivery.run', { runId: run.id }, { runAt: r.scheduledFor, jobKey: `run:${run.id}` });
}

export const hasScheduledRun = (tx: Tx, workspaceId: string, taskId: string) => repo.hasScheduledRun(tx, workspaceId, taskId);

export const hasStarted = (tx: Tx, workspaceId: string, campaignId: string) => repo.hasStartedRuns(tx, workspaceId, campaignId);

/** Resume re-queues what a pause left: runs not started and batches not sent. */
export async function resumeCampaign(p: Platform, tx: Tx, workspaceId: string, campaignId: string): Promise<void> {
  for (const run of await repo.runsOfCampaign(tx, workspaceId, campaignId, ['scheduled', 'sending', 'listening', 'done'])) {
    // Provider retries and trigger messages that fell due during the pause go now.
    await p.jobs.enqueue(tx, 'delivery.retry', { runId: run.id });
    if (run.status === 'listening') {
      await p.jobs.enqueue(tx, 'delivery.trigger', { runId: run.id });
      continue;
    }
    if (run.status === 'done') continue;
    if (run.status === 'scheduled') {
      await p.jobs.enqueue(tx, 'delivery.run', { runId: run.id }, { runAt: run.scheduledFor, jobKey: `run:${run.id}` });
      continue;
    }
    for (const b of await repo.pendingBatches(tx, workspaceId, run.id)) {
      await p.jobs.enqueue(tx, 'delivery.batch', { runId: run.id, batchNo: b.batchNo }, { jobKey: `batch:${run.id}:${b.batchNo}` });
    }
    // Deferred messages whose quiet hours ended during the pause go now (quiet again: deferred again).
    await p.jobs.enqueue(tx, 'delivery.deferred', { runId: run.id });
  }
}

/**
 * A campaign ended: its deferred, retrying and trigger messages still waiting are settled now
 * (suppressed `campaignEnded`, see settleEnded) instead of when their timers fire.
 */
export async function campaignEnded(p: Platform, tx: Tx, workspaceId: string, campaignId: string): Promise<void> {
  for (const run of await repo.runsOfCampaign(tx, workspaceId, campaignId, ['sending', 'listening', 'done'])) {
    await p.jobs.enqueue(tx, 'delivery.deferred', { runId: run.id });
    await p.jobs.enqueue(tx, 'delivery.retry', { runId: run.id });
    if (run.status === 'listening') await p.jobs.enqueue(tx, 'delivery.trigger', { runId: run.id });
  }
  invalidateEventHooks(workspaceId);
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
  if (!isLive(campaign, p.clock.now())) return; // paused: resume re-queues; ended or past endAt: nothing to do
  const task = await campaigns.taskInfo(p.db, head.workspaceId, head.taskId);
  if (!task.audience) return; // only trigger tasks go without an audience, and they have no scheduled runs
  // Computing a dynamic segment can take a while; it happens before the run row is locked.
  const snap = await segments.snapshotForRun(p, head.workspaceId, task.audience.segmentId);
  const ranges = await segments.memberRanges(p, head.workspaceId, snap.snapshotId, p.config.deliveryBatchSize);
  await p.db.transaction().execute(async (tx) => {
    const run = await repo.runForUpdate(tx, runId);
    if (!run || run.status !== 'scheduled') return;
    const now = p.clock.now();
    // A recurring task queues its next run as this one starts (campaigns owns the schedule).
    await campaigns.scheduleFollowingRun(p, tx, run.workspaceId, run.campaignId, run.taskId, new Date(Math.max(now.getTime(), run.scheduledFor.getTime())));
    await repo.insertBatches(tx, run.workspaceId, runId, ranges);
    await repo.setRun(tx, runId, {
      status: ranges.length ? 'sending' : 'done', snapshotId: snap.snapshotId, targeted: snap.count, batchesTotal: ranges.length,
      startedAt: now, ...(ranges.length ? {} : { finishedAt: now }),
    });
    await campaigns.markRunning(tx, run.workspaceId, run.campaignId, now);
    await campaigns.setTaskStatus(tx, run.workspaceId, run.taskId, ranges.length ? 'running' : 'completed', now);
    if (!ranges.length) await wakeLowerRuns(p, tx, run);
    for (let i = 0; i < ranges.length; i++) {
      await p.jobs.enqueue(tx, 'delivery.batch', { runId, batchNo: i }, { jobKey: `batch:${runId}:${i}` });
    }
  });
}

/** How long before a run's time a higher-priority run counts as "the same window" (docs/delivery.md "Priority"). */
export const PRIORITY_WINDOW_MS = 10 * 60_000;
/** A run held back by a higher-priority one looks again after this, if no wake-up came first. */
const PRIORITY_RECHECK_MS = 30_000;

type RunRow = NonNullable<Awaited<ReturnType<typeof repo.runById>>>;

/**
 * Whether a higher-priority run of the workspace, due within PRIORITY_WINDOW_MS of this one
 * and still open (scheduled, sending or holding deferred messages), must reach its users
 * first. Runs of campaigns that are not live (paused, ended) hold nobody back.
 */
async function heldBack(tx: Tx, run: RunRow, now: Date): Promise<boolean> {
  const blockers = await repo.higherPriorityOpenRuns(tx, run.workspaceId, run.id, run.priority, new Date(run.scheduledFor.getTime() + PRIORITY_WINDOW_MS));
  for (const campaignId of new Set(blockers.map((b) => b.campaignId))) {
    const c = await campaigns.campaignInfo(tx, run.workspaceId, campaignId);
    if (isLive(c, now)) return true;
  }
  return false;
}

/** A finished run lets the lower-priority runs it held back go on at once. */
async function wakeLowerRuns(p: Platform, tx: Tx, run: RunRow): Promise<void> {
  for (const r of await repo.lowerPriorityOpenRuns(tx, run.workspaceId, run.priority)) {
    for (const b of await repo.pendingBatches(tx, run.workspaceId, r.id)) {
      await p.jobs.enqueue(tx, 'delivery.batch', { runId: r.id, batchNo: b.batchNo });
    }
    if (r.deferred > 0) await p.jobs.enqueue(tx, 'delivery.deferred', { runId: r.id });
  }
}

const isLive = (campaign: { status: string; endAt: string }, now: Date) => live.has(campaign.status) && new Date(campaign.endAt) > now;
/** Ended, or past its endAt: what still waits will never be sent. */
const isOver = (campaign: { status: string; endAt: string }, now: Date) => campaign.status === 'ended' || new Date(campaign.endAt) <= now;

/**
 * Sends one batch in one transaction (sandbox: the send itself is part of it). Caps are taken
 * on the Counters port outside it; when the transaction does not commit, they are given back.
 */
async function sendBatch(p: Platform, runId: string, batchNo: number): Promise<void> {
  const taken: TakeItem[][] = [];
  let second: Second | null;
  try {
    // A batch's rows go in by COPY (platform/copy.ts): its transaction holds one connection of the pool.
    second = await copyTransaction(p.pool, async (tx): Promise<Second | null> => {
      const batch = await repo.batchForUpdate(tx, runId, batchNo);
      if (!batch || (batch.status !== 'pending' && batch.status !== 'sending')) return null;
      const run = await repo.runById(tx, runId);
      if (!run?.snapshotId) return null;
      const ws = run.workspaceId;
      const now = p.clock.now();
      const finish = async (t: Tx) => {
        await repo.finishBatch(t, runId, batchNo, now);
        await completeRunIfDone(p, t, run, now);
      };
      if (batch.status === 'sending') {
        // An earlier run of this job committed its sends and never wrote their outcomes.
        await repo.settleInterrupted(tx, ws, runId, now, { fromUserId: batch.fromUserId, toUserId: batch.toUserId });
        await finish(tx);
        return null;
      }
      const campaign = await campaigns.campaignInfo(tx, ws, run.campaignId);
      if (!isLive(campaign, now)) return null; // paused or past endAt: the batch stays pending
      if (await heldBack(tx, run, now)) {
        await p.jobs.enqueue(tx, 'delivery.batch', { runId, batchNo }, { runAt: new Date(now.getTime() + PRIORITY_RECHECK_MS) });
        return null;
      }
      const userIds = await segments.memberIdsInRange(tx, ws, run.snapshotId, batch.fromUserId, batch.toUserId);
      const task = await campaigns.taskInfo(tx, ws, run.taskId);
      // New messages: ids now, each row written once with its outcome at the end of deliver. The
      // batch row's lock makes this the only transaction writing the batch's (run, user) rows.
      const ids = await repo.allocateMessageIds(tx, userIds.length);
      const fresh = userIds.map((userId, i): Claimed => ({ id: ids[i]!, userId, isNew: true }));
      const pending = await deliver(p, tx, run, campaign, task, fresh, now, taken);
      if (!pending) {
        await finish(tx);
        return null;
      }
      await repo.markBatchSending(tx, runId, batchNo);
      return { pending, finish };
    });
  } catch (err) {
    await caps.giveBack(p.counters, taken);
    throw err;
  }
  if (second) await sendAndRecord(p, second);
}

/** Closes the run when nothing is pending or deferred: its task completes, lower runs wake. */
async function completeRunIfDone(p: Platform, tx: Tx, run: RunRow, now: Date): Promise<void> {
  if (!(await repo.finishRunIfDone(tx, run.id, now))) return;
  await campaigns.setTaskStatus(tx, run.workspaceId, run.taskId, 'completed', now);
  await wakeLowerRuns(p, tx, run);
}

/** Sends a run's messages deferred by quiet hours, checking every rule again (they may have changed). */
async function sendDeferred(p: Platform, runId: string): Promise<void> {
  const taken: TakeItem[][] = [];
  let pending: PendingSend | null;
  try {
    pending = await p.db.transaction().execute(async (tx) => {
      const run = await repo.runForUpdate(tx, runId);
      if (!run || run.deferred === 0) return null;
      const ws = run.workspaceId;
      const now = p.clock.now();
      const campaign = await campaigns.campaignInfo(tx, ws, run.campaignId);
      if (isOver(campaign, now)) {
        await repo.settleWaiting(tx, ws, runId, 'deferred', 'campaignEnded');
        await repo.recountDeferred(tx, runId);
        await completeRunIfDone(p, tx, run, now);
        return null;
      }
      if (!isLive(campaign, now)) return null; // paused: they stay deferred; resume re-queues them
      if (await heldBack(tx, run, now)) {
        await p.jobs.enqueue(tx, 'delivery.deferred', { runId }, { runAt: new Date(now.getTime() + PRIORITY_RECHECK_MS) });
        return null;
      }
      const task = await campaigns.taskInfo(tx, ws, run.taskId);
      const waiting = await repo.deferredMessages(tx, ws, runId);
      const pend = await deliver(p, tx, run, campaign, task, waiting, now, taken);
      await repo.recountDeferred(tx, runId);
      await completeRunIfDone(p, tx, run, now);
      return pend;
    });
  } catch (err) {
    await caps.giveBack(p.counters, taken);
    throw err;
  }
  if (pending) await sendAndRecord(p, { pending });
}

type CampaignInfo = Awaited<ReturnType<typeof campaigns.campaignInfo>>;
type TaskInfo = Awaited<ReturnType<typeof campaigns.taskInfo>>;

/**
 * The anti-disturbance checks and the send, for messages of one run that are queued or
 * deferred. The order of checks is part of the contract (docs/delivery.md):
 *   1. blacklisted   2. unsubscribed (this channel or all)   3. no address for the channel
 *   4. control group (hash of task and user)   5. frequency caps: task, channel, global (one takeMany)
 *   6. quiet hours: deferred to their end, not dropped.
 * The first that applies decides. In quiet hours the caps are not taken (nothing goes out);
 * they are judged when the deferred message is sent, so a message never holds cap room it
 * has not used. Caps count sends that went out: a render or provider failure gives them back.
 */
async function deliver(p: Platform, tx: Tx, run: RunRow, campaign: CampaignInfo, task: TaskInfo, queued: Claimed[], now: Date, taken: TakeItem[][]): Promise<PendingSend | null> {
  const ws = run.workspaceId;
  const updates: repo.MessageUpdate[] = [];
  if (queued.length === 0) return null;
  const variants = (task.variants ?? []) as Variant[];
  const policy = await policies.policyFor(tx, ws);
  // The versions the task launched with (docs/delivery.md "Template versions"); older tasks: the latest.
  const compiledOf = new Map<string, Awaited<ReturnType<typeof templates.compiledTemplate>>['compiled']>();
  for (const id of new Set([task.templateId, ...variants.map((v) => v.templateId)])) {
    compiledOf.set(id, (await templates.compiledTemplate(tx, ws, id, task.templateVersions?.[id] ?? null, { smsOptOut: policy.smsOptOut })).compiled);
  }
  const profiles = await customers.recipientsByIds(tx, ws, queued.map((q) => q.userId));
  const rules = await policies.suppressionsFor(tx, ws, [...profiles.values()].map((u) => u.externalId));
  const quietEnd = quietUntil(now, policy.quietHours, policy.timezone);
  const candidates: { q: Claimed; u: NonNullable<ReturnType<typeof profiles.get>>; to: string; variant: Variant | null }[] = [];
  let newlyDeferred = 0;
  for (const q of queued) {
    const u = profiles.get(q.userId);
    const suppress = (reason: string) => updates.push({ id: q.id, status: 'suppressed', reason, to: null });
    if (!u) { suppress('noAddress'); continue; }
    if (rules.isBlacklisted(u.externalId)) { suppress('blacklisted'); continue; }
    if (rules.isUnsubscribed(u.externalId, task.channel)) { suppress('unsubscribed'); continue; }
    const to = addressFor(task.channel, u);
    if (!to) { suppress('noAddress'); continue; }
    if (inControl(task.id, u.externalId, task.controlPercent)) {
      updates.push({ id: q.id, status: 'suppressed', reason: 'control', to: null, variant: 'control' });
      continue;
    }
    const variant = variants.length ? variantFor(task.id, u.externalId, variants) : null;
    if (quietEnd) {
      updates.push({ id: q.id, status: 'deferred', reason: null, to, variant: variant?.name ?? null });
      newlyDeferred++;
      continue;
    }
    candidates.push({ q, u, to, variant });
  }
  const capInput: caps.CapsInput = {
    workspaceId: ws, timezone: policy.timezone, channel: task.channel, taskId: task.id,
    task: (task.frequency as caps.Cap | null) ?? null, channelCap: policy.channels[task.channel] ?? null, global: policy.global,
  };
  const got = await caps.takeCaps(p.counters, capInput, candidates.map((c) => c.q), now);
  const capsOf = new Map<string, TakeItem[]>();
  const release = async (items: TakeItem[]) => { await caps.giveBack(p.counters, [items]); taken.splice(taken.indexOf(items), 1); };
  const outgoing: OutgoingMessage[] = [];
  const newLinks: links.MessageLink[] = [];
  const scopeCampaign = { id: campaign.id, name: campaign.name, goal: campaign.goal };
  const scopeTask = { id: task.id, name: task.name };
  const variantOf = new Map<string, string | null>();
  const couponOf = new Map<string, string>();
  for (const { q, u, to, variant } of candidates) {
    const items = got.get(q.id);
    variantOf.set(q.id, variant?.name ?? null);
    if (!items) { updates.push({ id: q.id, status: 'suppressed', reason: 'frequency', to: null, variant: variant?.name ?? null }); continue; }
    const compiled = compiledOf.get(variant?.templateId ?? task.templateId)!;
    taken.push(items);
    capsOf.set(q.id, items);
    // A task with a coupon grants it before rendering (one per message id: a retry gets the same
    // coupon back); a grant refused (stock, limits, budget) means no message: failed, caps given back.
    let coupon: Record<string, unknown> | undefined;
    if (task.couponTemplateId) {
      try {
        const c = await grantTaskCoupon(p, ws, task.couponTemplateId, q.userId, { runId: run.id, userId: q.userId, triggerEventId: q.triggerEventId ?? '0' });
        coupon = { code: c.code, validFrom: c.validFrom.toISOString(), validTo: c.validTo.toISOString() };
        couponOf.set(q.id, c.code);
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        updates.push({ id: q.id, variant: variant?.name ?? null, status: 'failed', reason: `coupon_${err.code}: ${err.message}`, to });
        await release(items);
        continue;
      }
    }
    try {
      const perMessage = new Map<string, string>();
      const rendered = compiled.render({ user: templates.userScope(u), campaign: scopeCampaign, task: scopeTask, ...(coupon ? { coupon } : {}) }, (url) => {
        let short = perMessage.get(url);
        if (!short) {
          const link = links.newLink(q.id, q.userId, url);
          newLinks.push(link);
          short = links.shortUrl(p, link.code);
          perMessage.set(url, short);
        }
        return short;
      });
      if (task.channel === 'push') rendered.platform = pushPlatformOf(rendered.platform, u.platform);
      outgoing.push({ messageId: q.id, workspaceId: ws, channel: task.channel, externalId: u.externalId, to, rendered, taskId: task.id, campaignId: campaign.id });
    } catch (err) {
      updates.push({ id: q.id, variant: variant?.name ?? null, status: 'failed', reason: `render_error: ${err instanceof Error ? err.message.split('\n')[0] : 'unknown'}`, to, couponCode: couponOf.get(q.id) ?? null });
      await release(items);
    }
  }
  await links.insertLinks(tx, { workspaceId: ws, campaignId: campaign.id, taskId: task.id, createdAt: now }, newLinks);
  // The workspace's provider chain for the channel (rate limit, fallback), or the sandbox.
  const provider = await channels.providerFor(tx, ws, task.channel);
  const userOf = new Map(queued.map((q) => [q.id, q.userId]));
  const fresh = new Set(queued.filter((q) => q.isNew).map((q) => q.id));
  const write = async (t: Tx, rows: repo.MessageUpdate[]) => {
    await repo.insertDecided(t, { workspaceId: ws, runId: run.id, taskId: task.id, campaignId: campaign.id, channel: task.channel, provider: provider.name, now },
      rows.filter((u) => fresh.has(u.id)).map((u) => ({ ...u, userId: userOf.get(u.id)! })));
    await repo.applyOutcomes(t, provider.name, fresh.size ? rows.filter((u) => !fresh.has(u.id)) : rows, now);
  };
  const settle: Settle = { p, run, campaign, task, policy, now, outgoing, userOf, attemptsOf: new Map(queued.map((q) => [q.id, q.attempts ?? 0])), variantOf, couponOf, capsOf, release };
  if (quietEnd && newlyDeferred > 0) {
    await repo.addDeferred(tx, run.id, newlyDeferred);
    await p.jobs.enqueue(tx, 'delivery.deferred', { runId: run.id }, { runAt: quietEnd, jobKey: `deferred:${run.id}:${quietEnd.toISOString()}` });
  }
  if (provider.transactional || outgoing.length === 0) {
    // The sandbox and the inbox write inside this transaction: a crash can never leave a message sent but unrecorded.
    const outcomes = outgoing.length ? await provider.send(tx, outgoing, now) : [];
    const after = await settleOutcomes(settle, outcomes);
    assertAllDecided(run, queued, fresh, [...updates, ...after.updates]);
    await write(tx, [...updates, ...after.updates]);
    await after.record(tx);
    return null;
  }
  // A provider outside the database (an SMS vendor, SMTP, a webhook): the messages are recorded
  // as `sending` and committed before the send, so a crash during or after it finds them and
  // never sends them again (settleInterrupted); their outcomes are written by a second
  // transaction (PendingSend.record). The lease is when an interrupted send is given up on.
  const lease = new Date(now.getTime() + SEND_LEASE_MS);
  const sending = outgoing.map((o): repo.MessageUpdate => ({ id: o.messageId, status: 'sending', reason: null, to: o.to, variant: variantOf.get(o.messageId) ?? null, couponCode: couponOf.get(o.messageId) ?? null, nextAttemptAt: lease }));
  assertAllDecided(run, queued, fresh, [...updates, ...sending]);
  await write(tx, [...updates, ...sending]);
  await p.jobs.enqueue(tx, 'delivery.retry', { runId: run.id }, { runAt: lease, jobKey: `lease:${run.id}:${lease.toISOString()}` });
  return {
    send: () => provider.send(p.db, outgoing, now),
    record: async (t, outcomes) => {
      const after = await settleOutcomes(settle, outcomes);
      // A row settled as interrupted meanwhile (its lease ran out) keeps that outcome, and gets no event.
      await after.record(t, await repo.applyOutcomes(t, provider.name, after.updates, now));
    },
  };
}

/**
 * A message to decide: a new one of a batch (`isNew`: its row is written once, by deliver) or
 * one waiting in the table (deferred, retrying, a trigger's queued message: its row is updated).
 */
type Claimed = { id: string; userId: string; attempts?: number; triggerEventId?: string; isNew?: true };

/** A push goes to the devices the template names (`both` by default), narrowed to the profile's platform when known. */
function pushPlatformOf(wanted: unknown, profilePlatform: string | null): string {
  const w = wanted === 'ios' || wanted === 'android' ? wanted : 'both';
  if (w === 'both' && (profilePlatform === 'ios' || profilePlatform === 'android')) return profilePlatform;
  return w;
}

/**
 * Messages whose provider failure may pass later, due now: every rule is checked again (the
 * user may have unsubscribed, the caps filled) and they are sent once more.
 */
async function sendRetries(p: Platform, runId: string): Promise<void> {
  const taken: TakeItem[][] = [];
  let pending: PendingSend | null;
  try {
    pending = await p.db.transaction().execute(async (tx) => {
      const run = await repo.runForUpdate(tx, runId);
      if (!run) return null;
      const now = p.clock.now();
      // Sends whose outcome never came back within their lease (deliver queues this job for then).
      await repo.settleInterrupted(tx, run.workspaceId, runId, now, { before: now });
      const campaign = await campaigns.campaignInfo(tx, run.workspaceId, run.campaignId);
      if (isOver(campaign, now)) { await repo.settleWaiting(tx, run.workspaceId, runId, 'retrying', 'campaignEnded'); return null; }
      if (!isLive(campaign, now)) return null; // paused: resume re-queues
      const due = await repo.dueMessages(tx, run.workspaceId, runId, 'retrying', now, 1000);
      if (due.length === 0) return null;
      const task = await campaigns.taskInfo(tx, run.workspaceId, run.taskId);
      const pend = await deliver(p, tx, run, campaign, task, due, now, taken);
      if (due.length === 1000) await p.jobs.enqueue(tx, 'delivery.retry', { runId });
      return pend;
    });
  } catch (err) {
    await caps.giveBack(p.counters, taken);
    throw err;
  }
  if (pending) await sendAndRecord(p, { pending });
}

// ---- trigger tasks ----

/** What "is this user in the task's audience now" evaluates: a definition live; a list (or SQL) segment by membership. */
async function audienceCheck(p: Platform, workspaceId: string, segmentId: string): Promise<Definition> {
  const seg = await segments.getSegment(p, workspaceId, segmentId);
  return seg.kind === 'list' ? { segment: segmentId } : (seg.definition as Definition);
}

/** The trigger run of a task: one per task, `listening` while its campaign is live. Idempotent. */
export async function openTriggerRun(p: Platform, tx: Tx, r: { workspaceId: string; taskId: string; campaignId: string; scheduledFor: Date; priority: number }): Promise<void> {
  await repo.insertListeningRun(tx, r);
  invalidateEventHooks(r.workspaceId);
}

/** Events older than this (after the delay) fire nothing: a backfill of old events must not message people. */
export const TRIGGER_MAX_AGE_MS = 24 * 3_600_000;

type TriggerSchedule = { type: 'trigger'; event: string; where?: PropCondition[]; delayMinutes?: number };

/**
 * The event hook of trigger tasks (contracts.md "Event hooks"): for each event and each live
 * trigger task of its name whose `where` it matches, one queued message keyed by (the task's
 * run, user, event id) — inserted in one statement, so a hook job that runs again creates
 * nothing twice — and a send job at the event time plus the delay.
 */
export const triggerHook = {
  name: 'delivery.triggers',
  async wants(p: Platform, workspaceId: string): Promise<ReadonlySet<string>> {
    return new Set((await campaigns.liveTriggerTasks(p.db, workspaceId)).map((t) => (t.schedule as TriggerSchedule).event));
  },
  async handle(p: Platform, events: IngestedEvent[]): Promise<void> {
    const ws = events[0]!.workspaceId;
    await p.db.transaction().execute(async (tx) => {
      const now = p.clock.now();
      const tasks = await campaigns.liveTriggerTasks(tx, ws);
      if (tasks.length === 0) return;
      const tz = (await policies.policyFor(tx, ws)).timezone;
      for (const task of tasks) {
        const s = task.schedule as TriggerSchedule;
        const delayMs = (s.delayMinutes ?? 0) * 60_000;
        const fires = events
          .filter((e) => e.name === s.event && e.ts.getTime() + delayMs > now.getTime() - TRIGGER_MAX_AGE_MS && matchesWhere(s.where, e.properties, tz, now))
          .map((e) => ({ eventId: e.id, userId: e.userId, at: new Date(Math.max(now.getTime(), e.ts.getTime() + delayMs)) }));
        if (fires.length === 0) continue;
        const run = await repo.listeningRunOf(tx, ws, task.id);
        if (!run) continue;
        const created = await repo.insertTriggerMessages(tx, { workspaceId: ws, runId: run.id, taskId: task.id, campaignId: task.campaignId, channel: task.channel, now }, fires);
        for (const at of new Set(created.map((c) => new Date(c.nextAttemptAt!).getTime()))) {
          // Due now: no run_at, so it runs at once (and a drain in tests sees it as due).
          await p.jobs.enqueue(tx, 'delivery.trigger', { runId: run.id }, at > now.getTime() ? { runAt: new Date(at), jobKey: `trigger:${run.id}:${at}` } : {});
        }
      }
    });
  },
};

/**
 * Sends a trigger run's messages that are due: the task's audience segment (if any) is checked
 * for each user now, then every anti-disturbance rule, as for any batch. Paused: they wait for
 * resume; ended: suppressed `campaignEnded`.
 */
async function sendTriggered(p: Platform, runId: string): Promise<void> {
  const taken: TakeItem[][] = [];
  let pending: PendingSend | null;
  try {
    pending = await p.db.transaction().execute(async (tx) => {
      const run = await repo.runForUpdate(tx, runId);
      if (!run || run.status !== 'listening') return null;
      const ws = run.workspaceId;
      const now = p.clock.now();
      const campaign = await campaigns.campaignInfo(tx, ws, run.campaignId);
      if (isOver(campaign, now)) { await repo.settleWaiting(tx, ws, runId, 'queued', 'campaignEnded'); return null; }
      if (!isLive(campaign, now)) return null;
      const due = await repo.dueMessages(tx, ws, runId, 'queued', now, 500);
      if (due.length === 0) return null;
      const task = await campaigns.taskInfo(tx, ws, run.taskId);
      const inAudience: Claimed[] = [];
      const outside: repo.MessageUpdate[] = [];
      const definition = task.audience ? await audienceCheck(p, ws, task.audience.segmentId) : null;
      for (const m of due) {
        if (!definition || (await segments.userInDefinition(p, ws, m.userId, definition))) inAudience.push(m);
        else outside.push({ id: m.id, status: 'suppressed', reason: 'notInAudience', to: null });
      }
      await repo.applyOutcomes(tx, 'none', outside, now);
      await repo.addTargeted(tx, runId, due.length);
      await campaigns.markRunning(tx, ws, run.campaignId, now);
      const pend = await deliver(p, tx, run, campaign, task, inAudience, now, taken);
      if (due.length === 500) await p.jobs.enqueue(tx, 'delivery.trigger', { runId });
      return pend;
    });
  } catch (err) {
    await caps.giveBack(p.counters, taken);
    throw err;
  }
  if (pending) await sendAndRecord(p, { pending });
}

export { recordReceipt, isInvalidTokenReason } from './delivery.receipts.ts';
export { taskReport, userMessages } from './delivery.reports.ts';

const runPayload = z.object({ runId: z.string() });
const batchPayload = z.object({ runId: z.string(), batchNo: z.number().int().min(0) });
const endPayload = z.object({ workspaceId: z.string(), campaignId: z.string() });

export function registerDeliveryJobs(p: Platform): void {
  p.jobs.define({ name: 'delivery.run', payload: runPayload, handle: ({ runId }) => expandRun(p, runId) });
  p.jobs.define({ name: 'delivery.batch', payload: batchPayload, handle: ({ runId, batchNo }) => sendBatch(p, runId, batchNo) });
  p.jobs.define({ name: 'delivery.deferred', payload: runPayload, handle: ({ runId }) => sendDeferred(p, runId) });
  p.jobs.define({ name: 'delivery.retry', payload: runPayload, handle: ({ runId }) => sendRetries(p, runId) });
  p.jobs.define({ name: 'delivery.trigger', payload: runPayload, handle: ({ runId }) => sendTriggered(p, runId) });
  registerEventHook(triggerHook);
  p.jobs.define({ name: 'campaigns.end', payload: endPayload, handle: ({ workspaceId, campaignId }) => campaigns.endIfDue(p, workspaceId, campaignId) });
}
