import { sql } from 'kysely';
import { z } from 'zod';
import type { Platform } from '../platform/context.ts';
import type { Tx } from '../platform/db.ts';

/**
 * Event hooks: other domains act on events as they arrive (trigger tasks, lottery chance rules,
 * referral rewards) without the customers domain knowing them.
 *
 * How an event reaches a hook, and why it is never lost nor handled twice by accident:
 * the ingest transaction that stores the events also enqueues one job per interested hook
 * naming the stored event ids, so the job exists exactly when the events do (a crash before
 * commit loses both, the client retries; after commit the job runs). A job may run again after
 * a crash or a failure, so `handle` must be idempotent per event id. Each hook has its own job:
 * one failing hook is retried without re-running the others.
 *
 * What a hook wants is asked on the ingest path, so it is cached per workspace for
 * WANTS_TTL_MS; a domain that changes what it wants calls `invalidateEventHooks` (same process
 * at once; other processes within the TTL).
 */
export interface IngestedEvent {
  id: string;
  workspaceId: string;
  userId: string;
  externalId: string;
  name: string;
  ts: Date;
  properties: Record<string, unknown>;
}

export interface EventHook {
  /** Unique, e.g. `delivery.triggers`. */
  name: string;
  /** Event names this hook wants in the workspace. */
  wants(p: Platform, workspaceId: string): Promise<ReadonlySet<string>>;
  /** Runs in a job after the ingest committed; may run again for the same events: be idempotent per event id. */
  handle(p: Platform, events: IngestedEvent[]): Promise<void>;
}

export const EVENT_HOOK_JOB = 'customers.event-hook';
const WANTS_TTL_MS = 2000;

const hooks = new Map<string, EventHook>();
interface Wanted {
  at: number;
  byHook: Map<string, ReadonlySet<string>>;
  all: ReadonlySet<string>;
}
const wantedCache = new Map<string, Wanted>();

/** Registers (or replaces) a hook; call it from the domain's register*Jobs(p). */
export function registerEventHook(hook: EventHook): void {
  hooks.set(hook.name, hook);
  wantedCache.clear();
}

/** Forget what hooks want in a workspace (call after a change that alters it). */
export function invalidateEventHooks(workspaceId: string): void {
  wantedCache.delete(workspaceId);
}

/** wantedNames when it is cached and fresh, else undefined (a synchronous caller then takes its asynchronous path). */
export function cachedWantedNames(workspaceId: string): Wanted | undefined {
  const hit = wantedCache.get(workspaceId);
  return hit && Date.now() - hit.at < WANTS_TTL_MS ? hit : undefined;
}

/** Per hook, the event names it wants in the workspace (cached; process time, not the business clock). */
export async function wantedNames(p: Platform, workspaceId: string): Promise<Wanted> {
  const hit = cachedWantedNames(workspaceId);
  if (hit) return hit;
  const byHook = new Map<string, ReadonlySet<string>>();
  const all = new Set<string>();
  for (const hook of hooks.values()) {
    const names = await hook.wants(p, workspaceId);
    if (names.size === 0) continue;
    byHook.set(hook.name, names);
    for (const n of names) all.add(n);
  }
  const fresh = { at: Date.now(), byHook, all };
  wantedCache.set(workspaceId, fresh);
  return fresh;
}

/** In the ingest transaction: one job per hook that wants some of the stored events. */
export async function enqueueEventHooks(p: Platform, tx: Tx, workspaceId: string, wanted: Wanted, stored: { id: string; name: string }[]): Promise<void> {
  if (stored.length === 0) return;
  for (const [hook, names] of wanted.byHook) {
    const eventIds = stored.filter((e) => names.has(e.name)).map((e) => e.id);
    // Jobs stay small: a 10,000-event batch becomes several jobs of at most 1,000 ids.
    for (let i = 0; i < eventIds.length; i += 1000) {
      await p.jobs.enqueue(tx, EVENT_HOOK_JOB, { hook, workspaceId, eventIds: eventIds.slice(i, i + 1000) });
    }
  }
}

const hookPayload = z.object({ hook: z.string(), workspaceId: z.string(), eventIds: z.array(z.string().regex(/^\d+$/)).max(1000) });

export function registerEventHookJob(p: Platform): void {
  p.jobs.define({
    name: EVENT_HOOK_JOB,
    payload: hookPayload,
    handle: async ({ hook, workspaceId, eventIds }) => {
      const h = hooks.get(hook);
      // A hook that no longer exists (a domain removed it in a newer version) has nothing to do.
      if (!h) return p.log.warn({ hook }, 'event hook job for an unknown hook; skipped');
      const r = await sql<Omit<IngestedEvent, 'id' | 'userId'> & { id: string | number; userId: string | number }>`
        select e.id, e.workspace_id, e.user_id, u.external_id, e.name, e.ts, e.properties
        from events e join users u on u.id = e.user_id
        where e.workspace_id = ${workspaceId} and e.id = any(${eventIds}::bigint[])
        order by e.ts, e.id`.execute(p.db);
      const events = r.rows.map((e) => ({ ...e, id: String(e.id), userId: String(e.userId) }));
      if (events.length > 0) await h.handle(p, events);
    },
  });
}
