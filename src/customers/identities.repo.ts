import { sql } from 'kysely';
import type { Tx } from '../platform/db.ts';
import { ANONYMOUS_PREFIX } from './customers.schema.ts';

/**
 * SQL for anonymous identities. An anonymous id's history lives on its own anonymous profile
 * (a users row with external_id '$anon:<id>', so events, orders and segments need no second
 * kind of user) until an alias merges it into a known user.
 *
 * Locking, the one rule that keeps a merge exact: ingest takes a SHARE lock on the
 * anonymous_ids rows of its batch and an alias an UPDATE lock on its row, each before touching
 * any users row. A merge therefore waits for in-flight batches of that anonymous id to commit
 * (and moves their events too), and batches that come later read the new owner.
 */

const lockShared = (tx: Tx, workspaceId: string, anonymousIds: string[]) =>
  sql<{ anonymousId: string; userId: string }>`
    select anonymous_id, user_id from anonymous_ids
    where workspace_id = ${workspaceId} and anonymous_id = any(${anonymousIds}::text[])
    order by anonymous_id for share`.execute(tx);

/**
 * Internal user ids for anonymous ids (sorted by the caller), creating an anonymous profile for
 * each id seen for the first time. Rows are share-locked until the caller commits.
 */
export async function resolveAnonymousIds(tx: Tx, workspaceId: string, anonymousIds: string[], now: Date): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (const r of (await lockShared(tx, workspaceId, anonymousIds)).rows) found.set(r.anonymousId, r.userId);
  const missing = anonymousIds.filter((a) => !found.has(a));
  if (missing.length === 0) return found;
  // A concurrent batch may be creating the same profiles: ON CONFLICT waits for it, and
  // DO UPDATE (a no-op) still returns the row's id.
  const created = await sql<{ id: string }>`
    with u as (
      insert into users (workspace_id, external_id, created_at, updated_at)
      select ${workspaceId}, ${ANONYMOUS_PREFIX} || a, ${now}::timestamptz, ${now}::timestamptz from unnest(${missing}::text[]) as a
      on conflict (workspace_id, external_id) do update set updated_at = users.updated_at
      returning id, external_id
    ), m as (
      insert into anonymous_ids (workspace_id, anonymous_id, user_id, created_at)
      select ${workspaceId}, substr(external_id, ${ANONYMOUS_PREFIX.length + 1}), id, ${now}::timestamptz from u
      on conflict (workspace_id, anonymous_id) do nothing
    ) select id from u`.execute(tx);
  for (const r of (await lockShared(tx, workspaceId, missing)).rows) found.set(r.anonymousId, r.userId);
  // An alias that linked one of these ids to a known user at the same moment wins; the profile
  // created for it here would stay empty, so it goes.
  const owners = new Set(found.values());
  const orphans = created.rows.map((r) => r.id).filter((id) => !owners.has(id));
  if (orphans.length > 0) {
    await sql`delete from users u where u.workspace_id = ${workspaceId} and u.id = any(${orphans}::bigint[])
      and not exists (select 1 from anonymous_ids a where a.workspace_id = ${workspaceId} and a.user_id = u.id)
      and not exists (select 1 from events e where e.workspace_id = ${workspaceId} and e.user_id = u.id)`.execute(tx);
  }
  return found;
}

/** The anonymous id's row, locked for a merge; undefined when the id was never seen. */
export const lockAnonymousId = (tx: Tx, workspaceId: string, anonymousId: string) =>
  tx.selectFrom('anonymousIds').select(['userId', 'mergedAt']).where('workspaceId', '=', workspaceId).where('anonymousId', '=', anonymousId)
    .forUpdate().executeTakeFirst();

/** Links an anonymous id never seen to a known user; false when a concurrent ingest created it first. */
export async function linkAnonymousId(tx: Tx, workspaceId: string, anonymousId: string, userId: string, now: Date): Promise<boolean> {
  const r = await tx.insertInto('anonymousIds').values({ workspaceId, anonymousId, userId, createdAt: now, mergedAt: now })
    .onConflict((oc) => oc.columns(['workspaceId', 'anonymousId']).doNothing()).returning('userId').executeTakeFirst();
  return r !== undefined;
}

/** The known user for an externalId, created when missing, locked until the caller commits. */
export async function lockOrCreateUser(tx: Tx, workspaceId: string, externalId: string, now: Date) {
  await tx.insertInto('users').values({ workspaceId, externalId, createdAt: now, updatedAt: now, attributes: '{}' })
    .onConflict((oc) => oc.columns(['workspaceId', 'externalId']).doNothing()).execute();
  return tx.selectFrom('users').select(['id', 'externalId']).where('workspaceId', '=', workspaceId).where('externalId', '=', externalId)
    .forUpdate().executeTakeFirstOrThrow();
}

export const lockUserById = (tx: Tx, workspaceId: string, id: string) =>
  tx.selectFrom('users').select(['id', 'externalId']).where('workspaceId', '=', workspaceId).where('id', '=', id).forUpdate().executeTakeFirst();

export interface Moved {
  events: number;
  orders: number;
  messages: number;
}

/**
 * Moves everything of user `from` to user `into` and deletes `from`: events, orders (then the
 * order stats and first-order flags are recomputed from the orders), messages with their short
 * links, and profile fields `into` does not have (its own values win). A message both received
 * in the same task run stays recorded against `from`'s id, so task reports keep counting what
 * was really sent. Segment snapshots are history and are left as computed.
 *
 * messages and links belong to delivery and links; the merge re-keys their user_id here
 * because it must commit in the same transaction as the events and orders it moves.
 */
export async function mergeUsers(tx: Tx, workspaceId: string, from: string, into: string, now: Date): Promise<Moved> {
  const events = await sql`update events set user_id = ${into}::bigint where workspace_id = ${workspaceId} and user_id = ${from}::bigint`.execute(tx);
  const orders = await sql`update orders set user_id = ${into}::bigint where workspace_id = ${workspaceId} and user_id = ${from}::bigint`.execute(tx);
  const messages = await sql<{ n: number }>`
    with moved as (
      update messages m set user_id = ${into}::bigint
      where m.workspace_id = ${workspaceId} and m.user_id = ${from}::bigint
        and not exists (select 1 from messages o where o.task_run_id = m.task_run_id and o.user_id = ${into}::bigint)
      returning m.id
    ), l as (
      update links set user_id = ${into}::bigint where workspace_id = ${workspaceId} and message_id in (select id from moved) returning 1
    ) select count(*)::int as n from moved`.execute(tx);
  await sql`
    update users k set
      attributes = a.attributes || k.attributes,
      phone = coalesce(k.phone, a.phone), email = coalesce(k.email, a.email), wechat_open_id = coalesce(k.wechat_open_id, a.wechat_open_id),
      push_token = coalesce(k.push_token, a.push_token), platform = coalesce(k.platform, a.platform), updated_at = ${now}::timestamptz
    from users a
    where k.workspace_id = ${workspaceId} and k.id = ${into}::bigint and a.workspace_id = ${workspaceId} and a.id = ${from}::bigint`.execute(tx);
  if (Number(orders.numAffectedRows ?? 0) > 0) await recomputeOrderStats(tx, workspaceId, into);
  await sql`update anonymous_ids set user_id = ${into}::bigint, merged_at = ${now}::timestamptz where workspace_id = ${workspaceId} and user_id = ${from}::bigint`.execute(tx);
  await sql`delete from users where workspace_id = ${workspaceId} and id = ${from}::bigint`.execute(tx);
  return { events: Number(events.numAffectedRows ?? 0), orders: Number(orders.numAffectedRows ?? 0), messages: messages.rows[0]!.n };
}

/** Order stats and first-order flags of one user, from its orders (the source of truth). */
async function recomputeOrderStats(tx: Tx, workspaceId: string, userId: string): Promise<void> {
  await sql`
    with r as (
      select order_id, row_number() over (order by paid_at, order_id) = 1 as first
      from orders where workspace_id = ${workspaceId} and user_id = ${userId}::bigint
    ), f as (
      update orders o set first_order = r.first from r
      where o.workspace_id = ${workspaceId} and o.order_id = r.order_id and o.first_order <> r.first
      returning 1
    )
    update users u set order_count = s.n, order_total = s.total, first_order_at = s.first_at, last_order_at = s.last_at
    from (select count(*)::int as n, coalesce(sum(amount), 0) as total, min(paid_at) as first_at, max(paid_at) as last_at
          from orders where workspace_id = ${workspaceId} and user_id = ${userId}::bigint) s
    where u.workspace_id = ${workspaceId} and u.id = ${userId}::bigint`.execute(tx);
}

export const anonymousIdsOf = async (tx: Tx, workspaceId: string, userId: string): Promise<string[]> =>
  (await tx.selectFrom('anonymousIds').select('anonymousId').where('workspaceId', '=', workspaceId).where('userId', '=', userId).orderBy('anonymousId').execute())
    .map((r) => r.anonymousId);
