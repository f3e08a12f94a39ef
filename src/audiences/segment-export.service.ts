import type { Readable } from 'node:stream';
import type { Platform } from '../platform/context.ts';
import { csvStream } from '../platform/csv-stream.ts';
import { AppError, notFound } from '../platform/errors.ts';
import { can, type Principal } from '../workspaces/roles.ts';
import * as workspaces from '../workspaces/workspaces.service.ts';
import { maskEmail, maskPhone } from './masking.ts';
import * as repo from './segments.repo.ts';

/**
 * CSV export of a segment's current snapshot with chosen fields, streamed page by page (keyset
 * over user ids, so memory stays flat whatever the size). Phone and email are masked for roles
 * without the export right.
 */
const PAGE = 5_000;
const MAX_FIELDS = 50;
const profileFields = ['externalId', 'phone', 'email', 'platform', 'createdAt'] as const;
type ProfileField = (typeof profileFields)[number];
type ExportRow = Awaited<ReturnType<typeof repo.exportPage>>[number];

/** `externalId,phone,attr.city` → the fields, in order. Throws `validation_failed` naming `querystring.fields`. */
export function parseFields(raw: string): string[] {
  const fields = raw.split(',').map((f) => f.trim()).filter(Boolean);
  const fail = (message: string) => new AppError('validation_failed', 'The request is not valid; see details for each field.', [{ path: 'querystring.fields', message }]);
  if (fields.length === 0) throw fail('Name at least one field.');
  if (fields.length > MAX_FIELDS) throw fail(`At most ${MAX_FIELDS} fields.`);
  for (const f of fields) {
    if (!(profileFields as readonly string[]).includes(f) && !/^attr\.[^,]{1,200}$/.test(f)) {
      throw fail(`Unknown field ${f}: use ${profileFields.join(', ')} or attr.<name>.`);
    }
  }
  return fields;
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function rowCells(u: ExportRow, fields: string[], masked: boolean): string[] {
  return fields.map((f) => {
    if (f.startsWith('attr.')) return cell(u.attributes[f.slice(5)]);
    const v = u[f as ProfileField];
    if (masked && f === 'phone' && typeof v === 'string') return maskPhone(v);
    if (masked && f === 'email' && typeof v === 'string') return maskEmail(v);
    return cell(v);
  });
}

/**
 * Starts an export of the current snapshot. Throws `not_found`, `validation_failed` (fields),
 * `invalid_state` (nothing computed yet). The stream ends with the last member.
 */
export async function exportSegment(p: Platform, who: Principal, id: string, rawFields: string): Promise<{ filename: string; masked: boolean; body: Readable }> {
  const fields = parseFields(rawFields);
  const s = await repo.segmentById(p.db, who.workspaceId, id);
  if (!s) throw notFound('Segment');
  const snapshotId = s.currentSnapshotId;
  if (!snapshotId) throw new AppError('invalid_state', 'The segment has not been computed yet; export it when its status is ready.');
  const masked = !can(who.role, 'export');
  await workspaces.audit(p.db, who, 'segment.export', 'segment', id, { fields, masked, snapshotId }, p.clock.now());

  async function* pages(): AsyncGenerator<string[][]> {
    let after = '0';
    for (;;) {
      const page = await repo.exportPage(p.db, who.workspaceId, snapshotId!, after, PAGE);
      yield page.map((u) => rowCells(u, fields, masked));
      if (page.length < PAGE) return;
      after = page[page.length - 1]!.id;
    }
  }
  return { filename: `segment-${id}.csv`, masked, body: csvStream(fields, pages(), p.log, { segmentId: id }) };
}
