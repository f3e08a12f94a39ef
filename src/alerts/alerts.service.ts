import { TtlCache } from '../platform/ttl-cache.ts';
import type { Platform } from '../platform/context.ts';
import type { Tx } from '../platform/db.ts';
import { AppError, notFound } from '../platform/errors.ts';
import { newId } from '../platform/ids.ts';
import { badCursor, decodeCursor, page } from '../platform/cursor.ts';
import { httpCall } from '../channels/http-call.ts';
import { isPrivateUrl } from '../channels/webhook/private-address.ts';
import type { Principal } from '../workspaces/roles.ts';
import * as workspaces from '../workspaces/workspaces.service.ts';
import * as repo from './alerts.repo.ts';

/**
 * Loss monitoring (docs/rewards.md "Alerts and kill switches"): alerts in the console and
 * POSTed to the workspace's alert webhook; kill switches that stop a coupon template, lottery,
 * campaign, points or referrals at once; per-minute monitors other domains register.
 */

export type Severity = 'info' | 'warning' | 'critical';
export type Subject = { type: 'coupon_template' | 'lottery' | 'campaign' | 'points' | 'referral'; id: string };
export interface AlertInput {
  workspaceId: string; kind: string; severity: Severity; subject: Subject; message: string; data?: object;
  /** One alert per key: a monitor that finds the same problem every minute raises it once. */
  dedupKey?: string;
}

export const NOTIFY_JOB = 'alerts.notify';
export const MONITOR_JOB = 'alerts.monitor';

/** Raises an alert in its own transaction (and queues its webhook notification). */
export async function raiseAlert(p: Platform, a: AlertInput): Promise<void> {
  await p.db.transaction().execute((tx) => raiseAlertIn(p, tx, a));
}

/** Raises an alert inside the caller's transaction: the alert and its notification commit with the caller's change. Returns false when deduplicated. */
export async function raiseAlertIn(p: Platform, tx: Tx, a: AlertInput): Promise<boolean> {
  const row = await repo.insertAlert(tx, a.workspaceId, {
    id: newId('alr'), kind: a.kind, severity: a.severity, subjectType: a.subject.type, subjectId: a.subject.id, message: a.message,
    data: a.data ?? {}, dedupKey: a.dedupKey ?? null, now: p.clock.now(),
  });
  if (!row) return false;
  p.log.warn({ workspaceId: a.workspaceId, kind: a.kind, subject: a.subject }, `alert: ${a.message}`);
  await p.jobs.enqueue(tx, NOTIFY_JOB, { workspaceId: a.workspaceId, alertId: row.id }, { maxAttempts: 5 });
  return true;
}

const view = (r: repo.AlertRow) => ({
  id: r.id, kind: r.kind, severity: r.severity as Severity, subject: { type: r.subjectType, id: r.subjectId }, message: r.message, data: r.data,
  notifiedAt: r.notifiedAt?.toISOString() ?? null, ackedBy: r.ackedBy, ackedAt: r.ackedAt?.toISOString() ?? null, createdAt: r.createdAt.toISOString(),
});

export async function listAlerts(p: Platform, workspaceId: string, q: { limit: number; cursor?: string; acked?: boolean; kind?: string }) {
  return page(await repo.listAlerts(p.db, workspaceId, q.limit, { acked: q.acked, kind: q.kind }, decodeCursor(q.cursor)), q.limit, view);
}

/** Acknowledges an alert (idempotent: acking twice keeps the first ack). Throws `not_found`. */
export async function ackAlert(p: Platform, who: Principal, id: string) {
  return p.db.transaction().execute(async (tx) => {
    const now = p.clock.now();
    const acked = await repo.ackAlert(tx, who.workspaceId, id, who.actor, now);
    if (acked) await workspaces.audit(tx, who, 'alert.ack', 'alert', id, {}, now);
    const row = acked ?? (await repo.alertById(tx, who.workspaceId, id));
    if (!row) throw notFound('Alert');
    return view(row);
  });
}

// ---- Kill switches -------------------------------------------------------------------------

// The grant and draw paths read kill switches on every call; a process keeps each workspace's
// set for at most this long. A switch set through this process applies at once (the cache is
// dropped); another API process sees it within KILL_CACHE_MS.
const KILL_CACHE_MS = 1000;
const killCache = new TtlCache<ReadonlySet<string>>(KILL_CACHE_MS);

function killedSet(p: Platform, workspaceId: string): Promise<ReadonlySet<string>> {
  // cache freshness is process wall time, not domain time
  return killCache.get(workspaceId, async () => new Set((await repo.killSwitches(p.db, workspaceId)).map((r) => `${r.subjectType}:${r.subjectId}`)));
}

/** Throws AppError('killed') when any subject has a kill switch on. */
export async function assertNotKilled(p: Platform, workspaceId: string, subjects: { type: string; id: string }[]): Promise<void> {
  const set = await killedSet(p, workspaceId);
  if (set.size === 0) return;
  for (const s of subjects) {
    if (set.has(`${s.type}:${s.id}`)) throw new AppError('killed', `This ${s.type.replace('_', ' ')} was stopped by a kill switch.`, [{ path: s.type, message: s.id }]);
  }
}

export async function isKilled(p: Platform, workspaceId: string, subject: { type: string; id: string }): Promise<boolean> {
  return (await killedSet(p, workspaceId)).has(`${subject.type}:${subject.id}`);
}

const killView = (k: { subjectType: string; subjectId: string; reason: string | null; createdBy: string; createdAt: Date }) =>
  ({ type: k.subjectType, id: k.subjectId, reason: k.reason, createdBy: k.createdBy, createdAt: k.createdAt.toISOString() });

/**
 * Kill switches that are on, newest first. The cursor packs the key after the time as
 * `type:id` (a type never holds a colon; the id may hold anything).
 */
export async function listKillSwitches(p: Platform, workspaceId: string, limit: number, cursor?: string) {
  const c = decodeCursor(cursor);
  let before: repo.KillSwitchCursor | undefined;
  if (c) {
    const colon = c.id.indexOf(':');
    if (colon < 1) throw badCursor();
    before = { createdAt: c.createdAt, subjectType: c.id.slice(0, colon), subjectId: c.id.slice(colon + 1) };
  }
  const rows = await repo.listKillSwitches(p.db, workspaceId, limit, before);
  return page(rows.map((r) => ({ ...r, id: `${r.subjectType}:${r.subjectId}` })), limit, killView);
}

/** Turns a kill switch on (idempotent), with an audit row and an alert. */
export async function kill(p: Platform, who: Principal, subject: Subject, reason?: string) {
  const row = await p.db.transaction().execute(async (tx) => {
    const now = p.clock.now();
    const inserted = await repo.insertKillSwitch(tx, who.workspaceId, { subjectType: subject.type, subjectId: subject.id, reason: reason ?? null, createdBy: who.actor, now });
    if (inserted) {
      await workspaces.audit(tx, who, 'kill_switch.on', subject.type, subject.id, { reason: reason ?? null }, now);
      await raiseAlertIn(p, tx, { workspaceId: who.workspaceId, kind: 'kill_switch', severity: 'critical', subject, message: `Kill switch on for ${subject.type} ${subject.id} by ${who.actor}.`, data: { reason: reason ?? null } });
    }
    return inserted ?? (await repo.killSwitches(tx, who.workspaceId)).find((k) => k.subjectType === subject.type && k.subjectId === subject.id)!;
  });
  killCache.delete(who.workspaceId);
  return killView(row);
}

export async function unkill(p: Platform, who: Principal, subject: Subject): Promise<{ removed: boolean }> {
  const removed = await p.db.transaction().execute(async (tx) => {
    const r = await repo.deleteKillSwitch(tx, who.workspaceId, subject.type, subject.id);
    const n = Number(r.numDeletedRows);
    if (n > 0) await workspaces.audit(tx, who, 'kill_switch.off', subject.type, subject.id, {}, p.clock.now());
    return n > 0;
  });
  killCache.delete(who.workspaceId);
  return { removed };
}

// ---- Notification settings -----------------------------------------------------------------

export async function getSettings(p: Platform, workspaceId: string) {
  const s = await repo.settings(p.db, workspaceId);
  return { webhookUrl: s?.webhookUrl ?? null, allowPrivateNetworks: s?.allowPrivateNetworks ?? false, updatedAt: s?.updatedAt.toISOString() ?? null };
}

export async function putSettings(p: Platform, who: Principal, input: { webhookUrl: string | null; allowPrivateNetworks: boolean }) {
  return p.db.transaction().execute(async (tx) => {
    const now = p.clock.now();
    const s = await repo.putSettings(tx, who.workspaceId, { ...input, updatedBy: who.actor, now });
    await workspaces.audit(tx, who, 'alert_settings.put', 'workspace', who.workspaceId, { webhookUrl: input.webhookUrl }, now);
    return { webhookUrl: s.webhookUrl, allowPrivateNetworks: s.allowPrivateNetworks, updatedAt: s.updatedAt.toISOString() };
  });
}

/** Job: POST one alert to the workspace's alert webhook. A non-2xx or network failure throws, so the job retries (up to 5 attempts). */
export async function notify(p: Platform, workspaceId: string, alertId: string): Promise<void> {
  const s = await repo.settings(p.db, workspaceId);
  const alert = await repo.alertById(p.db, workspaceId, alertId);
  if (!alert || alert.notifiedAt || !s?.webhookUrl) return;
  if (!s.allowPrivateNetworks && (await isPrivateUrl(s.webhookUrl))) {
    p.log.warn({ workspaceId }, 'alert webhook refused: private address (set allowPrivateNetworks to allow)');
    return;
  }
  const body = JSON.stringify({ type: 'alert', workspaceId, alert: view(alert) });
  const r = await httpCall(s.webhookUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body, timeoutMs: 5000 });
  if (!r.ok || r.status < 200 || r.status >= 300) throw new Error(`alert webhook: ${r.ok ? `status ${r.status}` : r.error}`);
  await repo.markNotified(p.db, workspaceId, alertId, p.clock.now());
}

// ---- Monitors -------------------------------------------------------------------------------

type RateSource = (p: Platform, workspaceId: string, from: Date, to: Date) => Promise<{ subject: { type: string; id: string }; count: number }[]>;
type Monitor = (p: Platform, workspaceId: string, now: Date) => Promise<void>;
const rateSources = new Map<string, RateSource>();
const monitors = new Map<string, Monitor>();

/** A count of actions (grants, draws) per subject in [from, to): the rate monitor compares the last minute with the hour before. */
export function registerRateSource(name: string, fn: RateSource): void {
  rateSources.set(name, fn);
}

/** A check run every minute per workspace (it raises its own alerts, deduplicated by key). */
export function registerMonitor(name: string, fn: Monitor): void {
  monitors.set(name, fn);
}

/** A minute is "far above the recent rate" when it has at least RATE_MIN actions and more than RATE_FACTOR × the average minute of the hour before. */
export const RATE_MIN = 30;
export const RATE_FACTOR = 10;
const MINUTE = 60_000;

export async function checkRates(p: Platform, workspaceId: string, now: Date): Promise<void> {
  const from = new Date(now.getTime() - MINUTE);
  const hourAgo = new Date(from.getTime() - 60 * MINUTE);
  for (const [name, source] of rateSources) {
    const [current, before] = await Promise.all([source(p, workspaceId, from, now), source(p, workspaceId, hourAgo, from)]);
    const baseline = new Map(before.map((b) => [`${b.subject.type}:${b.subject.id}`, b.count / 60]));
    for (const c of current) {
      const avg = baseline.get(`${c.subject.type}:${c.subject.id}`) ?? 0;
      if (c.count < RATE_MIN || c.count <= RATE_FACTOR * Math.max(avg, 1)) continue;
      await raiseAlert(p, {
        workspaceId, kind: 'rate_spike', severity: 'warning', subject: c.subject as Subject,
        message: `${name}: ${c.count} in the last minute against ${avg.toFixed(1)} a minute over the hour before.`,
        data: { source: name, count: c.count, averagePerMinute: avg }, dedupKey: `rate:${name}:${c.subject.type}:${c.subject.id}:${Math.floor(now.getTime() / MINUTE)}`,
      });
    }
  }
}

/** Runs every registered monitor and the rate check for every workspace (the per-minute cron). */
export async function runMonitors(p: Platform, onlyWorkspace?: string): Promise<void> {
  const now = p.clock.now();
  const ids = onlyWorkspace ? [onlyWorkspace] : await repo.allWorkspaceIds(p.db);
  for (const ws of ids) {
    for (const [name, m] of monitors) {
      try {
        await m(p, ws, now);
      } catch (err) {
        p.log.error({ err, workspaceId: ws, monitor: name }, 'monitor failed');
      }
    }
    await checkRates(p, ws, now);
  }
}
