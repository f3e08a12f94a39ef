import type { Platform } from '../platform/context.ts';
import type { Tx } from '../platform/db.ts';
import type { Channel } from '../channels/channels.schema.ts';
import * as customers from '../customers/customers.service.ts';
import type { Principal } from '../workspaces/roles.ts';
import * as workspaces from '../workspaces/workspaces.service.ts';
import * as repo from './policies.repo.ts';
import { TtlCache } from '../platform/ttl-cache.ts';
import { DEFAULT_RETRIES, DEFAULT_SMS_OPT_OUT, storedPolicy, type DeliveryPolicy, type DeliveryPolicyInput } from './policies.schema.ts';

/**
 * Anti-disturbance settings of a workspace: the delivery policy (caps, quiet hours),
 * unsubscribes and the blacklist. Delivery reads them at send time through `policyFor` and
 * `suppressionsFor`; docs/delivery.md says in which order they are checked.
 */

const empty: DeliveryPolicy = { global: null, channels: {}, quietHours: null, smsOptOut: DEFAULT_SMS_OPT_OUT, retries: DEFAULT_RETRIES };

/** The workspace's policy and timezone (quiet hours and cap days are read in it). */
export async function policyFor(tx: Tx, workspaceId: string): Promise<DeliveryPolicy & { timezone: string; updatedAt: Date | null }> {
  const [row, ws] = await Promise.all([repo.policyOf(tx, workspaceId), workspaces.settings(tx, workspaceId)]);
  const policy = row ? storedPolicy.parse(row.policy) : empty;
  return { ...policy, timezone: ws.timezone, updatedAt: row?.updatedAt ?? null };
}

export async function getPolicy(p: Platform, workspaceId: string) {
  const pol = await policyFor(p.db, workspaceId);
  return { global: pol.global, channels: pol.channels, quietHours: pol.quietHours, smsOptOut: pol.smsOptOut, retries: pol.retries, timezone: pol.timezone, updatedAt: pol.updatedAt?.toISOString() ?? null };
}

/** Replaces the policy (absent parts are off); audited. */
export async function putPolicy(p: Platform, who: Principal, input: DeliveryPolicyInput) {
  const policy: DeliveryPolicy = { global: input.global ?? null, channels: input.channels ?? {}, quietHours: input.quietHours ?? null, smsOptOut: input.smsOptOut ?? DEFAULT_SMS_OPT_OUT, retries: input.retries ?? DEFAULT_RETRIES };
  await p.db.transaction().execute(async (tx) => {
    const now = p.clock.now();
    await repo.upsertPolicy(tx, who.workspaceId, policy, who.actor, now);
    await workspaces.audit(tx, who, 'policy.update', 'delivery_policy', who.workspaceId, policy, now);
  });
  return getPolicy(p, who.workspaceId);
}

/** Unsubscribes a user from one channel, or from every channel without one; records `$unsubscribed`. Throws `not_found`. */
export async function unsubscribe(p: Platform, who: Principal, externalId: string, channel?: Channel) {
  return p.db.transaction().execute(async (tx) => {
    const userId = await customers.internalId(tx, who.workspaceId, externalId);
    const now = p.clock.now();
    await repo.addUnsubscribe(tx, who.workspaceId, externalId, channel ?? '*', now);
    await customers.recordPlatformEvents(tx, who.workspaceId, [{ userId, name: '$unsubscribed', ts: now, properties: { channel: channel ?? 'all' } }]);
    return subscriptionView(tx, who.workspaceId, externalId);
  });
}

/** Undoes unsubscribes: one channel, or all of them (the "every channel" one included) without one. Throws `not_found`. */
export async function resubscribe(p: Platform, who: Principal, externalId: string, channel?: Channel) {
  return p.db.transaction().execute(async (tx) => {
    await customers.internalId(tx, who.workspaceId, externalId);
    await repo.removeUnsubscribe(tx, who.workspaceId, externalId, channel ?? null);
    return subscriptionView(tx, who.workspaceId, externalId);
  });
}

/** Which channels a user has left ('*' = all). Throws `not_found`. */
export async function unsubscribed(p: Platform, workspaceId: string, externalId: string) {
  await customers.internalId(p.db, workspaceId, externalId);
  return subscriptionView(p.db, workspaceId, externalId);
}

async function subscriptionView(tx: Tx, workspaceId: string, externalId: string) {
  const rows = await repo.unsubscribesOf(tx, workspaceId, [externalId]);
  return { externalId, channels: rows.map((r) => r.channel as Channel | '*').sort() };
}

/** Blacklists externalIds (known users or not yet); idempotent. */
export async function addToBlacklist(p: Platform, who: Principal, externalIds: string[]) {
  const ids = [...new Set(externalIds)];
  await p.db.transaction().execute(async (tx) => {
    const now = p.clock.now();
    await repo.addToBlacklist(tx, who.workspaceId, ids, who.actor, now);
    await workspaces.audit(tx, who, 'blacklist.add', 'blacklist', who.workspaceId, { count: ids.length, sample: ids.slice(0, 20) }, now);
  });
  blacklistSnapshots.delete(who.workspaceId);
  return { added: ids.length };
}

export async function removeFromBlacklist(p: Platform, who: Principal, externalIds: string[]) {
  const ids = [...new Set(externalIds)];
  const removed = await p.db.transaction().execute(async (tx) => {
    const r = await repo.removeFromBlacklist(tx, who.workspaceId, ids);
    await workspaces.audit(tx, who, 'blacklist.remove', 'blacklist', who.workspaceId, { count: ids.length, sample: ids.slice(0, 20) }, p.clock.now());
    return Number(r[0]?.numDeletedRows ?? 0);
  });
  blacklistSnapshots.delete(who.workspaceId);
  return { removed };
}

// The API grant of a user whose internal id this process knows reads no row for the blacklist:
// it checks this snapshot of the workspace's blacklist, at most BLACKLIST_SNAPSHOT_MS old (a
// change through this process drops it at once). The grant's write checks the blacklist row
// again in its own statement (coupons.repo.ts insertGrantedCoupons), so a user blacklisted
// through another process since the snapshot is refused there, counters given back. A
// workspace with more than BLACKLIST_SNAPSHOT_MAX entries has no snapshot (null): its grants
// read the blacklist with the user, as before.
const BLACKLIST_SNAPSHOT_MS = 1000;
const BLACKLIST_SNAPSHOT_MAX = 10_000;
const blacklistSnapshots = new TtlCache<ReadonlySet<string> | null>(BLACKLIST_SNAPSHOT_MS);

/** The workspace's blacklisted externalIds, at most a second old; null when it holds more than BLACKLIST_SNAPSHOT_MAX. */
export function blacklistSnapshot(p: Platform, workspaceId: string): Promise<ReadonlySet<string> | null> {
  // cache freshness is process wall time, not domain time
  return blacklistSnapshots.get(workspaceId, async () => {
    const ids = await repo.blacklistUpTo(p.db, workspaceId, BLACKLIST_SNAPSHOT_MAX + 1);
    return ids.length > BLACKLIST_SNAPSHOT_MAX ? null : new Set(ids);
  });
}

export async function listBlacklist(p: Platform, workspaceId: string, limit: number, cursor?: string) {
  const rows = await repo.listBlacklist(p.db, workspaceId, limit, cursor);
  const items = rows.slice(0, limit);
  return { items: items.map((r) => ({ externalId: r.externalId, createdAt: r.createdAt.toISOString() })), nextCursor: rows.length > limit ? items[items.length - 1]!.externalId : null };
}

/** For a batch of recipients: who is blacklisted, and which channels each has left ('*' = all). */
export async function suppressionsFor(tx: Tx, workspaceId: string, externalIds: string[]) {
  const [black, unsub] = await Promise.all([repo.blacklisted(tx, workspaceId, externalIds), repo.unsubscribesOf(tx, workspaceId, externalIds)]);
  const blackSet = new Set(black.map((b) => b.externalId));
  const unsubscribed = new Map<string, Set<string>>();
  for (const u of unsub) {
    let s = unsubscribed.get(u.externalId);
    if (!s) unsubscribed.set(u.externalId, (s = new Set()));
    s.add(u.channel);
  }
  return {
    isBlacklisted: (externalId: string) => blackSet.has(externalId),
    isUnsubscribed: (externalId: string, channel: Channel) => { const s = unsubscribed.get(externalId); return !!s && (s.has('*') || s.has(channel)); },
  };
}
