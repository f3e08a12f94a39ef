import { sql, type RawBuilder } from 'kysely';
import type { Tx } from '../platform/db.ts';
import { toJsonb } from '../platform/text.ts';
import { copyField, copyRows } from '../platform/copy.ts';
import * as catalog from './catalog.repo.ts';

/** SQL for users, events and orders. Batches go through unnest() so a 10,000-row call is one statement. */

type Sql = RawBuilder<unknown>;

export interface UserRow {
  externalId: string;
  fields: Record<string, unknown>;
  attributes: Record<string, unknown>;
  createdAt: Date | null;
}

/**
 * Upsert in two statements of the caller's transaction: create missing users, then merge the
 * given fields. Top-level fields present in `fields` overwrite (null clears); attributes merge
 * and a null value deletes the key. (One INSERT … ON CONFLICT cannot see which fields were sent.)
 */
export async function upsertUsers(tx: Tx, workspaceId: string, rows: UserRow[], now: Date): Promise<void> {
  const ids = rows.map((r) => r.externalId);
  const created = rows.map((r) => r.createdAt);
  await sql`
    insert into users (workspace_id, external_id, created_at, updated_at)
    select ${workspaceId}, external_id, coalesce(created_at, ${now}::timestamptz), ${now}::timestamptz
    from unnest(${ids}::text[], ${created}::timestamptz[]) as t(external_id, created_at)
    on conflict (workspace_id, external_id) do nothing`.execute(tx);
  await sql`
    update users u set
      phone = case when i.f ? 'phone' then i.f->>'phone' else u.phone end,
      email = case when i.f ? 'email' then i.f->>'email' else u.email end,
      wechat_open_id = case when i.f ? 'wechatOpenId' then i.f->>'wechatOpenId' else u.wechat_open_id end,
      push_token = case when i.f ? 'pushToken' then i.f->>'pushToken' else u.push_token end,
      platform = case when i.f ? 'platform' then i.f->>'platform' else u.platform end,
      attributes = jsonb_strip_nulls(u.attributes || i.attrs),
      created_at = coalesce(i.created_at, u.created_at),
      updated_at = ${now}::timestamptz
    from unnest(${ids}::text[], ${rows.map((r) => toJsonb(r.fields))}::jsonb[],
                ${rows.map((r) => toJsonb(r.attributes))}::jsonb[], ${created}::timestamptz[]) as i(external_id, f, attrs, created_at)
    where u.workspace_id = ${workspaceId} and u.external_id = i.external_id`.execute(tx);
}

/**
 * Internal ids for external ids, creating users that do not exist yet (events for an unknown
 * user create it). A concurrent batch may create the same user between our insert and select;
 * the second select, a new statement, sees its commit.
 */
export async function resolveUserIds(tx: Tx, workspaceId: string, externalIds: string[], now: Date): Promise<Map<string, string>> {
  // Almost every id of a batch exists already: read first, and only insert the rest (an
  // INSERT … ON CONFLICT per known id costs a speculative insertion each; docs/benchmarks.md).
  const found = new Map<string, string>();
  // One array parameter, not an IN list of a thousand: the list's parameters cost the client
  // and the server more than the index probes themselves (docs/benchmarks.md, Ingest).
  const readIds = async (ids: string[]) => {
    const rows = await sql<{ id: string; externalId: string }>`
      select id, external_id from users where workspace_id = ${workspaceId} and external_id = any(${ids}::text[])`.execute(tx);
    for (const row of rows.rows) found.set(row.externalId, row.id);
  };
  await readIds(externalIds);
  const missing = externalIds.filter((x) => !found.has(x));
  if (missing.length === 0) return found;
  const created = await sql<{ id: string; externalId: string }>`
    insert into users (workspace_id, external_id, created_at, updated_at)
    select ${workspaceId}, x, ${now}::timestamptz, ${now}::timestamptz from unnest(${missing}::text[]) as x
    on conflict (workspace_id, external_id) do nothing
    returning id, external_id`.execute(tx);
  for (const row of created.rows) found.set(row.externalId, row.id);
  // Ids a concurrent batch created between our read and our insert: a new statement sees them.
  const raced = missing.filter((x) => !found.has(x));
  if (raced.length > 0) await readIds(raced);
  return found;
}

export interface EventRow {
  userId: string;
  name: string;
  /** A Date, or an ISO 8601 timestamp as the client sent it (PostgreSQL keeps its microseconds). */
  ts: Date | string;
  properties: string;
  messageId: string | null;
}

const eventArrays = (rows: EventRow[]) => ({
  u: rows.map((r) => r.userId), n: rows.map((r) => r.name), t: rows.map((r) => r.ts),
  p: rows.map((r) => r.properties), m: rows.map((r) => r.messageId),
});

/** What an insert stored: new events per name, and the ids of those whose name an event hook wants. */
export interface Stored {
  counts: Map<string, number>;
  hooked: { id: string; name: string }[];
}

const storedOf = (rows: { name: string; n: number; ids: (string | number)[] | null }[]): Stored => ({
  counts: new Map(rows.map((x) => [x.name, x.n])),
  hooked: rows.flatMap((x) => (x.ids ?? []).map((id) => ({ id: String(id), name: x.name }))),
});

/** Events at one time, without messageIds, as one JSON document (recordMessageEvents). */
export async function insertEventsDocument(tx: Tx, workspaceId: string, ts: Date, rows: { userId: string; name: string; properties: Record<string, unknown> }[]): Promise<void> {
  if (rows.length === 0) return;
  const shared = `${copyField(workspaceId)}\t`;
  const at = ts.toISOString();
  let text = '';
  for (const r of rows) text += `${shared}${r.userId}\t${copyField(r.name)}\t${at}\t${copyField(toJsonb(r.properties))}\n`;
  if (await copyRows(tx, 'copy events (workspace_id, user_id, name, ts, properties) from stdin', text)) return;
  const doc = toJsonb(rows.map((r) => ({ u: r.userId, n: r.name, p: r.properties })));
  await sql`insert into events (workspace_id, user_id, name, ts, properties)
    select ${workspaceId}, x.u, x.n, ${ts}::timestamptz, x.p from json_to_recordset(${doc}::json) as x(u bigint, n text, p jsonb)`.execute(tx);
}

/**
 * A messageId is stored once per workspace in event_message_ids (its primary key is the dedup:
 * `events` is partitioned by user, and a unique index of a partitioned table must contain the
 * partition key; migration 0015). `claimMessageIds` claims every messageId of a batch and fails
 * the statement with 23505 when one was claimed before or repeats in the batch. A retried batch
 * claims in the same order as the first attempt, so the two wait for each other, as they did
 * on the unique index of events before.
 */
const claimMessageIds = (workspaceId: string, messageIds: Sql) => sql`claimed as (
      insert into event_message_ids (workspace_id, message_id)
      select ${workspaceId}, m from ${messageIds} where m is not null
    )`;

/**
 * The CTEs `b`, the batch in its order `ord` with `k` the rank of a row among the batch's rows
 * of its messageId, and `fresh`, the messageIds claimed now (not stored before; a concurrent
 * batch's claim is waited for). The events to store are the rows of `b` where isFresh: those
 * without a messageId, and the first of each fresh one, as the unique index used to keep them.
 */
const batchWithFreshMessageIds = (workspaceId: string, a: ReturnType<typeof eventArrays>) => sql`b as (
      select x.*, row_number() over (partition by x.m order by x.ord) as k
      from unnest(${a.u}::bigint[], ${a.n}::text[], ${a.t}::timestamptz[], ${a.p}::jsonb[], ${a.m}::text[]) with ordinality as x(u, n, t, p, m, ord)
    ), fresh as (
      insert into event_message_ids (workspace_id, message_id)
      select ${workspaceId}, m from b where m is not null and k = 1 order by ord
      on conflict do nothing
      returning message_id
    )`;
const isFresh = sql`(b.m is null or (b.k = 1 and b.m in (select message_id from fresh)))`;

/**
 * Inserts events; a repeated messageId (stored before, or twice in the batch) is skipped.
 * `hookedNames`: names whose new ids to return. Optimistic: plain INSERTs first (inside a
 * savepoint), because an ON CONFLICT clause costs a speculative insertion per row and almost
 * no batch repeats a messageId; only a batch that does (a client's retry) runs again and
 * skips the repeats.
 */
export async function insertEvents(tx: Tx, workspaceId: string, rows: EventRow[], hookedNames: readonly string[] = []): Promise<Stored> {
  if (rows.length === 0) return { counts: new Map(), hooked: [] };
  const a = eventArrays(rows);
  const withMessageIds = a.m.some((m) => m !== null);
  // No name of this batch is hooked: a plain INSERT that stores every row (or fails on a
  // repeated messageId) returns nothing; its counts are the batch's own.
  const hooked = new Set(hookedNames);
  const plain = !rows.some((r) => hooked.has(r.name));
  const claim = withMessageIds ? claimMessageIds(workspaceId, sql`unnest(${a.m}::text[]) as m`) : null;
  const insertPlain = () => sql`${claim ? sql`with ${claim}` : sql``}
    insert into events (workspace_id, user_id, name, ts, properties, message_id)
    select ${workspaceId}, * from unnest(${a.u}::bigint[], ${a.n}::text[], ${a.t}::timestamptz[], ${a.p}::jsonb[], ${a.m}::text[])`.execute(tx);
  const countsOf = (): Stored => {
    const counts = new Map<string, number>();
    for (const r of rows) counts.set(r.name, (counts.get(r.name) ?? 0) + 1);
    return { counts, hooked: [] };
  };
  const byName = sql`select name, count(*)::int as n, array_agg(id) filter (where name = any(${hookedNames}::text[])) as ids from ins group by name`;
  const insertAll = () => sql<{ name: string; n: number; ids: string[] | null }>`
    with ${claim ? sql`${claim}, ` : sql``}ins as (
      insert into events (workspace_id, user_id, name, ts, properties, message_id)
      select ${workspaceId}, * from unnest(${a.u}::bigint[], ${a.n}::text[], ${a.t}::timestamptz[], ${a.p}::jsonb[], ${a.m}::text[])
      returning id, name
    ) ${byName}`.execute(tx);
  const insertFresh = () => sql<{ name: string; n: number; ids: string[] | null }>`
    with ${batchWithFreshMessageIds(workspaceId, a)}, ins as (
      insert into events (workspace_id, user_id, name, ts, properties, message_id)
      select ${workspaceId}, b.u, b.n, b.t, b.p, b.m from b where ${isFresh} order by b.ord
      returning id, name
    ) ${byName}`.execute(tx);
  if (!withMessageIds) return plain ? (await insertPlain(), countsOf()) : storedOf((await insertAll()).rows);
  await sql`savepoint events_insert`.execute(tx);
  try {
    const r = plain ? (await insertPlain(), countsOf()) : storedOf((await insertAll()).rows);
    await sql`release savepoint events_insert`.execute(tx);
    return r;
  } catch (err) {
    if ((err as { code?: string }).code !== '23505') throw err;
    await sql`rollback to savepoint events_insert`.execute(tx);
    return storedOf((await insertFresh()).rows);
  }
}

/**
 * The CTEs `ord, agg, upd` that follow a CTE `ev` of just-inserted order_paid events (user_id,
 * ts, properties): their orders (deduplicated by orderId; the first order flagged), then the
 * buyers' order stats. Both ingest paths use it, so both count an order the same way.
 */
const ordersOfInsertedEvents = (workspaceId: string) => sql`ord as (
      insert into orders (workspace_id, order_id, user_id, amount, paid_at, coupon_code, first_order)
      select ${workspaceId}, ev.properties->>'orderId', ev.user_id, (ev.properties->>'amount')::bigint, ev.ts,
             ev.properties->>'couponCode',
             (u.first_order_at is null or ev.ts < u.first_order_at)
               and row_number() over (partition by ev.user_id order by ev.ts) = 1
      from ev join users u on u.id = ev.user_id
      on conflict (workspace_id, order_id) do nothing
      returning user_id, amount, paid_at
    ), agg as (
      select user_id, count(*)::int as n, sum(amount) as s, min(paid_at) as first_at, max(paid_at) as last_at from ord group by user_id
    ), upd as (
      update users u set
        order_count = u.order_count + agg.n,
        order_total = u.order_total + agg.s,
        first_order_at = least(u.first_order_at, agg.first_at),
        last_order_at = greatest(u.last_order_at, agg.last_at)
      from agg where u.id = agg.user_id and u.workspace_id = ${workspaceId}`;

/**
 * order_paid events: store the event, then the order (deduplicated by orderId as well as by
 * messageId), then roll the new orders into the buyer's profile — one statement, so a
 * retried batch can never count an order twice.
 */
export async function insertOrderEvents(tx: Tx, workspaceId: string, rows: EventRow[], hookedNames: readonly string[] = []): Promise<Stored> {
  if (rows.length === 0) return { counts: new Map(), hooked: [] };
  const a = eventArrays(rows);
  const r = await sql<{ name: string; n: number; ids: string[] | null }>`
    with ${batchWithFreshMessageIds(workspaceId, a)}, ev as (
      insert into events (workspace_id, user_id, name, ts, properties, message_id)
      select ${workspaceId}, b.u, b.n, b.t, b.p, b.m from b where ${isFresh} order by b.ord
      returning id, name, user_id, ts, properties
    ), ${ordersOfInsertedEvents(workspaceId)}
    ) select name, count(*)::int as n, array_agg(id) filter (where name = any(${hookedNames}::text[])) as ids from ev group by name`.execute(tx);
  return storedOf(r.rows);
}

export const userByExternalId = (tx: Tx, workspaceId: string, externalId: string) =>
  tx.selectFrom('users').selectAll().where('workspaceId', '=', workspaceId).where('externalId', '=', externalId).executeTakeFirst();

/** What a message needs of its recipient (the address of each channel, the Liquid `user` scope): a delivery batch reads a thousand. */
export const recipientsByIds = (tx: Tx, workspaceId: string, ids: string[]) =>
  tx.selectFrom('users').select(['id', 'externalId', 'phone', 'email', 'wechatOpenId', 'pushToken', 'platform', 'attributes', 'createdAt', 'orderCount'])
    .where('workspaceId', '=', workspaceId).where('id', '=', sql<string>`any(${ids}::bigint[])`).execute();

/** One array parameter, not an IN list: a delivery batch asks for a thousand ids at a time. */
export const usersByIds = (tx: Tx, workspaceId: string, ids: string[]) =>
  tx.selectFrom('users').selectAll().where('workspaceId', '=', workspaceId).where('id', '=', sql<string>`any(${ids}::bigint[])`).execute();

/** Search by exact externalId / phone / email or externalId prefix; keyset on internal id. */
export const searchUsers = (tx: Tx, workspaceId: string, q: string | undefined, limit: number, afterId?: string) =>
  tx.selectFrom('users').selectAll().where('workspaceId', '=', workspaceId)
    .$if(!!q, (qb) => qb.where((eb) => eb.or([
      eb('externalId', '=', q!), eb('phone', '=', q!), eb('email', '=', q!.toLowerCase()),
      eb('externalId', 'like', `${q!.replace(/[\\%_]/g, (c) => `\\${c}`)}%`),
    ])))
    .$if(afterId !== undefined, (qb) => qb.where('id', '>', afterId!))
    .orderBy('id').limit(limit + 1).execute();

export const userEvents = (tx: Tx, workspaceId: string, userId: string, limit: number, beforeId?: string, name?: string) =>
  tx.selectFrom('events').select(['id', 'name', 'ts', 'properties', 'messageId']).where('workspaceId', '=', workspaceId).where('userId', '=', userId)
    .$if(!!name, (qb) => qb.where('name', '=', name!))
    .$if(beforeId !== undefined, (qb) => qb.where('id', '<', beforeId!))
    .orderBy('id', 'desc').limit(limit + 1).execute();

export const countUsers = async (tx: Tx, workspaceId: string) =>
  (await tx.selectFrom('users').select((eb) => eb.fn.countAll<string>().as('n')).where('workspaceId', '=', workspaceId).executeTakeFirstOrThrow()).n;

export const countEventsSince = async (tx: Tx, workspaceId: string, since: Date) =>
  (await tx.selectFrom('events').select((eb) => eb.fn.countAll<string>().as('n')).where('workspaceId', '=', workspaceId).where('ts', '>=', since).executeTakeFirstOrThrow()).n;

/** An event of the one-statement path: the user by externalId, resolved inside the statement; no timestamp is now. */
export interface KnownUserEvent {
  externalId: string;
  name: string;
  timestamp?: string;
  properties?: Record<string, unknown>;
  messageId?: string;
}

export type OneStatementResult =
  | { stored: true; resolved: [externalId: string, id: string][] }
  | { stored: false; missing: string[]; resolved: [externalId: string, id: string][] };

/**
 * The whole ingest of a batch in one autocommitted statement, for the common batch: every
 * user exists, no event hook wants its names, no property is new and no messageId repeats.
 * It resolves the users, stores the events (the batch's other events, then its order_paid
 * events, each in batch order, as the general path does), the orders of order_paid events
 * with the buyers' order stats, and the catalog counts — one round trip instead of a
 * transaction of eight, and atomic like it.
 *
 * `userIds` holds the internal ids the caller already knows (user-ids.cache.ts); only the
 * other externalIds are looked up, and answered in `resolved`. When a user does not exist it
 * writes nothing and answers the missing externalIds (the caller creates them and calls
 * again). A repeated messageId fails the statement with 23505 and writes nothing; the caller
 * then takes the general path (ON CONFLICT, counts from what was stored). The orders CTE
 * deduplicates by orderId as insertOrderEvents does.
 */
export async function ingestKnownUsersInOneStatement(
  db: Tx, workspaceId: string, events: KnownUserEvent[], userIds: (externalId: string) => string | undefined, shard: number, now: Date,
): Promise<OneStatementResult> {
  const lookup = new Set<string>();
  // The batch travels as one JSON document, not as five arrays: the client library escapes
  // every element of an array parameter, which cost more than the server's jsonb parse.
  const batch = toJsonb(events.map((e) => {
    const u = userIds(e.externalId);
    if (u === undefined) lookup.add(e.externalId);
    return { u: u ?? null, e: u === undefined ? e.externalId : null, n: e.name, t: e.timestamp ?? null, p: e.properties ?? null, m: e.messageId ?? null };
  }));
  const uncached = [...lookup].sort();
  const r = await sql<{ allKnown: boolean; missing: string[] | null; resolved: [string, string][] | null }>`
    with known as materialized (
      select id, external_id from users where workspace_id = ${workspaceId} and external_id = any(${uncached}::text[])
    ), ok as materialized (
      select count(*) = ${uncached.length} as all_known from known
    ), x as materialized (
      select coalesce(x.u, k.id) as user_id, x.name, x.ts, x.properties, x.message_id, x.ord
      from (select x.u, x.e, x.n as name, coalesce(x.t, ${now}::timestamptz) as ts, coalesce(x.p, '{}') as properties, x.m as message_id, x.ord
            from rows from (jsonb_to_recordset(${batch}::jsonb) as (u bigint, e text, n text, t timestamptz, p jsonb, m text)) with ordinality as x(u, e, n, t, p, m, ord)) x
      left join known k on k.external_id = x.e
      where (select all_known from ok)
    ), ${claimMessageIds(workspaceId, sql`(select message_id as m from x) as x`)}, plain as (
      insert into events (workspace_id, user_id, name, ts, properties, message_id)
      select ${workspaceId}, user_id, name, ts, properties, message_id from x where name <> 'order_paid' order by ord
      returning 1
    ), ev as (
      -- After the other events (reading plain makes it run first), as the general path stores them.
      insert into events (workspace_id, user_id, name, ts, properties, message_id)
      select ${workspaceId}, user_id, name, ts, properties, message_id from x
      where name = 'order_paid' and (select count(*) from plain) >= 0 order by ord
      returning user_id, ts, properties
    ), ${ordersOfInsertedEvents(workspaceId)}
    ), counts as (
      insert into event_counts (workspace_id, name, shard, count, last_seen_at)
      select ${workspaceId}, name, ${shard}::smallint, count(*), ${now}::timestamptz from x group by name order by name
      ${catalog.mergeEventCounts}
    )
    select (select all_known from ok) as all_known,
           (select json_agg(json_build_array(external_id, id::text)) from known) as resolved,
           case when not (select all_known from ok) then array(select d from unnest(${uncached}::text[]) d where d not in (select external_id from known)) end as missing`.execute(db);
  const row = r.rows[0]!;
  const resolved = row.resolved ?? [];
  return row.allKnown ? { stored: true, resolved } : { stored: false, missing: row.missing ?? [], resolved };
}

/** Creates the users of these externalIds that do not exist (empty profiles, as an event for an unknown user does). */
export async function createMissingUsers(db: Tx, workspaceId: string, externalIds: string[], now: Date): Promise<void> {
  await sql`
    insert into users (workspace_id, external_id, created_at, updated_at)
    select ${workspaceId}, x, ${now}::timestamptz, ${now}::timestamptz from unnest(${[...externalIds].sort()}::text[]) as x
    on conflict (workspace_id, external_id) do nothing`.execute(db);
}
