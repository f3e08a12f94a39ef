import { sql } from 'kysely';
import { z } from 'zod';
import type { Platform } from '../platform/context.ts';
import type { Tx } from '../platform/db.ts';
import { AppError, notFound } from '../platform/errors.ts';
import { TtlCache } from '../platform/ttl-cache.ts';
import { newId } from '../platform/ids.ts';
import { badCursor, decodeCursor, page } from '../platform/cursor.ts';
import { can, type Principal } from '../workspaces/roles.ts';
import * as customers from '../customers/customers.service.ts';
import * as workspaces from '../workspaces/workspaces.service.ts';
import { nextDailyRun } from './daily-schedule.ts';
import { compile, type CompileContext, type SegmentTarget } from './definition.compiler.ts';
import { invalid, type Path } from './definition-errors.ts';
import type { ValueType } from './definition-values.compiler.ts';
import { isSqlDefinition, type Definition } from './definition.schema.ts';
import { previewSql, sqlMemberIds, validateSql } from './segment-sql.service.ts';
import * as repo from './segments.repo.ts';
import { DEFAULT_REFRESH_AT, type HistoryPointView, type PatchSegmentInput, type RefreshMode, type SegmentKind, type SegmentView } from './segments.schema.ts';
import { refreshDueSegments } from './segment-refresh.service.ts';
import { buildSnapshotSet, evaluateSetExpression } from './set-operations.service.ts';
import { cardinality, idsOf, parseIdArray } from './snapshot-sets.ts';

// A segment computation is one SQL statement; this bounds it so a runaway definition fails
// with a clear error instead of holding a connection forever.
const COMPUTE_TIMEOUT_MS = 10 * 60_000;
const PREVIEW_TIMEOUT_MS = 15_000;

export type SegmentRow = NonNullable<Awaited<ReturnType<typeof repo.segmentById>>>;
export const view = (s: SegmentRow): SegmentView => ({
  id: s.id, name: s.name, kind: s.kind as SegmentKind, definition: s.definition, refresh: s.refresh as RefreshMode, refreshAt: s.refreshAt,
  status: s.status as SegmentView['status'], count: s.count, computedAt: s.computedAt?.toISOString() ?? null, error: s.error, createdAt: s.createdAt.toISOString(),
});

const kindOf = (d: Definition): SegmentKind => (isSqlDefinition(d) ? 'sql' : 'definition');

/**
 * Who may author what: SQL reads raw rows (phones, emails) of the whole workspace, so it needs
 * the export right (admin, analyst); every other segment needs write (admin, operator).
 */
function assertMayAuthor(who: Principal, kind: SegmentKind): void {
  const needed = kind === 'sql' ? 'export' : 'write';
  if (!can(who.role, needed)) {
    throw new AppError('forbidden', kind === 'sql' ? `Role ${who.role} may not write SQL segments (admin and analyst may).` : `Role ${who.role} may not do this (needs write).`);
  }
}

/** Where the compiler reads the workspace timezone and the types of attributes and event properties. */
interface TypeSource {
  timezone(): Promise<string>;
  attributeTypes(): Promise<Map<string, ValueType>>;
  propertyTypes(event: string): Promise<Map<string, ValueType>>;
}

/** Read now, in the caller's transaction (computations, previews, saving a definition). */
const freshTypes = (tx: Tx, workspaceId: string): TypeSource => ({
  timezone: async () => (await workspaces.settings(tx, workspaceId)).timezone,
  attributeTypes: () => customers.attributeTypes(tx, workspaceId),
  propertyTypes: (event) => customers.eventPropertyTypes(tx, workspaceId, event),
});

/**
 * From per-process caches, for the single-user evaluation: triggers and journeys ask once per
 * event, and two reads before each query were two of its three round trips (a changed type is
 * seen through this process at once, through another within seconds; the timezone within a
 * minute, as the reward paths read it).
 */
const TIMEZONE_CACHE_MS = 60_000;
const timezoneCache = new TtlCache<string>(TIMEZONE_CACHE_MS);
const cachedTypes = (p: Platform, workspaceId: string): TypeSource => ({
  timezone: () => timezoneCache.get(workspaceId, async () => (await workspaces.settings(p.db, workspaceId)).timezone),
  attributeTypes: () => customers.cachedAttributeTypes(p, workspaceId),
  propertyTypes: (event) => customers.cachedEventPropertyTypes(p, workspaceId, event),
});

async function compileContext(tx: Tx, workspaceId: string, now: Date, types: TypeSource, userId?: string): Promise<CompileContext> {
  // Started together with the timezone (on the pool they run side by side).
  const attributeTypes = types.attributeTypes();
  attributeTypes.catch(() => undefined); // awaited below only when an attribute needs it
  const timezone = await types.timezone();
  const propertyTypes = new Map<string, Promise<Map<string, ValueType>>>();
  return {
    workspaceId, timezone, now, userId,
    segment: async (id): Promise<SegmentTarget | null> => {
      const s = await repo.segmentById(tx, workspaceId, id);
      if (!s) return null;
      if (s.currentSnapshotId) return { kind: 'snapshot', snapshotId: s.currentSnapshotId };
      return s.kind === 'definition' ? { kind: 'definition', definition: s.definition as Definition } : { kind: 'pending' };
    },
    attributeType: async (name) => (await attributeTypes).get(name),
    propertyType: async (event, prop) => {
      let known = propertyTypes.get(event);
      if (!known) propertyTypes.set(event, (known = types.propertyTypes(event)));
      return (await known).get(prop);
    },
  };
}

/** Compiles a definition for this workspace now; throws `validation_failed` naming the bad path. */
async function predicate(tx: Tx, workspaceId: string, definition: Definition, now: Date, types = freshTypes(tx, workspaceId), userId?: string) {
  return compile(definition, await compileContext(tx, workspaceId, now, types, userId));
}

/** Every {"segment": id} of a definition with where it sits. */
function referencesOf(def: Definition, path: Path, out: { id: string; path: Path }[] = []): { id: string; path: Path }[] {
  if ('all' in def) def.all.forEach((d, i) => referencesOf(d, [...path, 'all', i], out));
  else if ('any' in def) def.any.forEach((d, i) => referencesOf(d, [...path, 'any', i], out));
  else if ('not' in def) referencesOf(def.not, [...path, 'not'], out);
  else if ('segment' in def) out.push({ id: def.segment, path: [...path, 'segment'] });
  else if ('lookalike' in def) out.push({ id: def.lookalike.segment, path: [...path, 'lookalike', 'segment'] });
  return out;
}

/**
 * Rejects a definition for segment `selfId` whose references lead back to it, naming the
 * reference that starts the cycle. Walks stored definitions breadth-first.
 */
async function assertNoCycle(tx: Tx, workspaceId: string, selfId: string, definition: Definition): Promise<void> {
  const refs = referencesOf(definition, ['definition']);
  if (refs.length > 0) await repo.lockReferenceGraph(tx, workspaceId);
  for (const ref of refs) {
    const parent = new Map<string, string | null>([[ref.id, null]]);
    let frontier = ref.id === selfId ? [] : [ref.id];
    while (frontier.length > 0) {
      if (parent.has(selfId)) break;
      const next: string[] = [];
      for (const row of await repo.definitionsOf(tx, workspaceId, frontier)) {
        if (row.kind !== 'definition') continue;
        for (const r of referencesOf(row.definition as Definition, [])) {
          if (parent.has(r.id)) continue;
          parent.set(r.id, row.id);
          next.push(r.id);
        }
      }
      frontier = next;
    }
    if (ref.id === selfId || parent.has(selfId)) {
      const chain: string[] = [];
      if (ref.id === selfId) chain.push(selfId);
      else for (let at: string | null | undefined = selfId; at; at = parent.get(at)) chain.unshift(at);
      invalid(ref.path, `This reference makes a cycle: ${[selfId, ...chain].join(' → ')}.`);
    }
  }
}

/**
 * Checks a definition compiles here (SQL is checked by checkSql before the transaction: the
 * sandbox takes a connection of its own, and waiting for a second connection while holding
 * one could exhaust the pool under load).
 */
async function validateDefinition(tx: Tx, workspaceId: string, definition: Definition, now: Date): Promise<void> {
  if (!isSqlDefinition(definition)) await predicate(tx, workspaceId, definition, now);
}

/** Runs an SQL definition in the sandbox with LIMIT 0: parse errors and forbidden reads are 400s now, not a failed segment later. */
async function checkSql(p: Platform, workspaceId: string, definition: Definition | undefined): Promise<void> {
  if (definition && isSqlDefinition(definition)) await validateSql(p, workspaceId, definition);
}

async function nextRefreshAt(tx: Tx, workspaceId: string, refresh: string, refreshAt: string, now: Date): Promise<Date | null> {
  if (refresh !== 'daily') return null;
  return nextDailyRun(now, refreshAt, (await workspaces.settings(tx, workspaceId)).timezone);
}

/**
 * Creates a segment and queues its first computation in the same transaction.
 * Throws `validation_failed`, `forbidden`, and for SQL `segment_sql_invalid` / `segment_sql_timeout`.
 */
export async function createSegment(p: Platform, who: Principal, input: { name: string; definition: Definition; refresh: string; refreshAt?: string }): Promise<SegmentView> {
  const kind = kindOf(input.definition);
  assertMayAuthor(who, kind);
  await checkSql(p, who.workspaceId, input.definition);
  return p.db.transaction().execute(async (tx) => {
    const now = p.clock.now();
    await validateDefinition(tx, who.workspaceId, input.definition, now); // reject a bad definition before storing it
    const refreshAt = input.refreshAt ?? DEFAULT_REFRESH_AT;
    const row = await repo.insertSegment(tx, who.workspaceId, {
      id: newId('seg'), name: input.name, kind, definition: input.definition, refresh: input.refresh, refreshAt,
      nextRefreshAt: await nextRefreshAt(tx, who.workspaceId, input.refresh, refreshAt, now), status: 'computing', createdBy: who.actor, now,
    });
    await p.jobs.enqueue(tx, 'segments.compute', { workspaceId: who.workspaceId, segmentId: row.id, reason: 'create' }, { jobKey: `segment:${row.id}` });
    await workspaces.audit(tx, who, 'segment.create', 'segment', row.id, { name: input.name, kind }, now);
    return view(row);
  });
}

/**
 * Changes a segment's name, definition, refresh mode or daily time; a new definition is
 * recomputed. Throws `not_found`, `forbidden`, `validation_failed` (including a reference
 * cycle, naming the reference) and `invalid_state` (a frozen or list segment's definition).
 */
export async function patchSegment(p: Platform, who: Principal, id: string, patch: PatchSegmentInput): Promise<SegmentView> {
  if (patch.definition !== undefined) assertMayAuthor(who, kindOf(patch.definition));
  await checkSql(p, who.workspaceId, patch.definition);
  return p.db.transaction().execute(async (tx) => {
    const now = p.clock.now();
    const s = await repo.segmentForUpdate(tx, who.workspaceId, id);
    if (!s) throw notFound('Segment');
    assertMayAuthor(who, s.kind as SegmentKind);
    const changes: repo.SegmentChanges = {};
    if (patch.name !== undefined) changes.name = patch.name;
    const touchesContent = patch.definition !== undefined || (patch.refresh !== undefined && patch.refresh !== s.refresh) || patch.refreshAt !== undefined;
    if (s.kind === 'list' && touchesContent) {
      throw new AppError('invalid_state', 'An uploaded list is static: only its name can change. Upload a new list instead.');
    }
    if (s.refresh === 'once' && touchesContent) {
      throw new AppError('invalid_state', 'A segment with refresh "once" is frozen: only its name can change. Create a new segment instead.');
    }
    if (patch.definition !== undefined) {
      const kind = kindOf(patch.definition);
      if (kind === 'definition') await assertNoCycle(tx, who.workspaceId, id, patch.definition);
      await validateDefinition(tx, who.workspaceId, patch.definition, now);
      Object.assign(changes, { kind, definition: patch.definition, status: 'computing' });
    }
    const refresh = patch.refresh ?? s.refresh;
    const refreshAt = patch.refreshAt ?? s.refreshAt;
    if (patch.refresh !== undefined) changes.refresh = patch.refresh;
    if (patch.refreshAt !== undefined) changes.refreshAt = patch.refreshAt;
    if (patch.refresh !== undefined || patch.refreshAt !== undefined) {
      changes.nextRefreshAt = await nextRefreshAt(tx, who.workspaceId, refresh, refreshAt, now);
    }
    const row = await repo.updateSegment(tx, who.workspaceId, id, changes, now);
    if (patch.definition !== undefined) {
      await p.jobs.enqueue(tx, 'segments.compute', { workspaceId: who.workspaceId, segmentId: id, reason: 'update' }, { jobKey: `segment:${id}` });
    }
    await workspaces.audit(tx, who, 'segment.update', 'segment', id, { fields: Object.keys(patch).filter((k) => patch[k as keyof PatchSegmentInput] !== undefined) }, now);
    return view(row);
  });
}

export async function getSegment(p: Platform, workspaceId: string, id: string): Promise<SegmentView> {
  const s = await repo.segmentById(p.db, workspaceId, id);
  if (!s) throw notFound('Segment');
  return view(s);
}

export async function listSegments(p: Platform, workspaceId: string, limit: number, cursor?: string) {
  return page(await repo.listSegments(p.db, workspaceId, limit, decodeCursor(cursor)), limit, view);
}

/** Count and a sample of a definition without saving it. Throws `validation_failed`, `forbidden` (SQL), `segment_sql_*`. */
export async function preview(p: Platform, who: Principal, definition: Definition) {
  if (isSqlDefinition(definition)) {
    assertMayAuthor(who, 'sql');
    return previewSql(p, who.workspaceId, definition, 20);
  }
  // Union / intersection / difference of computed segments: from their stored id sets, in
  // memory (plain reads of immutable snapshots: no transaction needed).
  const ids = await evaluateSetExpression(p.db, who.workspaceId, definition);
  if (ids) return { count: cardinality(ids), sample: await repo.externalIdsOf(p.db, who.workspaceId, idsOf(ids, 20)) };
  return p.db.transaction().execute(async (tx) => {
    await sql`set local statement_timeout = ${sql.lit(PREVIEW_TIMEOUT_MS)}`.execute(tx);
    await repo.prepareSetComputation(tx);
    return repo.countMatching(tx, who.workspaceId, await predicate(tx, who.workspaceId, definition, p.clock.now()), 20);
  });
}

/** Queues a recomputation. Throws `invalid_state` for a frozen (`once`) segment or a list. */
export async function requestRefresh(p: Platform, who: Principal, id: string): Promise<SegmentView> {
  return p.db.transaction().execute(async (tx) => {
    const s = await repo.segmentById(tx, who.workspaceId, id);
    if (!s) throw notFound('Segment');
    if (s.kind === 'list') throw new AppError('invalid_state', 'An uploaded list is static; upload a new list instead.');
    if (s.refresh === 'once') throw new AppError('invalid_state', 'A segment with refresh "once" is frozen; create a new one instead.');
    await repo.setStatus(tx, who.workspaceId, id, 'computing', p.clock.now());
    await p.jobs.enqueue(tx, 'segments.compute', { workspaceId: who.workspaceId, segmentId: id, reason: 'manual' }, { jobKey: `segment:${id}` });
    await workspaces.audit(tx, who, 'segment.refresh', 'segment', id, {}, p.clock.now());
    return view({ ...s, status: 'computing' });
  });
}

/** Computes a new snapshot and makes it current (a list keeps the one it was uploaded with). */
export async function computeSnapshot(p: Platform, workspaceId: string, segmentId: string, reason: string): Promise<{ snapshotId: string; count: number }> {
  const s = await repo.segmentById(p.db, workspaceId, segmentId);
  if (!s) throw notFound('Segment');
  if (s.kind === 'list') {
    // A list is written with its snapshot in one transaction; it has nothing to recompute.
    if (!s.currentSnapshotId) throw new AppError('invalid_state', 'This list has no members snapshot.');
    return { snapshotId: s.currentSnapshotId, count: s.count ?? 0 };
  }
  const definition = s.definition as Definition;
  // The SQL runs first, in its sandbox on a connection of its own; its members are then written here.
  const sqlIds = isSqlDefinition(definition) ? await sqlMemberIds(p, workspaceId, definition) : null;
  return p.db.transaction().execute(async (tx) => {
    await sql`set local statement_timeout = ${sql.lit(COMPUTE_TIMEOUT_MS)}`.execute(tx);
    await repo.prepareSetComputation(tx);
    const now = p.clock.now();
    let snap: { id: string; count: number };
    if (sqlIds) {
      snap = await repo.writeSnapshotOfIds(tx, workspaceId, segmentId, sqlIds, reason, now);
      await buildSnapshotSet(tx, workspaceId, snap.id); // set operations over it read this
    } else {
      // The members are selected first (in parallel where PostgreSQL can), then written.
      const idsText = await repo.matchingIdsText(tx, workspaceId, await predicate(tx, workspaceId, definition, now));
      const ids = parseIdArray(idsText);
      snap = await repo.writeSnapshotOfMatching(tx, workspaceId, segmentId, idsText, ids.length, reason, now);
      await buildSnapshotSet(tx, workspaceId, snap.id, ids);
    }
    await repo.markReady(tx, workspaceId, segmentId, snap.id, snap.count, now);
    return { snapshotId: snap.id, count: snap.count };
  });
}

/**
 * The snapshot a task run sends to: a frozen (`once`) or `manual` segment is used as last
 * computed; a `daily` (dynamic) segment is recomputed for the run, so every recurring run
 * reaches the people who match at that moment.
 */
export async function snapshotForRun(p: Platform, workspaceId: string, segmentId: string): Promise<{ snapshotId: string; count: number }> {
  const s = await repo.segmentById(p.db, workspaceId, segmentId);
  if (!s) throw notFound('Segment');
  if (s.refresh === 'daily' || !s.currentSnapshotId) return computeSnapshot(p, workspaceId, segmentId, 'task_run');
  return { snapshotId: s.currentSnapshotId, count: s.count ?? 0 };
}

/** Is this one user in the definition right now? Same compiled SQL as the batch computation (SQL: same sandbox query). */
export async function userInDefinition(p: Platform, workspaceId: string, userId: string, definition: Definition): Promise<boolean> {
  if (isSqlDefinition(definition)) return (await sqlMemberIds(p, workspaceId, definition, userId)).length > 0;
  return repo.userMatches(p.db, workspaceId, userId, await predicate(p.db, workspaceId, definition, p.clock.now(), cachedTypes(p, workspaceId), userId));
}

export async function members(p: Platform, workspaceId: string, id: string, limit: number, cursor?: string) {
  const s = await repo.segmentById(p.db, workspaceId, id);
  if (!s) throw notFound('Segment');
  if (!s.currentSnapshotId) return { items: [], nextCursor: null };
  const rows = await repo.members(p.db, workspaceId, s.currentSnapshotId, limit, cursor && /^\d+$/.test(cursor) ? cursor : undefined);
  const page = rows.slice(0, limit);
  return { items: page.map((r) => r.externalId), nextCursor: rows.length > limit ? page[page.length - 1]!.userId : null };
}

export const memberRanges = (p: Platform, workspaceId: string, snapshotId: string, size: number) => repo.memberRanges(p.db, workspaceId, snapshotId, size);
export const memberIdsInRange = (tx: Tx, workspaceId: string, snapshotId: string, from: string, to: string) => repo.memberIdsInRange(tx, workspaceId, snapshotId, from, to);

/** Throws `not_found` when the segment is not in this workspace (used by tasks to validate references). */
export async function assertExists(tx: Tx, workspaceId: string, id: string): Promise<void> {
  if (!(await repo.segmentById(tx, workspaceId, id))) throw notFound('Segment');
}

const MAX_BIGINT = 9223372036854775807n;

/** Snapshot counts over time, newest first; the cursor is (computed_at, snapshot id). */
export async function history(p: Platform, workspaceId: string, id: string, limit: number, cursor?: string) {
  await assertExists(p.db, workspaceId, id);
  const before = decodeCursor(cursor);
  if (before && !(/^\d{1,19}$/.test(before.id) && BigInt(before.id) <= MAX_BIGINT)) throw badCursor(); // snapshot ids are bigints
  const rows = await repo.history(p.db, workspaceId, id, limit, before);
  return page(rows.map((r) => ({ ...r, createdAt: r.computedAt })), limit, (r): HistoryPointView => ({ snapshotId: r.id, computedAt: r.computedAt.toISOString(), count: r.count, reason: r.reason }));
}

const computePayload = z.object({ workspaceId: z.string(), segmentId: z.string(), reason: z.string() });

export function registerSegmentJobs(p: Platform): void {
  p.jobs.define({
    name: 'segments.compute',
    payload: computePayload,
    handle: async ({ workspaceId, segmentId, reason }) => {
      try {
        await computeSnapshot(p, workspaceId, segmentId, reason);
      } catch (err) {
        const message = err instanceof AppError ? err.details[0]?.message ?? err.message : 'The computation failed; see the server log.';
        p.log.error({ err, segmentId }, 'segment computation failed');
        await repo.setStatus(p.db, workspaceId, segmentId, 'failed', p.clock.now(), message);
        if (!(err instanceof AppError)) throw err;
      }
    },
  });
  p.jobs.define({
    name: 'segments.daily-refresh',
    payload: z.object({}),
    // Every minute (UTC cron): each run queues the daily segments whose workspace-local time has come.
    cron: '* * * * *',
    handle: async () => {
      await refreshDueSegments(p);
    },
  });
}
