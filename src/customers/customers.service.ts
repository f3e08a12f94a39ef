import type { Platform } from '../platform/context.ts';
import type { Tx } from '../platform/db.ts';
import { notFound } from '../platform/errors.ts';
import type { Principal } from '../workspaces/roles.ts';
import * as repo from './customers.repo.ts';
import { toJsonb } from '../platform/text.ts';
import { ANONYMOUS_PREFIX, type EventInput, type UserInput, type UserView } from './customers.schema.ts';
import { eventPropertyTypesKnown, recordAttributeTypes, recordEventPropertyTypes, type AfterCommit } from './attributes.service.ts';
import * as catalog from './catalog.repo.ts';
import * as identities from './identities.repo.ts';
import { cachedWantedNames, enqueueEventHooks, wantedNames } from './event-hooks.ts';
import { cachedUserId, rememberUserIds } from './user-ids.cache.ts';

export { invalidateEventHooks, registerEventHook, type EventHook, type IngestedEvent } from './event-hooks.ts';

export { attributeTypes, cachedAttributeTypes, cachedEventPropertyTypes, eventPropertyTypes } from './attributes.service.ts';
export type { ValueType } from './attribute-types.ts';

/** True for the profile of an anonymous id not merged yet (externalId `$anon:<anonymousId>`). */
export const isAnonymousProfile = (externalId: string): boolean => externalId.startsWith(ANONYMOUS_PREFIX);

const TOP_LEVEL = ['phone', 'email', 'wechatOpenId', 'pushToken', 'platform'] as const;

/** Upserts up to 10,000 users; a repeated externalId in one call merges in order. New attribute names get an inferred type. */
export async function upsertUsers(p: Platform, who: Principal, users: UserInput[]): Promise<{ upserted: number }> {
  const { upserted, types } = await p.db.transaction().execute((tx) => upsertUsersIn(tx, who.workspaceId, users, p.clock.now()));
  types.afterCommit();
  return { upserted };
}

/**
 * The one upsert path (POST /v1/users and CSV imports) inside the caller's transaction; the
 * caller runs `types.afterCommit()` once it committed.
 */
export async function upsertUsersIn(tx: Tx, workspaceId: string, users: UserInput[], now: Date): Promise<{ upserted: number; types: AfterCommit }> {
  const merged = new Map<string, repo.UserRow>();
  for (const u of users) {
    const row = merged.get(u.externalId) ?? { externalId: u.externalId, fields: {}, attributes: {}, createdAt: null };
    for (const k of TOP_LEVEL) if (u[k] !== undefined) row.fields[k] = k === 'email' && u[k] ? u[k]!.toLowerCase() : u[k];
    Object.assign(row.attributes, u.attributes ?? {});
    if (u.createdAt) row.createdAt = new Date(u.createdAt);
    merged.set(u.externalId, row);
  }
  const rows = [...merged.values()].sort((a, b) => (a.externalId < b.externalId ? -1 : 1)); // stable lock order across concurrent batches
  const types = await recordAttributeTypes(tx, workspaceId, rows.map((r) => r.attributes), now);
  await repo.upsertUsers(tx, workspaceId, rows, now);
  return { upserted: rows.length, types };
}

/**
 * Ingests up to 10,000 events atomically. Unknown users are created (an unknown anonymousId
 * gets an anonymous profile); a repeated messageId is ignored; order_paid events also write the
 * order and the buyer's order stats; property types and per-name catalog counts are kept with
 * them. The common batch takes one statement (ingestInOneStatement), any other the general
 * transaction (ingestInTransaction); both store the same rows (ingest-paths.int.test.ts).
 */
export async function ingestEvents(p: Platform, who: Principal, events: EventInput[]): Promise<{ accepted: number; deduplicated: number }> {
  const now = p.clock.now();
  const wanted = await wantedNames(p, who.workspaceId);
  if (await ingestInOneStatement(p, who.workspaceId, events, wanted.all, now)) return { accepted: events.length, deduplicated: 0 };
  return ingestInTransaction(p, who.workspaceId, events, now);
}

/**
 * The general ingest path, for any batch: a transaction that resolves anonymous and known ids,
 * types new properties, stores events (ON CONFLICT when a messageId repeats), orders, catalog
 * counts and event-hook jobs. Exported for the test that holds both paths to the same result.
 */
export async function ingestInTransaction(p: Platform, ws: string, events: EventInput[], now: Date): Promise<{ accepted: number; deduplicated: number }> {
  const wanted = await wantedNames(p, ws);
  const hookedNames = [...wanted.all];
  const externalIds = new Set<string>();
  const anonymousIds = new Set<string>();
  for (const e of events) {
    if (e.externalId !== undefined) externalIds.add(e.externalId);
    else if (e.anonymousId !== undefined) anonymousIds.add(e.anonymousId);
  }
  const { result, types } = await p.db.transaction().execute(async (tx) => {
    // Anonymous ids first: an alias locks the same rows before any users row (identities.repo).
    const anon = anonymousIds.size ? await identities.resolveAnonymousIds(tx, ws, [...anonymousIds].sort(), now) : new Map<string, string>();
    const known = externalIds.size ? await repo.resolveUserIds(tx, ws, [...externalIds].sort(), now) : new Map<string, string>();
    const orders: repo.EventRow[] = [];
    const others: repo.EventRow[] = [];
    for (const e of events) {
      const row: repo.EventRow = {
        userId: e.externalId !== undefined ? known.get(e.externalId)! : anon.get(e.anonymousId!)!,
        name: e.name, ts: e.timestamp ?? now, properties: toJsonb(e.properties ?? {}), messageId: e.messageId ?? null,
      };
      (e.name === 'order_paid' ? orders : others).push(row);
    }
    const types = await recordEventPropertyTypes(tx, ws, events.map((e) => ({ name: e.name, properties: e.properties ?? {} })), now);
    const stored = await repo.insertEvents(tx, ws, others, hookedNames);
    const paid = await repo.insertOrderEvents(tx, ws, orders, hookedNames);
    const counts = stored.counts;
    for (const [name, n] of paid.counts) counts.set(name, (counts.get(name) ?? 0) + n);
    await catalog.addEventCounts(tx, ws, counts, now);
    await enqueueEventHooks(p, tx, ws, wanted, [...stored.hooked, ...paid.hooked]);
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    return { result: { accepted: events.length, deduplicated: events.length - total }, types };
  });
  types.afterCommit();
  return result;
}

/**
 * The common batch in one statement (repo.ingestKnownUsersInOneStatement): known users (or
 * users this creates first), no anonymous id, no name an event hook wants, no property name
 * new to this process, no repeated messageId. False when the batch needs the general path
 * above; nothing is stored then.
 *
 * Creating missing users before the statement, outside its atomicity, is the one difference
 * from the general path: if the statement then fails, those users exist with no events, as
 * they would once the client retries the batch.
 */
export async function ingestInOneStatement(p: Platform, ws: string, events: EventInput[], hooked: ReadonlySet<string>, now: Date): Promise<boolean> {
  for (const e of events) if (e.externalId === undefined || hooked.has(e.name)) return false;
  const rows = events as repo.KnownUserEvent[];
  if (!eventPropertyTypesKnown(ws, events.map((e) => ({ name: e.name, properties: e.properties ?? {} })))) return false;
  try {
    for (let attempt = 0; attempt < 2; attempt++) {
      const r = await repo.ingestKnownUsersInOneStatement(p.db, ws, rows, (externalId) => cachedUserId(ws, externalId), catalog.eventCountShard(), now);
      rememberUserIds(ws, r.resolved);
      if (r.stored) return true;
      await repo.createMissingUsers(p.db, ws, r.missing, now);
    }
    return false;
  } catch (err) {
    if ((err as { code?: string }).code === '23505') return false; // a repeated messageId: the general path skips it
    throw err;
  }
}

/**
 * Events the platform itself records ($message_sent, $h5_view, …) inside the caller's
 * transaction, with their property types and catalog counts. Given the platform `p`, event
 * hooks see them too (event-hooks.ts); delivery's own $message_* events pass none.
 */
export async function recordPlatformEvents(tx: Tx, workspaceId: string, rows: { userId: string; name: `$${string}`; ts: Date; properties: Record<string, unknown>; messageId?: string }[], p?: Platform): Promise<void> {
  if (rows.length === 0) return;
  const now = rows[0]!.ts;
  // The caller owns the transaction, so the names are remembered now; were it to roll back,
  // the cache entry expires within a minute and the next such event types them again.
  (await recordEventPropertyTypes(tx, workspaceId, rows, now)).afterCommit();
  const wanted = p ? await wantedNames(p, workspaceId) : undefined;
  const stored = await repo.insertEvents(tx, workspaceId, rows.map((r) => ({ userId: r.userId, name: r.name, ts: r.ts, properties: toJsonb(r.properties), messageId: r.messageId ?? null })), wanted ? [...wanted.all] : []);
  await catalog.addEventCounts(tx, workspaceId, stored.counts, now);
  if (p && wanted) await enqueueEventHooks(p, tx, workspaceId, wanted, stored.hooked);
}

/**
 * Platform events about many messages at once (delivery's `$message_sent`, `$message_delivered`,
 * `$message_failed`, thousands per batch), at one time: every row of a name has the same property
 * names, so their types are read off the first row of each name rather than every row, and the
 * rows go to the database as one JSON document. No messageId dedup key: each event is written in
 * the transaction that settles its message, which happens once. Event hooks do not see them
 * (as recordPlatformEvents without `p`).
 */
export async function recordMessageEvents(tx: Tx, workspaceId: string, ts: Date, rows: { userId: string; name: `$${string}`; properties: Record<string, unknown> }[]): Promise<void> {
  if (rows.length === 0) return;
  const firstOfName = new Map<string, (typeof rows)[number]>();
  for (const r of rows) if (!firstOfName.has(r.name)) firstOfName.set(r.name, r);
  (await recordEventPropertyTypes(tx, workspaceId, firstOfName.values(), ts)).afterCommit();
  await repo.insertEventsDocument(tx, workspaceId, ts, rows);
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(r.name, (counts.get(r.name) ?? 0) + 1);
  await catalog.addEventCounts(tx, workspaceId, counts, ts);
}

/**
 * The internal id of a known externalId when this process has seen it (user-ids.cache.ts: an id
 * never changes and a known user is never deleted), else undefined: a hot path that can use it
 * skips its lookup. Never for an anonymous profile's `$anon:` externalId, which a route may name
 * (a coupon grant's body does) but whose profile an alias deletes when it merges it.
 */
export const knownUserId = (workspaceId: string, externalId: string): string | undefined =>
  externalId.startsWith(ANONYMOUS_PREFIX) ? undefined : cachedUserId(workspaceId, externalId);

/** Remembers an id a hot path read itself, by an autocommitted statement (user-ids.cache.ts says why); an anonymous profile's is not kept. */
export function rememberUserId(workspaceId: string, externalId: string, id: string): void {
  if (!externalId.startsWith(ANONYMOUS_PREFIX)) rememberUserIds(workspaceId, [[externalId, id]]);
}

/**
 * For platform events another domain stores set-based in one statement that commits alone (no
 * transaction around it: the grant writer's batches, one round trip each): when that statement
 * only has to count them too — this process knows their property types are stored and no event
 * hook wants `name` — the body of a CTE that counts the rows of its CTE `storedCte` into the
 * catalog. Null otherwise: the caller then writes in a transaction and calls platformEventsStored.
 */
export async function inlineEventCounts(p: Platform, workspaceId: string, name: `$${string}`, sample: Record<string, unknown>, storedCte: string, now: Date) {
  if (!eventPropertyTypesKnown(workspaceId, [{ name, properties: sample }])) return null;
  return countsUnlessHooked(await wantedNames(p, workspaceId), workspaceId, name, storedCte, now);
}

/**
 * inlineEventCounts without waiting, for a caller that must not yield (PipelinedBatcher's
 * compile): undefined when what the event hooks want in the workspace is not cached — the
 * caller then takes its asynchronous path, which loads it.
 */
export function inlineEventCountsNow(workspaceId: string, name: `$${string}`, sample: Record<string, unknown>, storedCte: string, now: Date) {
  if (!eventPropertyTypesKnown(workspaceId, [{ name, properties: sample }])) return null;
  const wanted = cachedWantedNames(workspaceId);
  return wanted ? countsUnlessHooked(wanted, workspaceId, name, storedCte, now) : undefined;
}

/** The counting CTE, or null when an event hook wants `name` (its job must commit with the events, in a transaction). */
const countsUnlessHooked = (wanted: { all: ReadonlySet<string> }, workspaceId: string, name: string, storedCte: string, now: Date) =>
  wanted.all.has(name) ? null : catalog.eventCountsOf(workspaceId, name, storedCte, now);

/**
 * For platform events another domain stored set-based itself (the click folder writes thousands
 * of `$link_clicked` rows in one statement): their property types, catalog counts and event
 * hooks, as recordPlatformEvents would have kept them.
 */
export async function platformEventsStored(p: Platform, tx: Tx, workspaceId: string, name: `$${string}`, sample: Record<string, unknown>, ids: string[], now: Date): Promise<void> {
  if (ids.length === 0) return;
  (await recordEventPropertyTypes(tx, workspaceId, [{ name, properties: sample }], now)).afterCommit();
  await catalog.addEventCounts(tx, workspaceId, new Map([[name, ids.length]]), now);
  const wanted = await wantedNames(p, workspaceId);
  if (wanted.all.has(name)) await enqueueEventHooks(p, tx, workspaceId, wanted, ids.map((id) => ({ id, name })));
}

type UserRowDb = NonNullable<Awaited<ReturnType<typeof repo.userByExternalId>>>;
export const toView = (u: UserRowDb): UserView => ({
  externalId: u.externalId, phone: u.phone, email: u.email, wechatOpenId: u.wechatOpenId, pushToken: u.pushToken, platform: u.platform,
  attributes: u.attributes, createdAt: u.createdAt.toISOString(), updatedAt: u.updatedAt.toISOString(),
  firstOrderAt: u.firstOrderAt?.toISOString() ?? null, lastOrderAt: u.lastOrderAt?.toISOString() ?? null,
  orderCount: u.orderCount, orderTotal: Number(u.orderTotal),
});

/** A profile with the anonymous ids merged into it. Throws `not_found`. */
export async function getUser(p: Platform, workspaceId: string, externalId: string): Promise<UserView> {
  const u = await repo.userByExternalId(p.db, workspaceId, externalId);
  if (!u) throw notFound('User');
  return { ...toView(u), anonymousIds: await identities.anonymousIdsOf(p.db, workspaceId, u.id) };
}

/** Profiles by internal id, for rendering messages (delivery) — keyed by internal id. */
export async function profilesByIds(tx: Tx, workspaceId: string, ids: string[]) {
  const rows = ids.length ? await repo.usersByIds(tx, workspaceId, ids) : [];
  return new Map(rows.map((u) => [u.id, u]));
}

/** Recipients by internal id, for a delivery batch: only what a message needs (addresses, the template's `user`). */
export async function recipientsByIds(tx: Tx, workspaceId: string, ids: string[]) {
  const rows = ids.length ? await repo.recipientsByIds(tx, workspaceId, ids) : [];
  return new Map(rows.map((u) => [u.id, u]));
}

export async function internalId(tx: Tx, workspaceId: string, externalId: string): Promise<string> {
  const u = await repo.userByExternalId(tx, workspaceId, externalId);
  if (!u) throw notFound('User');
  return u.id;
}

export async function searchUsers(p: Platform, workspaceId: string, q: string | undefined, limit: number, cursor?: string) {
  const rows = await repo.searchUsers(p.db, workspaceId, q, limit, cursor);
  const page = rows.slice(0, limit);
  return { items: page.map(toView), nextCursor: rows.length > limit ? page[page.length - 1]!.id : null };
}

export async function userEvents(p: Platform, workspaceId: string, externalId: string, limit: number, cursor?: string, name?: string) {
  const id = await internalId(p.db, workspaceId, externalId);
  const rows = await repo.userEvents(p.db, workspaceId, id, limit, cursor, name);
  const page = rows.slice(0, limit);
  return {
    items: page.map((e) => ({ id: e.id, name: e.name, timestamp: e.ts.toISOString(), properties: e.properties, messageId: e.messageId })),
    nextCursor: rows.length > limit ? page[page.length - 1]!.id : null,
  };
}

export async function stats(p: Platform, workspaceId: string, todayStart: Date) {
  const [users, eventsToday] = await Promise.all([repo.countUsers(p.db, workspaceId), repo.countEventsSince(p.db, workspaceId, todayStart)]);
  return { users: Number(users), eventsToday: Number(eventsToday) };
}
