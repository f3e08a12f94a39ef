import { Readable } from 'node:stream';
import type { Platform } from '../platform/context.ts';
import type { Tx } from '../platform/db.ts';
import { notFound } from '../platform/errors.ts';
import { newId } from '../platform/ids.ts';
import type { Principal } from '../workspaces/roles.ts';
import * as repo from './jobs-status.repo.ts';
import type { JobError, JobView } from './jobs-status.schema.ts';

/**
 * Tracked background jobs: what GET /v1/jobs/{id} shows while a worker runs them, and the
 * uploaded input they read. The input is a PostgreSQL large object, not a file on the machine
 * that took the upload, so a worker on any machine can read it; it is unlinked when the job ends.
 */

type JobRow = NonNullable<Awaited<ReturnType<typeof repo.jobById>>>;
const view = (j: JobRow): JobView => ({
  id: j.id, type: j.type, status: j.status as JobView['status'], processed: Number(j.processed), failed: Number(j.failed),
  errors: j.errors as JobError[], error: j.error, input: { name: j.inputName, bytes: j.inputBytes === null ? null : Number(j.inputBytes) },
  createdAt: j.createdAt.toISOString(), startedAt: j.startedAt?.toISOString() ?? null, finishedAt: j.finishedAt?.toISOString() ?? null,
});

/**
 * Creates a queued job in the caller's transaction, or finds the job of the same input
 * (`contentHash`) in this workspace: `created` tells which.
 */
export async function createJob(tx: Tx, who: Principal, j: { type: string; contentHash: string | null; inputName: string | null; inputBytes: number | null; now: Date }) {
  return repo.insertJob(tx, who.workspaceId, { id: newId('job'), createdBy: who.actor, ...j });
}

/** Stores the job's input from a stream of chunks, in the caller's transaction (a failed upload leaves nothing). */
export async function storeInput(tx: Tx, workspaceId: string, jobId: string, chunks: AsyncIterable<Buffer>): Promise<void> {
  const oid = await repo.createLargeObject(tx);
  let offset = 0;
  for await (const chunk of chunks) {
    await repo.writeLargeObject(tx, oid, offset, chunk);
    offset += chunk.length;
  }
  await repo.attachInput(tx, workspaceId, jobId, oid);
}

/** The job's input as a stream, read in `chunkSize` pieces as the consumer asks for them. */
export function readInput(p: Platform, oid: number, chunkSize = 256 * 1024): Readable {
  async function* chunks(): AsyncGenerator<Buffer> {
    for (let offset = 0; ; offset += chunkSize) {
      const data = await repo.readLargeObject(p.db, oid, offset, chunkSize);
      if (data.length > 0) yield data;
      if (data.length < chunkSize) return;
    }
  }
  return Readable.from(chunks(), { objectMode: false });
}

export interface ClaimedJob {
  id: string;
  inputOid: number | null;
  /** Input lines up to here are done (a retry resumes after it). */
  checkpointLine: number;
}

/** Marks the job running and returns what a worker needs; null when it has ended (a retry after success). */
export async function claim(p: Platform, workspaceId: string, id: string): Promise<ClaimedJob | null> {
  return p.db.transaction().execute(async (tx) => {
    const j = await repo.jobForUpdate(tx, workspaceId, id);
    if (!j || j.status === 'done' || j.status === 'failed') return null;
    await repo.markRunning(tx, workspaceId, id, p.clock.now());
    return { id, inputOid: j.inputOid === null ? null : Number(j.inputOid), checkpointLine: Number(j.checkpointLine) };
  });
}

/** A batch's outcome, in the transaction that wrote the batch, so progress and data never disagree. */
export const addProgress = (tx: Tx, workspaceId: string, id: string, progress: { processed: number; failed: number; errors: JobError[]; checkpointLine: number }) =>
  repo.addProgress(tx, workspaceId, id, progress);

/** Ends the job and drops its input. */
export async function finishJob(p: Platform, workspaceId: string, id: string, status: 'done' | 'failed', error: string | null): Promise<void> {
  await p.db.transaction().execute(async (tx) => {
    const j = await repo.jobForUpdate(tx, workspaceId, id);
    if (!j) return;
    if (j.inputOid !== null) await repo.unlinkLargeObject(tx, Number(j.inputOid));
    await repo.finish(tx, workspaceId, id, status, p.clock.now(), error);
  });
}

/** Throws `not_found` (also for another workspace's job). */
export async function getJob(p: Platform, workspaceId: string, id: string): Promise<JobView> {
  const j = await repo.jobById(p.db, workspaceId, id);
  if (!j) throw notFound('Job');
  return view(j);
}
