import { sql } from 'kysely';
import type { Tx } from '../platform/db.ts';
import type { JobError, JobStatus } from './jobs-status.schema.ts';
import { MAX_JOB_ERRORS } from './jobs-status.schema.ts';

/** SQL for tracked background jobs and their uploaded input (a PostgreSQL large object). */

export interface NewJob {
  id: string;
  type: string;
  contentHash: string | null;
  inputName: string | null;
  inputBytes: number | null;
  createdBy: string;
  now: Date;
}

/** Inserts the job unless one with the same input exists (it then waits for that one to commit); returns the job's id. */
export async function insertJob(tx: Tx, workspaceId: string, j: NewJob): Promise<{ id: string; created: boolean }> {
  const ins = await tx.insertInto('backgroundJobs')
    .values({ id: j.id, workspaceId, type: j.type, status: 'queued', contentHash: j.contentHash, inputName: j.inputName, inputBytes: j.inputBytes, createdBy: j.createdBy, createdAt: j.now })
    .onConflict((oc) => oc.columns(['workspaceId', 'type', 'contentHash']).where('contentHash', 'is not', null).doNothing())
    .returning('id').executeTakeFirst();
  if (ins) return { id: ins.id, created: true };
  const prior = await tx.selectFrom('backgroundJobs').select('id')
    .where('workspaceId', '=', workspaceId).where('type', '=', j.type).where('contentHash', '=', j.contentHash).executeTakeFirstOrThrow();
  return { id: prior.id, created: false };
}

export const jobById = (tx: Tx, workspaceId: string, id: string) =>
  tx.selectFrom('backgroundJobs').selectAll().where('workspaceId', '=', workspaceId).where('id', '=', id).executeTakeFirst();

export const jobForUpdate = (tx: Tx, workspaceId: string, id: string) =>
  tx.selectFrom('backgroundJobs').selectAll().where('workspaceId', '=', workspaceId).where('id', '=', id).forUpdate().executeTakeFirst();

export async function markRunning(tx: Tx, workspaceId: string, id: string, now: Date): Promise<void> {
  await tx.updateTable('backgroundJobs').set({ status: 'running', startedAt: sql`coalesce(started_at, ${now}::timestamptz)` })
    .where('workspaceId', '=', workspaceId).where('id', '=', id).execute();
}

/** Adds a batch's outcome; errors are kept up to MAX_JOB_ERRORS. */
export async function addProgress(tx: Tx, workspaceId: string, id: string, p: { processed: number; failed: number; errors: JobError[]; checkpointLine: number }): Promise<void> {
  await sql`
    update background_jobs set
      processed = processed + ${p.processed}, failed = failed + ${p.failed}, checkpoint_line = ${p.checkpointLine},
      errors = case when jsonb_array_length(errors) >= ${MAX_JOB_ERRORS} then errors
                    else jsonb_path_query_array(errors || ${JSON.stringify(p.errors.slice(0, MAX_JOB_ERRORS))}::jsonb, ${`$[0 to ${MAX_JOB_ERRORS - 1}]`}::jsonpath) end
    where workspace_id = ${workspaceId} and id = ${id}`.execute(tx);
}

export async function finish(tx: Tx, workspaceId: string, id: string, status: Extract<JobStatus, 'done' | 'failed'>, now: Date, error: string | null): Promise<void> {
  await tx.updateTable('backgroundJobs').set({ status, finishedAt: now, error, inputOid: null })
    .where('workspaceId', '=', workspaceId).where('id', '=', id).execute();
}

// ---------- input as a large object: every worker of every machine reads it from PostgreSQL ----------

export async function attachInput(tx: Tx, workspaceId: string, id: string, oid: number): Promise<void> {
  await tx.updateTable('backgroundJobs').set({ inputOid: oid }).where('workspaceId', '=', workspaceId).where('id', '=', id).execute();
}

export const createLargeObject = async (tx: Tx): Promise<number> =>
  Number((await sql<{ oid: number }>`select lo_from_bytea(0, ''::bytea) as oid`.execute(tx)).rows[0]!.oid);

export async function writeLargeObject(tx: Tx, oid: number, offset: number, data: Buffer): Promise<void> {
  await sql`select lo_put(${oid}::oid, ${offset}::bigint, ${data}::bytea)`.execute(tx);
}

/** Up to `length` bytes from `offset`; fewer (or none) at the end. Needs no transaction. */
export const readLargeObject = async (tx: Tx, oid: number, offset: number, length: number): Promise<Buffer> =>
  (await sql<{ data: Buffer }>`select lo_get(${oid}::oid, ${offset}::bigint, ${length}::int) as data`.execute(tx)).rows[0]!.data;

export async function unlinkLargeObject(tx: Tx, oid: number): Promise<void> {
  await sql`select lo_unlink(${oid}::oid) where exists (select 1 from pg_largeobject_metadata where oid = ${oid}::oid)`.execute(tx);
}
