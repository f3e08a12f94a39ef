import type { Platform } from '../platform/context.ts';
import type { Tx } from '../platform/db.ts';
import { AppError } from '../platform/errors.ts';
import type { TakeItem } from '../platform/counters/counters.port.ts';
import type { OutgoingMessage, SendOutcome } from '../channels/providers.ts';
import * as campaigns from '../campaigns/campaigns.service.ts';
import * as customers from '../customers/customers.service.ts';
import * as policies from '../policies/policies.service.ts';
import * as repo from './delivery.repo.ts';

/** What a send's outcomes do to its messages, and the second half of a send to a provider outside the database. */

type RunRow = NonNullable<Awaited<ReturnType<typeof repo.runById>>>;
type CampaignInfo = Awaited<ReturnType<typeof campaigns.campaignInfo>>;
type TaskInfo = Awaited<ReturnType<typeof campaigns.taskInfo>>;

/**
 * How long a message may stay `sending` (its provider call in flight) before it counts as
 * interrupted: longer than a batch of a thousand takes at a slow provider's rate limit.
 */
export const SEND_LEASE_MS = 60 * 60_000;

/** The second half of a send to a provider outside the database (deliver). */
export interface PendingSend {
  send(): Promise<SendOutcome[]>;
  record(tx: Tx, outcomes: SendOutcome[]): Promise<void>;
}

export interface Settle {
  p: Platform;
  run: RunRow;
  campaign: CampaignInfo;
  task: TaskInfo;
  policy: Awaited<ReturnType<typeof policies.policyFor>>;
  now: Date;
  outgoing: OutgoingMessage[];
  userOf: Map<string, string>;
  attemptsOf: Map<string, number>;
  variantOf: Map<string, string | null>;
  couponOf: Map<string, string>;
  capsOf: Map<string, TakeItem[]>;
  release(items: TakeItem[]): Promise<void>;
}

/**
 * What the provider's outcomes mean for each message: sent or delivered (with their events), or
 * a failure — its caps given back, tried again with exponential backoff while it may pass, else
 * failed with the reason. `record` writes the events and the next retry's job.
 */
export async function settleOutcomes(s: Settle, outcomes: SendOutcome[]) {
  const updates: repo.MessageUpdate[] = [];
  const byId = new Map(s.outgoing.map((o) => [o.messageId, o]));
  const events: (Parameters<typeof customers.recordMessageEvents>[3][number] & { messageId: string })[] = [];
  let nextRetry: Date | null = null;
  for (const o of outcomes) {
    const m = byId.get(o.messageId)!;
    const userId = s.userOf.get(o.messageId)!;
    const base = { id: o.messageId, to: m.to, variant: s.variantOf.get(o.messageId) ?? null, couponCode: s.couponOf.get(o.messageId) ?? null };
    const props = { messageId: o.messageId, taskId: s.task.id, campaignId: s.campaign.id, channel: s.task.channel };
    if (o.status !== 'failed') {
      updates.push({ ...base, status: o.status, reason: null });
      events.push({ messageId: o.messageId, userId, name: '$message_sent', properties: props });
      if (o.status === 'delivered') events.push({ messageId: o.messageId, userId, name: '$message_delivered', properties: props });
      continue;
    }
    const items = s.capsOf.get(o.messageId);
    if (items) await s.release(items); // nothing went out: the caps are free again (a retry takes them anew)
    // A failure that may pass later is tried again with exponential backoff, up to maxAttempts in all.
    const attempt = (s.attemptsOf.get(o.messageId) ?? 0) + 1;
    if (o.retryable && attempt < s.policy.retries.maxAttempts) {
      const at = new Date(s.now.getTime() + s.policy.retries.delaySeconds * 1000 * 2 ** (attempt - 1));
      updates.push({ ...base, status: 'retrying', reason: o.reason, nextAttemptAt: at });
      if (!nextRetry || at < nextRetry) nextRetry = at;
      continue;
    }
    updates.push({ ...base, status: 'failed', reason: attempt > 1 ? `${o.reason} (attempt ${attempt} of ${s.policy.retries.maxAttempts})` : o.reason });
    events.push({ messageId: o.messageId, userId, name: '$message_failed', properties: { ...props, reason: o.reason } });
  }
  return {
    updates,
    /** `written`: the messages whose outcome was written; events only for those (all when absent). */
    record: async (tx: Tx, written?: Set<string>) => {
      await customers.recordMessageEvents(tx, s.run.workspaceId, s.now, written ? events.filter((e) => written.has(e.messageId)) : events);
      if (nextRetry) await s.p.jobs.enqueue(tx, 'delivery.retry', { runId: s.run.id }, { runAt: nextRetry, jobKey: `retry:${s.run.id}:${nextRetry.toISOString()}` });
    },
  };
}

/** A new message without an outcome would never be written: refuse the batch instead (it rolls back and retries). */
export function assertAllDecided(run: RunRow, queued: readonly { id: string }[], fresh: Set<string>, rows: repo.MessageUpdate[]): void {
  if (fresh.size && rows.filter((u) => fresh.has(u.id)).length !== fresh.size) throw new AppError('internal_error', `A batch of run ${run.id} decided ${rows.length} of ${queued.length} messages.`);
}

/** The rest of a step whose provider is outside the database: the send, then its outcomes and `finish` in a second transaction. */
export interface Second {
  pending: PendingSend;
  finish?: (tx: Tx) => Promise<void>;
}

/**
 * The send happens outside any transaction, after the `sending` rows committed; a failure from
 * here on leaves them `sending`, and settleInterrupted marks them failed instead of sending them again.
 */
export async function sendAndRecord(p: Platform, second: Second): Promise<void> {
  const outcomes = await second.pending.send();
  await p.db.transaction().execute(async (tx) => {
    await second.pending.record(tx, outcomes);
    await second.finish?.(tx);
  });
}

