import { parse, type CsvError, type Info } from 'csv-parse';
import { createReadStream } from 'node:fs';
import { Transform, type Readable } from 'node:stream';
import { z } from 'zod';
import * as jobs from '../jobs-status/jobs-status.service.ts';
import type { JobError } from '../jobs-status/jobs-status.schema.ts';
import type { Platform } from '../platform/context.ts';
import { AppError } from '../platform/errors.ts';
import type { Principal } from '../workspaces/roles.ts';
import * as workspaces from '../workspaces/workspaces.service.ts';
import { attributeTypes } from './attributes.service.ts';
import { upsertUsersIn } from './customers.service.ts';
import type { UserInput } from './customers.schema.ts';
import { readHeader, readRow, type Column } from './user-import-rows.ts';

/**
 * CSV import of users. The upload is hashed while it streams to a temporary file; the same
 * content in the same workspace is the same job. The file then goes into the job's input (a
 * large object) and a worker parses it as a stream, upserting batches through the path
 * POST /v1/users uses. Nothing holds the whole file in memory.
 */
export const IMPORT_JOB = 'customers.import_users';
export const JOB_TYPE = 'users.import';
const BATCH_ROWS = 5_000;
// Wide rows make smaller batches, so a batch's memory stays bounded whatever the file holds.
const BATCH_BYTES = 2 * 1024 * 1024;
// A record larger than this (a quote never closed swallowing the rest of the file) is
// reported and skipped instead of buffered.
const MAX_RECORD_BYTES = 1024 * 1024;
export const MAX_ATTEMPTS = 5;

export interface Upload {
  path: string;
  sha256: string;
  bytes: number;
  filename: string | null;
}

// relax_quotes: a stray quote inside an unquoted value (5'3") is taken literally; without it
// csv-parse loses its place and drops every row after the first such value.
const csvOptions = {
  info: true, raw: true, bom: true, relax_column_count: true, relax_quotes: true, skip_empty_lines: true, skip_records_with_error: true, max_record_size: MAX_RECORD_BYTES,
} as const;
type Parsed = { record: string[]; info: Info; raw: string };

/**
 * CRLF → LF before parsing. csv-parse counts the CR and the LF of a quoted CRLF as two lines,
 * which would shift every line number reported after it; with LF only, `info.lines` is the
 * line a record ends on. (CR and LF bytes never occur inside a UTF-8 sequence.)
 */
export function crlfToLf(): Transform {
  let heldCr = false;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      let s = heldCr ? Buffer.concat([Buffer.from('\r'), chunk]) : chunk;
      heldCr = s.length > 0 && s[s.length - 1] === 0x0d;
      if (heldCr) s = s.subarray(0, s.length - 1);
      const out = Buffer.allocUnsafe(s.length);
      let n = 0;
      for (let i = 0; i < s.length; i++) if (!(s[i] === 0x0d && s[i + 1] === 0x0a)) out[n++] = s[i]!;
      done(null, out.subarray(0, n));
    },
    flush(done) {
      done(null, heldCr ? Buffer.from('\r') : null);
    },
  });
}

/** The line a record starts on: it ends on `info.lines`; its raw text may hold skipped empty lines before it and its own line breaks. */
function startLine(info: { lines: number }, raw: string): number {
  const own = raw.replace(/^\n+/, '').replace(/\n$/, '');
  let breaks = 0;
  for (let i = own.indexOf('\n'); i !== -1; i = own.indexOf('\n', i + 1)) breaks++;
  return info.lines - breaks;
}

/** The header of an uploaded file; throws `validation_failed` naming `file` when it is unusable. */
export async function checkHeader(path: string): Promise<Column[]> {
  // The header is within the first MAX_RECORD_BYTES or it is not a header: read no further.
  const head = createReadStream(path, { highWaterMark: 64 * 1024, start: 0, end: MAX_RECORD_BYTES - 1 });
  const parser = head.pipe(crlfToLf()).pipe(parse({ ...csvOptions, to_line: 1 }));
  let first: string[] | undefined;
  for await (const r of parser as AsyncIterable<Parsed>) first ??= r.record;
  head.destroy();
  const header = first ? readHeader(first) : { ok: false as const, message: 'No header line: the file is empty, or its first line is not valid CSV.' };
  if (!header.ok) throw new AppError('validation_failed', 'The CSV cannot be imported.', [{ path: 'file', message: header.message }]);
  return header.columns;
}

/**
 * Starts an import, or returns the job that already imports the same content in this
 * workspace (`duplicate: true`). Throws `validation_failed` for a file without a usable header.
 */
export async function startUserImport(p: Platform, who: Principal, upload: Upload): Promise<{ jobId: string; duplicate: boolean }> {
  await checkHeader(upload.path);
  return p.db.transaction().execute(async (tx) => {
    const now = p.clock.now();
    const job = await jobs.createJob(tx, who, { type: JOB_TYPE, contentHash: upload.sha256, inputName: upload.filename, inputBytes: upload.bytes, now });
    if (!job.created) return { jobId: job.id, duplicate: true };
    await jobs.storeInput(tx, who.workspaceId, job.id, createReadStream(upload.path, { highWaterMark: 256 * 1024 }));
    await p.jobs.enqueue(tx, IMPORT_JOB, { workspaceId: who.workspaceId, jobId: job.id }, { jobKey: `import:${job.id}`, maxAttempts: MAX_ATTEMPTS });
    await workspaces.audit(tx, who, 'users.import', 'job', job.id, { file: upload.filename, bytes: upload.bytes, sha256: upload.sha256 }, now);
    return { jobId: job.id, duplicate: false };
  });
}

function unreadableMessage(err: CsvError): string {
  if (err.code === 'CSV_QUOTE_NOT_CLOSED') return 'Not valid CSV: a quote opened on this line is never closed, so the rest of the file could not be read.';
  if (err.code === 'CSV_MAX_RECORD_SIZE') return `Not valid CSV: a record longer than ${MAX_RECORD_BYTES} bytes starts here (a quote never closed?); the rest of the file could not be read.`;
  return `Not valid CSV: ${err.message}`;
}

export const importPayload = z.object({ workspaceId: z.string(), jobId: z.string() });

/**
 * The worker side: parses the job's input in batches of 5,000 rows. Each batch's users and the
 * job's progress commit together, with the last line done, so a retry after a crash resumes
 * after it and imports nothing twice.
 */
export async function runUserImport(p: Platform, workspaceId: string, jobId: string, attempt: number): Promise<void> {
  const job = await jobs.claim(p, workspaceId, jobId);
  if (!job) return;
  try {
    if (job.inputOid === null) throw new AppError('invalid_state', 'The job has no input.');
    await importRows(p, workspaceId, jobId, jobs.readInput(p, job.inputOid), job.checkpointLine);
    await jobs.finishJob(p, workspaceId, jobId, 'done', null);
  } catch (err) {
    if (err instanceof AppError) {
      await jobs.finishJob(p, workspaceId, jobId, 'failed', err.details[0]?.message ?? err.message);
      return;
    }
    p.log.error({ err, jobId, attempt }, 'user import failed');
    if (attempt >= MAX_ATTEMPTS) await jobs.finishJob(p, workspaceId, jobId, 'failed', 'The import stopped on an internal error after several retries; see the server log.');
    throw err;
  }
}

async function importRows(p: Platform, workspaceId: string, jobId: string, input: Readable, checkpoint: number): Promise<void> {
  const types = await attributeTypes(p.db, workspaceId);
  const parser = input.pipe(crlfToLf()).pipe(parse(csvOptions));
  // Records the parser could not read (a quote never closed, …) arrive as events, with their line.
  const unreadable: (JobError & { endLine: number })[] = [];
  parser.on('skip', (err: CsvError & { lines?: number; raw?: string }) => {
    const endLine = err.lines ?? 0;
    unreadable.push({ line: err.raw === undefined ? endLine : startLine({ lines: endLine }, err.raw), endLine, message: unreadableMessage(err) });
  });

  let columns: Column[] | undefined;
  let users: UserInput[] = [];
  let errors: JobError[] = [];
  let rows = 0;
  let bytes = 0;
  let lastLine = checkpoint;
  const flush = async () => {
    for (const { endLine, ...e } of unreadable.splice(0)) {
      if (endLine <= checkpoint) continue;
      errors.push(e);
      rows++;
      lastLine = Math.max(lastLine, endLine);
    }
    if (rows === 0) return;
    const batch = users;
    const batchErrors = errors.sort((a, b) => a.line - b.line);
    const done = { processed: rows, failed: batchErrors.length, errors: batchErrors, checkpointLine: lastLine };
    users = []; errors = []; rows = 0; bytes = 0;
    const pending = await p.db.transaction().execute(async (tx) => {
      const r = batch.length ? await upsertUsersIn(tx, workspaceId, batch, p.clock.now()) : undefined;
      await jobs.addProgress(tx, workspaceId, jobId, done);
      return r?.types;
    });
    pending?.afterCommit();
  };

  for await (const { record, info, raw } of parser as AsyncIterable<Parsed>) {
    if (!columns) {
      const header = readHeader(record);
      if (!header.ok) throw new AppError('validation_failed', header.message, [{ path: 'file', message: header.message }]);
      columns = header.columns;
      continue;
    }
    lastLine = Math.max(lastLine, info.lines);
    if (info.lines <= checkpoint) continue; // done before a retry
    const line = startLine(info, raw);
    rows++;
    bytes += raw.length;
    const r = readRow(record, columns, types);
    if (r.ok) users.push(r.user);
    else errors.push({ line, message: r.message });
    if (rows >= BATCH_ROWS || bytes >= BATCH_BYTES) await flush();
  }
  if (!columns) throw new AppError('validation_failed', 'No header line.', [{ path: 'file', message: 'No header line: the file is empty, or its first line is not valid CSV.' }]);
  await flush();
}
