import { sql } from 'kysely';
import { z } from 'zod';
import type { Platform } from '../platform/context.ts';
import type { Tx } from '../platform/db.ts';
import { AppError, notFound } from '../platform/errors.ts';
import { newId } from '../platform/ids.ts';
import { decodeCursor, page } from '../platform/cursor.ts';
import type { Principal } from '../workspaces/roles.ts';
import * as workspaces from '../workspaces/workspaces.service.ts';
import { compile, type CompileContext } from './definition.compiler.ts';
import type { Definition } from './definition.schema.ts';
import * as repo from './segments.repo.ts';
import type { SegmentView } from './segments.schema.ts';

// A segment computation is one SQL statement; this bounds it so a runaway definition fails
// with a clear error instead of holding a connection forever.
const COMPUTE_TIMEOUT_MS = 10 * 60_000;
const PREVIEW_TIMEOUT_MS = 15_000;

type SegmentRow = NonNullable<Awaited<ReturnType<typeof repo.segmentById>>>;
const view = (s: SegmentRow): SegmentView => ({
  id: s.id, name: s.name, definition: s.definition, refresh: s.refresh as SegmentView['refresh'], status: s.status as SegmentView['status'],
  count: s.count, computedAt: s.computedAt?.toISOString() ?? null, error: s.error, createdAt: s.createdAt.toISOString(),
});

async function compileContext(tx: Tx, workspaceId: string, now: Date): Promise<CompileContext> {
  const ws = await workspaces.settings(tx, workspaceId);
  return { workspaceId, timezone: ws.timezone, now, snapshotOf: (id) => repo.snapshotIdOf(tx, workspaceId, id) };
}

/** Compiles a definition for this workspace now; throws `validation_failed` naming the bad path. */
async function predicate(tx: Tx, workspaceId: string, definition: Definition, now: Date) {
  return compile(definition, await compileContext(tx, workspaceId, now));
}

/** Creates a segment and queues its first computation in the same transaction. Throws `validation_failed`. */
export async function createSegment(p: Platform, who: Principal, input: { name: string; definition: Definition; refresh: string }): Promise<SegmentView> {
  return p.db.transaction().execute(async (tx) => {
    const now = p.clock.now();
    await predicate(tx, who.workspaceId, input.definition, now); // reject a bad definition before storing it
    const row = await repo.insertSegment(tx, who.workspaceId, { id: newId('seg'), ...input, createdBy: who.actor, now });
    await p.jobs.enqueue(tx, 'segments.compute', { workspaceId: who.workspaceId, segmentId: row.id, reason: 'create' }, { jobKey: `segment:${row.id}` });
    await workspaces.audit(tx, who, 'segment.create', 'segment', row.id, { name: input.name }, now);
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

/** Count and a sample of a definition without saving it. Throws `validation_failed`. */
export async function preview(p: Platform, workspaceId: string, definition: Definition) {
  return p.db.transaction().execute(async (tx) => {
    await sql`set local statement_timeout = ${sql.lit(PREVIEW_TIMEOUT_MS)}`.execute(tx);
    return repo.countMatching(tx, workspaceId, await predicate(tx, workspaceId, definition, p.clock.now()), 20);
  });
}

/** Queues a recomputation. Throws `invalid_state` for a frozen (`once`) segment. */
export async function requestRefresh(p: Platform, who: Principal, id: string): Promise<SegmentView> {
  return p.db.transaction().execute(async (tx) => {
    const s = await repo.segmentById(tx, who.workspaceId, id);
    if (!s) throw notFound('Segment');
    if (s.refresh === 'once') throw new AppError('invalid_state', 'A segment with refresh "once" is frozen; create a new one instead.');
    await repo.setStatus(tx, who.workspaceId, id, 'computing', p.clock.now());
    await p.jobs.enqueue(tx, 'segments.compute', { workspaceId: who.workspaceId, segmentId: id, reason: 'manual' }, { jobKey: `segment:${id}` });
    await workspaces.audit(tx, who, 'segment.refresh', 'segment', id, {}, p.clock.now());
    return view({ ...s, status: 'computing' });
  });
}

/** Computes a new snapshot and makes it current. */
export async function computeSnapshot(p: Platform, workspaceId: string, segmentId: string, reason: string): Promise<{ snapshotId: string; count: number }> {
  return p.db.transaction().execute(async (tx) => {
    await sql`set local statement_timeout = ${sql.lit(COMPUTE_TIMEOUT_MS)}`.execute(tx);
    const s = await repo.segmentById(tx, workspaceId, segmentId);
    if (!s) throw notFound('Segment');
    const now = p.clock.now();
    const pred = await predicate(tx, workspaceId, s.definition as Definition, now);
    const snap = await repo.writeSnapshot(tx, workspaceId, segmentId, pred, reason, now);
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

/** Is this one user in the definition right now? Same compiled SQL as the batch computation. */
export async function userInDefinition(p: Platform, workspaceId: string, userId: string, definition: Definition): Promise<boolean> {
  return repo.userMatches(p.db, workspaceId, userId, await predicate(p.db, workspaceId, definition, p.clock.now()));
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

export async function history(p: Platform, workspaceId: string, id: string) {
  await assertExists(p.db, workspaceId, id);
  const rows = await repo.history(p.db, workspaceId, id, 365);
  return { items: rows.map((r) => ({ snapshotId: r.id, computedAt: r.computedAt.toISOString(), count: r.count, reason: r.reason })) };
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
}
