import { parse } from 'csv-parse';
import type { Readable } from 'node:stream';
import type { Platform } from '../platform/context.ts';
import type { Tx } from '../platform/db.ts';
import { AppError } from '../platform/errors.ts';
import { newId } from '../platform/ids.ts';
import type { Principal } from '../workspaces/roles.ts';
import * as workspaces from '../workspaces/workspaces.service.ts';
import * as repo from './segments.repo.ts';
import { DEFAULT_REFRESH_AT, type ListResultView } from './segments.schema.ts';
import { view } from './segments.service.ts';

/**
 * Static list segments from an uploaded CSV or pasted ids. Ids go to the database in batches
 * as the file streams in (a 2 GB upload never sits in memory); ids that are not users here are
 * counted and the first 100 reported back, never dropped silently.
 */
const BATCH = 5_000;
const REPORTED_UNKNOWN = 100;
const MAX_ID_LENGTH = 200;

export type ListPart = { kind: 'field'; name: string; value: string } | { kind: 'file'; name: string; stream: Readable };

const bad = (path: string, message: string) => new AppError('validation_failed', 'The list is not valid; see details.', [{ path, message }]);

class ListWriter {
  private unknownSeen = new Set<string>();
  unknown: string[] = [];
  unknownCount = 0;
  constructor(private readonly tx: Tx, private readonly workspaceId: string, readonly snapshotId: string) {}

  async add(ids: string[]): Promise<void> {
    // An id no user can have (too long, NUL) is unknown without asking the database.
    const candidates = ids.filter((x) => x.length <= MAX_ID_LENGTH && !x.includes('\u0000'));
    const found = candidates.length ? await repo.addListMembers(this.tx, this.workspaceId, this.snapshotId, candidates) : new Set<string>();
    for (const id of ids) {
      if (found.has(id)) continue;
      this.unknownCount++;
      if (this.unknown.length < REPORTED_UNKNOWN && !this.unknownSeen.has(id)) {
        this.unknownSeen.add(id);
        this.unknown.push(id.length > MAX_ID_LENGTH ? `${id.slice(0, MAX_ID_LENGTH)}…` : id);
      }
    }
  }
}

/**
 * Reads externalIds from CSV: a header cell `externalId` (or `external_id`) picks the column;
 * a one-column file without such a header is all ids. Yields batches as the stream arrives.
 */
export async function* csvIdBatches(stream: Readable): AsyncGenerator<string[]> {
  const parser = stream.pipe(parse({ bom: true, trim: true, skip_empty_lines: true, relax_column_count: true, max_record_size: 1024 * 1024 }));
  // A stream error (the upload limit, a broken connection) must end the parse, not hang it.
  stream.on('error', (err) => parser.destroy(err));
  let column: number | null = null;
  let batch: string[] = [];
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      if (column === null) {
        const header = record.findIndex((c) => /^external_?id$/i.test(c));
        if (header >= 0) {
          column = header;
          continue;
        }
        if (record.length !== 1) throw bad('file', 'The CSV needs a header row with an externalId column.');
        column = 0;
      }
      const id = record[column];
      if (id) batch.push(id);
      if (batch.length >= BATCH) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length) yield batch;
  } catch (err) {
    if (err instanceof AppError || (err as { statusCode?: number }).statusCode) throw err;
    const e = err as { message?: string; code?: string };
    if (e.code?.startsWith('CSV_')) throw bad('file', `Not a readable CSV: ${e.message}`);
    throw err;
  } finally {
    // Also when the consumer stops early (a failed batch): release the parser and the upload.
    parser.destroy();
  }
}

async function* chunks(ids: string[]): AsyncGenerator<string[]> {
  for (let i = 0; i < ids.length; i += BATCH) yield ids.slice(i, i + BATCH);
}

/**
 * Builds a list segment from multipart parts (fields `name` and one CSV file, in any order).
 * Everything happens in one transaction: a failed upload leaves no segment behind.
 * Throws `validation_failed` (no file, no name, no externalId column, unreadable CSV).
 */
export async function createListFromParts(p: Platform, who: Principal, parts: AsyncIterable<ListPart>): Promise<ListResultView> {
  return p.db.transaction().execute(async (tx) => {
    let name: string | undefined;
    let writer: ListWriter | null = null;
    const segmentId = newId('seg');
    const now = p.clock.now();
    for await (const part of parts) {
      if (part.kind === 'field') {
        if (part.name !== 'name') throw bad(part.name, 'Unknown field.');
        name = part.value.trim();
        if (!name || name.length > 200 || name.includes('\u0000')) throw bad('name', 'A name of 1 to 200 characters, without NUL.');
        continue;
      }
      if (writer) throw bad(part.name, 'Upload one CSV file.');
      // The name may come after the file; it is set when the list is complete.
      writer = await startList(tx, who, segmentId, '(uploading)', 'upload', now);
      for await (const batch of csvIdBatches(part.stream)) await writer.add(batch);
    }
    if (!name) throw bad('name', 'A name for the list (a form field before or after the file).');
    if (!writer) throw bad('file', 'Upload a CSV file with an externalId column.');
    return finishList(tx, who, segmentId, writer, name, 'upload', now);
  });
}

/** A list segment from pasted ids. Throws `validation_failed`. */
export async function createListFromIds(p: Platform, who: Principal, name: string, externalIds: string[]): Promise<ListResultView> {
  return p.db.transaction().execute(async (tx) => {
    const now = p.clock.now();
    const segmentId = newId('seg');
    const writer = await startList(tx, who, segmentId, name, 'paste', now);
    for await (const batch of chunks(externalIds.map((x) => x.trim()).filter(Boolean))) await writer.add(batch);
    return finishList(tx, who, segmentId, writer, name, 'paste', now);
  });
}

async function startList(tx: Tx, who: Principal, segmentId: string, name: string, source: 'upload' | 'paste', now: Date): Promise<ListWriter> {
  await repo.insertSegment(tx, who.workspaceId, {
    id: segmentId, name, kind: 'list', definition: null, refresh: 'once', refreshAt: DEFAULT_REFRESH_AT, nextRefreshAt: null,
    status: 'computing', createdBy: who.actor, now,
  });
  return new ListWriter(tx, who.workspaceId, await repo.insertSnapshot(tx, who.workspaceId, segmentId, source, now));
}

async function finishList(tx: Tx, who: Principal, segmentId: string, w: ListWriter, name: string, source: 'upload' | 'paste', now: Date): Promise<ListResultView> {
  const matched = await repo.countMembers(tx, who.workspaceId, w.snapshotId);
  await repo.setSnapshotCount(tx, who.workspaceId, w.snapshotId, matched);
  await repo.markReady(tx, who.workspaceId, segmentId, w.snapshotId, matched, now);
  const row = await repo.updateSegment(tx, who.workspaceId, segmentId, { name }, now);
  await workspaces.audit(tx, who, 'segment.create', 'segment', segmentId, { name, kind: 'list', source, matched, unknownCount: w.unknownCount }, now);
  return { ...view(row), matched, unknown: w.unknown, unknownCount: w.unknownCount };
}
