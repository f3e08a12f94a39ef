import { sql } from 'kysely';
import type { Tx } from '../platform/db.ts';
import { toJsonb } from '../platform/text.ts';
import { copyField, copyRows } from '../platform/copy.ts';

/** SQL for task runs, their batches and messages. */

export const runForUpdate = (tx: Tx, runId: string) =>
  tx.selectFrom('taskRuns').selectAll().where('id', '=', runId).forUpdate().executeTakeFirst();

export const runById = (tx: Tx, runId: string) => tx.selectFrom('taskRuns').selectAll().where('id', '=', runId).executeTakeFirst();

/** One run per (task, scheduled time): a repeated launch finds the existing run and returns null. */
export const insertRunOrNull = (tx: Tx, r: { workspaceId: string; taskId: string; campaignId: string; scheduledFor: Date; priority: number }) =>
  tx.insertInto('taskRuns').values({ ...r, status: 'scheduled' }).onConflict((oc) => oc.columns(['taskId', 'scheduledFor']).doNothing()).returning('id').executeTakeFirst();

export const setRun = (tx: Tx, runId: string, set: { status: string; snapshotId?: string; targeted?: number; batchesTotal?: number; startedAt?: Date; finishedAt?: Date; error?: string | null }) =>
  tx.updateTable('taskRuns').set(set).where('id', '=', runId).execute();

export async function insertBatches(tx: Tx, workspaceId: string, runId: string, ranges: { from: string; to: string; n: number }[]): Promise<void> {
  if (ranges.length === 0) return;
  await sql`insert into task_run_batches (workspace_id, task_run_id, batch_no, from_user_id, to_user_id, size, status)
    select ${workspaceId}, ${runId}::bigint, b, f, t, n, 'pending'
    from unnest(${ranges.map((_, i) => i)}::int[], ${ranges.map((r) => r.from)}::bigint[], ${ranges.map((r) => r.to)}::bigint[], ${ranges.map((r) => r.n)}::int[]) as x(b, f, t, n)
    on conflict do nothing`.execute(tx);
}

export const batchForUpdate = (tx: Tx, runId: string, batchNo: number) =>
  tx.selectFrom('taskRunBatches').selectAll().where('taskRunId', '=', runId).where('batchNo', '=', batchNo).forUpdate().executeTakeFirst();

export const finishBatch = (tx: Tx, runId: string, batchNo: number, now: Date) =>
  tx.updateTable('taskRunBatches').set((eb) => ({ status: 'done', finishedAt: now, attempts: eb('attempts', '+', 1) }))
    .where('taskRunId', '=', runId).where('batchNo', '=', batchNo).execute();

export const pendingBatches = (tx: Tx, workspaceId: string, runId: string) =>
  tx.selectFrom('taskRunBatches').select(['batchNo']).where('workspaceId', '=', workspaceId).where('taskRunId', '=', runId).where('status', '=', 'pending').execute();

/**
 * Closes the run once no batch is pending. Batches of one run commit in parallel, so each
 * takes the run's row lock first: the check then runs after every other batch that got there
 * earlier has committed (READ COMMITTED re-reads), and the last batch always sees zero pending.
 */
export const finishRunIfDone = async (tx: Tx, runId: string, now: Date): Promise<boolean> => {
  await runForUpdate(tx, runId);
  return finishRunIfNoPending(tx, runId, now);
};

const finishRunIfNoPending = async (tx: Tx, runId: string, now: Date): Promise<boolean> =>
  Number((await sql`update task_runs set status = 'done', finished_at = ${now}
      where id = ${runId}::bigint and status = 'sending' and deferred = 0
        and not exists (select 1 from task_run_batches where task_run_id = ${runId}::bigint and status in ('pending', 'sending'))`.execute(tx)).numAffectedRows ?? 0) > 0;

export const runsOfCampaign = (tx: Tx, workspaceId: string, campaignId: string, statuses: string[]) =>
  tx.selectFrom('taskRuns').select(['id', 'status', 'scheduledFor']).where('workspaceId', '=', workspaceId).where('campaignId', '=', campaignId)
    .where('status', 'in', statuses).execute();

export interface MessageUpdate {
  id: string;
  /** `sending`: handed to a provider outside the database, its outcome not written yet (deliver, two phases). */
  status: 'sent' | 'delivered' | 'failed' | 'suppressed' | 'deferred' | 'retrying' | 'sending';
  reason: string | null;
  to: string | null;
  /** The A/B variant (or 'control'); absent keeps what the row has. */
  variant?: string | null;
  /** `retrying`: when the next attempt is due. */
  nextAttemptAt?: Date | null;
  /** The coupon granted for this message (tasks with couponTemplateId). */
  couponCode?: string | null;
}

/**
 * Ids for a batch's new messages, taken from the table's identity sequence before the rows are
 * written: the short links, the outbox and the events of a message name it, and the message row
 * itself is written once, with its outcome (insertDecided), instead of claimed and then updated.
 */
export async function allocateMessageIds(tx: Tx, n: number): Promise<string[]> {
  if (n === 0) return [];
  const r = await sql<{ ids: string[] }>`select array_agg(nextval(pg_get_serial_sequence('messages', 'id')))::text[] as ids from generate_series(1, ${n}::int)`.execute(tx);
  return r.rows[0]!.ids;
}

/** Whether an outcome counts as an attempt at the provider (applyOutcomes' rule, for a row written once). */
export const countsAsAttempt = (u: Pick<MessageUpdate, 'status' | 'reason'>): boolean =>
  u.status === 'sent' || u.status === 'delivered' || u.status === 'retrying'
  || (u.status === 'failed' && u.reason !== null && !u.reason.startsWith('render_error:') && !u.reason.startsWith('coupon_'));

/**
 * A batch's new messages, each written once with its outcome: the rows travel as one JSON
 * document (the run's fields once, as parameters). Plain INSERT: the batch's transaction holds
 * its batch row, so a (run, user) row cannot exist yet; were one there, the unique key fails
 * the batch rather than send twice.
 */
export async function insertDecided(tx: Tx, m: { workspaceId: string; runId: string; taskId: string; campaignId: string; channel: string; provider: string; now: Date }, rows: (MessageUpdate & { userId: string })[]): Promise<void> {
  if (rows.length === 0) return;
  // COPY when the batch's transaction allows it (the same columns and values as the INSERT below).
  const now = m.now.toISOString();
  const run = `\t${copyField(m.workspaceId)}\t${m.runId}\t${copyField(m.taskId)}\t${copyField(m.campaignId)}\t`;
  const channel = copyField(m.channel);
  const provider = copyField(m.provider);
  let text = '';
  for (const r of rows) {
    const out = r.status === 'sent' || r.status === 'delivered';
    text += `${r.id}${run}${r.userId}\t${channel}\t${r.status}\t${copyField(r.reason)}\t${copyField(r.to)}\t${copyField(r.variant)}\t${r.status === 'suppressed' || r.status === 'deferred' ? '\\N' : provider}\t${now}\t${out ? now : '\\N'}\t${r.status === 'delivered' ? now : '\\N'}\t${r.status === 'failed' ? now : '\\N'}\t${countsAsAttempt(r) ? 1 : 0}\t${r.nextAttemptAt ? r.nextAttemptAt.toISOString() : '\\N'}\t${copyField(r.couponCode)}\n`;
  }
  if (await copyRows(tx, `copy messages (id, workspace_id, task_run_id, task_id, campaign_id, user_id, channel, status, reason, to_address, variant, provider,
      created_at, sent_at, delivered_at, failed_at, attempts, next_attempt_at, coupon_code) from stdin`, text)) return;
  const doc = toJsonb(rows.map((r) => ({
    i: r.id, u: r.userId, s: r.status, r: r.reason, t: r.to, v: r.variant ?? null, n: r.nextAttemptAt ?? null, c: r.couponCode ?? null, a: countsAsAttempt(r) ? 1 : 0,
  })));
  await sql`insert into messages (id, workspace_id, task_run_id, task_id, campaign_id, user_id, channel, status, reason, to_address, variant, provider,
      created_at, sent_at, delivered_at, failed_at, attempts, next_attempt_at, coupon_code)
    overriding system value
    select x.i, ${m.workspaceId}, ${m.runId}::bigint, ${m.taskId}, ${m.campaignId}, x.u, ${m.channel}, x.s, x.r, x.t, x.v,
      case when x.s in ('suppressed', 'deferred') then null else ${m.provider} end, ${m.now}::timestamptz,
      case when x.s in ('sent', 'delivered') then ${m.now}::timestamptz end, case when x.s = 'delivered' then ${m.now}::timestamptz end,
      case when x.s = 'failed' then ${m.now}::timestamptz end, x.a, x.n, x.c
    from json_to_recordset(${doc}::json) as x(i bigint, u bigint, s text, r text, t text, v text, n timestamptz, c text, a int)`.execute(tx);
}

/**
 * Writes the outcome of each message still waiting (queued, deferred, retrying, or sending: its
 * provider call in flight). A message handed to a provider (sent, delivered, failed after a send,
 * retrying) counts one more attempt. Returns the ids it wrote.
 */
export async function applyOutcomes(tx: Tx, provider: string, rows: MessageUpdate[], now: Date): Promise<Set<string>> {
  if (rows.length === 0) return new Set();
  const r = await sql<{ id: string }>`update messages m set status = x.status, reason = x.reason, to_address = x.to_address,
      variant = case when x.has_variant then x.variant else m.variant end,
      provider = case when x.status in ('suppressed', 'deferred') then null else ${provider} end,
      sent_at = case when x.status in ('sent', 'delivered') then ${now}::timestamptz else m.sent_at end,
      delivered_at = case when x.status = 'delivered' then ${now}::timestamptz else m.delivered_at end,
      failed_at = case when x.status = 'failed' then ${now}::timestamptz else m.failed_at end,
      attempts = case when x.status in ('sent', 'delivered', 'retrying') or (x.status = 'failed' and x.reason not like 'render_error:%' and x.reason not like 'coupon_%') then m.attempts + 1 else m.attempts end,
      next_attempt_at = x.next_attempt_at,
      coupon_code = coalesce(x.coupon_code, m.coupon_code)
    from unnest(${rows.map((r) => r.id)}::bigint[], ${rows.map((r) => r.status)}::text[], ${rows.map((r) => r.reason)}::text[], ${rows.map((r) => r.to)}::text[],
        ${rows.map((r) => r.variant !== undefined)}::boolean[], ${rows.map((r) => r.variant ?? null)}::text[],
        ${rows.map((r) => r.nextAttemptAt ?? null)}::timestamptz[], ${rows.map((r) => r.couponCode ?? null)}::text[])
      as x(id, status, reason, to_address, has_variant, variant, next_attempt_at, coupon_code)
    where m.id = x.id and m.status in ('queued', 'deferred', 'retrying', 'sending')
    returning m.id::text as id`.execute(tx);
  return new Set(r.rows.map((x) => x.id));
}

/**
 * Messages whose provider call began and whose outcome was never written (a crash or an error
 * between the two transactions of a send): they are not sent again — the provider may have
 * sent them — but marked failed with the reason, and keep the caps they took. Only those whose
 * lease ended (`before`), or all of a batch's range when its own job runs again.
 */
export async function settleInterrupted(tx: Tx, workspaceId: string, runId: string, now: Date, scope: { before: Date } | { fromUserId: string; toUserId: string }): Promise<number> {
  const r = await sql`update messages set status = 'failed', failed_at = ${now}::timestamptz, next_attempt_at = null, attempts = attempts + 1,
      reason = 'interrupted: the send began but its outcome was never recorded; not sent again'
    where workspace_id = ${workspaceId} and task_run_id = ${runId}::bigint and status = 'sending'
      and ${'before' in scope ? sql`next_attempt_at <= ${scope.before}::timestamptz` : sql`user_id between ${scope.fromUserId}::bigint and ${scope.toUserId}::bigint`}`.execute(tx);
  return Number(r.numAffectedRows ?? 0);
}

/** A batch whose messages were committed as `sending` (its provider is outside the database). */
export const markBatchSending = (tx: Tx, runId: string, batchNo: number) =>
  tx.updateTable('taskRunBatches').set({ status: 'sending' }).where('taskRunId', '=', runId).where('batchNo', '=', batchNo).execute();

/** Messages of a run in `status` due by `now` (retrying: next_attempt_at; queued trigger messages: their fire time), in user order. */
export const dueMessages = (tx: Tx, workspaceId: string, runId: string, status: 'retrying' | 'queued', now: Date, limit: number) =>
  tx.selectFrom('messages').select(['id', 'userId', 'attempts', 'triggerEventId']).where('workspaceId', '=', workspaceId).where('taskRunId', '=', runId)
    .where('status', '=', status).where('nextAttemptAt', '<=', now).orderBy('userId').orderBy('id').limit(limit).forUpdate().execute();

/** What still waits in a run of a campaign that ended is settled: suppressed with `reason`, never sent. */
export const settleWaiting = (tx: Tx, workspaceId: string, runId: string, status: 'deferred' | 'retrying' | 'queued', reason: string) =>
  tx.updateTable('messages').set({ status: 'suppressed', reason, nextAttemptAt: null })
    .where('workspaceId', '=', workspaceId).where('taskRunId', '=', runId).where('status', '=', status).execute();

/** The one listening run of a trigger task; (task, campaign start) is unique, so a repeated launch finds it. */
export const insertListeningRun = (tx: Tx, r: { workspaceId: string; taskId: string; campaignId: string; scheduledFor: Date; priority: number }) =>
  tx.insertInto('taskRuns').values({ ...r, status: 'listening', targeted: 0, batchesTotal: 0, startedAt: r.scheduledFor })
    .onConflict((oc) => oc.columns(['taskId', 'scheduledFor']).doNothing()).execute();

export const listeningRunOf = (tx: Tx, workspaceId: string, taskId: string) =>
  tx.selectFrom('taskRuns').select(['id']).where('workspaceId', '=', workspaceId).where('taskId', '=', taskId).where('status', '=', 'listening').executeTakeFirst();

/**
 * One queued message per (run, user, triggering event), due at its fire time. The unique key
 * makes a repeated hook job a no-op; only the rows created now are returned.
 */
export async function insertTriggerMessages(tx: Tx, m: { workspaceId: string; runId: string; taskId: string; campaignId: string; channel: string; now: Date }, fires: { eventId: string; userId: string; at: Date }[]) {
  const r = await sql<{ id: string; nextAttemptAt: Date }>`insert into messages (workspace_id, task_run_id, task_id, campaign_id, user_id, channel, status, created_at, trigger_event_id, next_attempt_at)
    select ${m.workspaceId}, ${m.runId}::bigint, ${m.taskId}, ${m.campaignId}, u, ${m.channel}, 'queued', ${m.now}, e, at
    from unnest(${fires.map((f) => f.userId)}::bigint[], ${fires.map((f) => f.eventId)}::bigint[], ${fires.map((f) => f.at)}::timestamptz[]) as x(u, e, at)
    on conflict (task_run_id, user_id, trigger_event_id) do nothing
    returning id, next_attempt_at`.execute(tx);
  return r.rows;
}

export const addTargeted = (tx: Tx, runId: string, n: number) =>
  tx.updateTable('taskRuns').set((eb) => ({ targeted: eb(eb.fn.coalesce('targeted', eb.lit(0)), '+', n) })).where('id', '=', runId).execute();

export const messageById = (tx: Tx, workspaceId: string, id: string) =>
  tx.selectFrom('messages').selectAll().where('workspaceId', '=', workspaceId).where('id', '=', id).executeTakeFirst();

/**
 * Applies a receipt to a message that went out, when it changes its status; true when it did.
 * A repeated receipt (the vendor's retry, or the sandbox's delivered message confirmed again)
 * changes nothing and records nothing. Under the row lock, so two copies of one receipt at
 * once change it once.
 */
export const setReceipt = async (tx: Tx, workspaceId: string, id: string, status: 'delivered' | 'failed', now: Date, reason: string | null): Promise<boolean> =>
  Number((await tx.updateTable('messages').set(status === 'delivered'
    ? { status: 'delivered', deliveredAt: now }
    : { status: 'failed', failedAt: now, reason: reason ?? 'provider receipt' })
    .where('workspaceId', '=', workspaceId).where('id', '=', id).where('status', 'in', ['sent', 'delivered', 'failed']).where('status', '<>', status)
    .executeTakeFirst()).numUpdatedRows) > 0;

export const hasStartedRuns = async (tx: Tx, workspaceId: string, campaignId: string) =>
  !!(await tx.selectFrom('taskRuns').select('id').where('workspaceId', '=', workspaceId).where('campaignId', '=', campaignId).where('startedAt', 'is not', null).limit(1).executeTakeFirst());

/** The task report's message buckets: every targeted user lands in exactly one status. */
export async function taskCounts(tx: Tx, workspaceId: string, taskId: string) {
  const r = await sql<{ status: string; reason: string | null; n: string; delivered: string; clicked: string }>`
    select status, case when status = 'suppressed' then reason end as reason, count(*) as n,
           count(delivered_at) as delivered, count(first_clicked_at) as clicked
    from messages where workspace_id = ${workspaceId} and task_id = ${taskId}
    group by 1, 2`.execute(tx);
  return r.rows;
}

/**
 * Conversions: users touched by the task (first send) who did the conversion event within
 * the window after that touch; revenue sums their orders in the same window.
 */
export async function taskConversions(tx: Tx, workspaceId: string, taskId: string, event: string, windowDays: number) {
  const window = sql`${windowDays} * interval '1 day'`;
  if (event === 'order_paid') {
    const r = await sql<{ converted: string; revenue: string | null; orders: string }>`
      with touch as (
        select user_id, min(sent_at) as t from messages
        where workspace_id = ${workspaceId} and task_id = ${taskId} and sent_at is not null group by user_id
      )
      select count(distinct o.user_id) as converted, sum(o.amount) as revenue, count(*) as orders
      from touch join orders o on o.workspace_id = ${workspaceId} and o.user_id = touch.user_id
        and o.paid_at >= touch.t and o.paid_at < touch.t + ${window}`.execute(tx);
    return { converted: Number(r.rows[0]!.converted), revenue: Number(r.rows[0]!.revenue ?? 0), orders: Number(r.rows[0]!.orders) };
  }
  const r = await sql<{ converted: string }>`
    with touch as (
      select user_id, min(sent_at) as t from messages
      where workspace_id = ${workspaceId} and task_id = ${taskId} and sent_at is not null group by user_id
    )
    select count(*) as converted from touch where exists (
      select 1 from events e where e.workspace_id = ${workspaceId} and e.user_id = touch.user_id and e.name = ${event}
        and e.ts >= touch.t and e.ts < touch.t + ${window})`.execute(tx);
  return { converted: Number(r.rows[0]!.converted), revenue: 0, orders: 0 };
}

/** Messages that were sent and then failed by receipt (they count as sent, not failed-before-send). */
export const failedAfterSend = async (tx: Tx, workspaceId: string, taskId: string) =>
  Number((await tx.selectFrom('messages').select((eb) => eb.fn.countAll<string>().as('n')).where('workspaceId', '=', workspaceId)
    .where('taskId', '=', taskId).where('status', '=', 'failed').where('sentAt', 'is not', null).executeTakeFirstOrThrow()).n);

export const runsOfTask = (tx: Tx, workspaceId: string, taskId: string) =>
  tx.selectFrom('taskRuns').select(['id', 'status', 'scheduledFor', 'startedAt', 'finishedAt', 'targeted', 'batchesTotal', 'error'])
    .where('workspaceId', '=', workspaceId).where('taskId', '=', taskId).orderBy('scheduledFor').execute();

export const messagesOfUser = (tx: Tx, workspaceId: string, userId: string, limit: number, beforeId?: string) =>
  tx.selectFrom('messages').select(['id', 'taskId', 'campaignId', 'channel', 'status', 'reason', 'toAddress', 'createdAt', 'sentAt', 'deliveredAt', 'firstClickedAt'])
    .where('workspaceId', '=', workspaceId).where('userId', '=', userId)
    .$if(!!beforeId, (q) => q.where('id', '<', beforeId!))
    .orderBy('id', 'desc').limit(limit + 1).execute();

/** Open runs of higher priority due by `until`: they reach their users before this run does. */
export const higherPriorityOpenRuns = (tx: Tx, workspaceId: string, runId: string, priority: number, until: Date) =>
  tx.selectFrom('taskRuns').select(['id', 'campaignId']).where('workspaceId', '=', workspaceId).where('id', '!=', runId)
    .where('status', 'in', ['scheduled', 'sending']).where('priority', '>', priority).where('scheduledFor', '<=', until).execute();

export const lowerPriorityOpenRuns = (tx: Tx, workspaceId: string, priority: number) =>
  tx.selectFrom('taskRuns').select(['id', 'deferred']).where('workspaceId', '=', workspaceId)
    .where('status', '=', 'sending').where('priority', '<', priority).execute();

/** A run's messages waiting for quiet hours to end, in user order. */
export const deferredMessages = (tx: Tx, workspaceId: string, runId: string) =>
  tx.selectFrom('messages').select(['id', 'userId', 'attempts', 'triggerEventId']).where('workspaceId', '=', workspaceId).where('taskRunId', '=', runId)
    .where('status', '=', 'deferred').orderBy('userId').execute();

export const addDeferred = (tx: Tx, runId: string, n: number) =>
  tx.updateTable('taskRuns').set((eb) => ({ deferred: eb('deferred', '+', n) })).where('id', '=', runId).execute();

export const recountDeferred = (tx: Tx, runId: string) =>
  sql`update task_runs set deferred = (select count(*) from messages where task_run_id = ${runId}::bigint and status = 'deferred') where id = ${runId}::bigint`.execute(tx);

export const hasScheduledRun = async (tx: Tx, workspaceId: string, taskId: string) =>
  !!(await tx.selectFrom('taskRuns').select('id').where('workspaceId', '=', workspaceId).where('taskId', '=', taskId).where('status', '=', 'scheduled').limit(1).executeTakeFirst());

/**
 * The task's messages per variant ('' without variants, 'control'): touched users (sent, or
 * held out as control at the moment the send was decided) who did the conversion event
 * within the window after their first touch.
 */
export async function variantCounts(tx: Tx, workspaceId: string, taskId: string, event: string, windowDays: number) {
  const window = sql`${windowDays} * interval '1 day'`;
  const converted = event === 'order_paid'
    ? sql`exists (select 1 from orders o where o.workspace_id = ${workspaceId} and o.user_id = t.user_id and o.paid_at >= t.t and o.paid_at < t.t + ${window})`
    : sql`exists (select 1 from events e where e.workspace_id = ${workspaceId} and e.user_id = t.user_id and e.name = ${event} and e.ts >= t.t and e.ts < t.t + ${window})`;
  const r = await sql<{ variant: string | null; n: string; sent: string; delivered: string; clicked: string; users: string; converted: string }>`
    with m as (
      select coalesce(variant, '') as variant, user_id, sent_at, delivered_at, first_clicked_at,
             case when sent_at is not null then sent_at when reason = 'control' then created_at end as touch
      from messages where workspace_id = ${workspaceId} and task_id = ${taskId}
    ), t as (
      select variant, user_id, min(touch) as t from m where touch is not null group by 1, 2
    ), c as (
      select variant, count(*) as users, count(*) filter (where ${converted}) as converted from t group by 1
    )
    select m.variant, count(*) as n, count(m.sent_at) as sent, count(m.delivered_at) as delivered, count(m.first_clicked_at) as clicked,
           coalesce(max(c.users), 0) as users, coalesce(max(c.converted), 0) as converted
    from m left join c on c.variant = m.variant group by m.variant`.execute(tx);
  return r.rows;
}
