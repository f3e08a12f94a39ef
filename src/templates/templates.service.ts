import type { Platform } from '../platform/context.ts';
import { AppError, notFound, pathString } from '../platform/errors.ts';
import { newId } from '../platform/ids.ts';
import { decodeCursor, page } from '../platform/cursor.ts';
import type { Tx } from '../platform/db.ts';
import type { Principal } from '../workspaces/roles.ts';
import * as workspaces from '../workspaces/workspaces.service.ts';
import * as customers from '../customers/customers.service.ts';
import * as policies from '../policies/policies.service.ts';
import * as channels from '../channels/channels.service.ts';
import { compileContent, smsCost, smsInfo, type CompiledContent, type RenderOptions, type RenderScope } from './render.ts';
import * as repo from './templates.repo.ts';
import { contentIssues, type Channel, type CreateTemplateInput, type ReviewStatus, type TemplateView } from './templates.schema.ts';

/**
 * Templates: Liquid content per channel, in versions. Every content change is a new version in
 * `draft`; review moves the latest version draft → pending_review → approved | rejected. When
 * the workspace requires review (`requireTemplateReview`) tasks may only send an approved
 * version; a task pins the versions it launched with (`versionsForLaunch`), so later edits do
 * not change what it sends.
 */

type Row = NonNullable<Awaited<ReturnType<typeof repo.templateById>>>;
type VersionRow = NonNullable<Awaited<ReturnType<typeof repo.versionOf>>>;
const view = (t: Row): TemplateView => ({
  id: t.id, name: t.name, channel: t.channel as Channel, content: t.content as Record<string, unknown>, version: t.version,
  status: t.status as ReviewStatus, approvedVersion: t.approvedVersion, reviewNote: t.reviewNote,
  reviewState: t.status, createdAt: t.createdAt.toISOString(), updatedAt: t.updatedAt.toISOString(),
});
const versionView = (v: VersionRow) => ({
  version: v.version, name: v.name, content: v.content as Record<string, unknown>, status: v.status as ReviewStatus, reviewNote: v.reviewNote,
  createdBy: v.createdBy, createdAt: v.createdAt.toISOString(), submittedBy: v.submittedBy, reviewedBy: v.reviewedBy, reviewedAt: v.reviewedAt?.toISOString() ?? null,
});

function checkLiquid(channel: Channel, content: Record<string, unknown>): void {
  try {
    compileContent(channel, content);
  } catch (err) {
    throw new AppError('validation_failed', 'The template does not parse.', [{ path: 'content', message: err instanceof Error ? err.message.split('\n')[0]! : 'Liquid syntax error.' }]);
  }
}

/** Creates a template (version 1, draft); throws `validation_failed` when a Liquid string does not parse. */
export async function createTemplate(p: Platform, who: Principal, input: CreateTemplateInput): Promise<TemplateView> {
  checkLiquid(input.channel, input.content);
  return p.db.transaction().execute(async (tx) => {
    const now = p.clock.now();
    const row = await repo.insertTemplate(tx, who.workspaceId, { id: newId('tpl'), ...input, createdBy: who.actor, now });
    await repo.insertVersion(tx, who.workspaceId, { templateId: row.id, version: row.version, name: row.name, content: input.content, createdBy: who.actor, now });
    await workspaces.audit(tx, who, 'template.create', 'template', row.id, { name: input.name, channel: input.channel }, now);
    return view(row);
  });
}

/** New content makes a new version, in draft. Throws `not_found`, `validation_failed`. */
export async function updateTemplate(p: Platform, who: Principal, id: string, patch: { name?: string; content?: Record<string, unknown> }): Promise<TemplateView> {
  return p.db.transaction().execute(async (tx) => {
    const t = await repo.templateForUpdate(tx, who.workspaceId, id);
    if (!t) throw notFound('Template');
    if (patch.content) {
      const issues = contentIssues(t.channel as Channel, patch.content);
      if (issues.length) throw new AppError('validation_failed', 'The content is not valid for this channel.', issues.map((i) => ({ path: pathString(i.path), message: i.message })));
      checkLiquid(t.channel as Channel, patch.content);
    }
    const now = p.clock.now();
    const row = (await repo.updateContent(tx, who.workspaceId, id, patch, now))!;
    if (patch.content) await repo.insertVersion(tx, who.workspaceId, { templateId: id, version: row.version, name: row.name, content: patch.content, createdBy: who.actor, now });
    else if (patch.name) await repo.renameVersion(tx, who.workspaceId, id, row.version, patch.name);
    await workspaces.audit(tx, who, 'template.update', 'template', id, { version: row.version }, now);
    return view(row);
  });
}

type ReviewAction = 'submit' | 'approve' | 'reject';
const reviewFrom: Record<ReviewAction, ReviewStatus[]> = { submit: ['draft', 'rejected'], approve: ['pending_review'], reject: ['pending_review'] };

/**
 * Review of the latest version. Approve/reject need the `approve` permission (route); when the
 * workspace requires review, only an `approver`/`admin` who did not submit it. Throws
 * `not_found`, `invalid_state`, `forbidden`, `approver_required`.
 */
export async function review(p: Platform, who: Principal, id: string, action: ReviewAction, reason?: string): Promise<TemplateView> {
  return p.db.transaction().execute(async (tx) => {
    const t = await repo.templateForUpdate(tx, who.workspaceId, id);
    if (!t) throw notFound('Template');
    if (!reviewFrom[action].includes(t.status as ReviewStatus)) throw new AppError('invalid_state', `Cannot ${action} a template version that is ${t.status}.`);
    if (action !== 'submit' && (await workspaces.settings(tx, who.workspaceId)).requireTemplateReview) {
      if (who.role !== 'approver' && who.role !== 'admin') throw new AppError('forbidden', 'This workspace requires an approver (role approver or admin) to review templates.');
      if (who.actor === t.submittedBy) throw new AppError('approver_required', 'This workspace requires a second person: the submitter cannot review their own version.');
    }
    const now = p.clock.now();
    const status = ({ submit: 'pending_review', approve: 'approved', reject: 'rejected' } as const)[action];
    const row = await repo.setReview(tx, who.workspaceId, id, t.version, { status, note: action === 'reject' ? reason ?? null : null, actor: who.actor, now });
    await workspaces.audit(tx, who, `template.${action}`, 'template', id, { version: t.version, ...(reason ? { reason } : {}) }, now);
    return view(row);
  });
}

export async function getTemplate(p: Platform, workspaceId: string, id: string): Promise<TemplateView> {
  const t = await repo.templateById(p.db, workspaceId, id);
  if (!t) throw notFound('Template');
  return view(t);
}

export async function listTemplates(p: Platform, workspaceId: string, limit: number, channel?: string, cursor?: string, status?: string) {
  return page(await repo.listTemplates(p.db, workspaceId, limit, channel, decodeCursor(cursor), status), limit, view);
}

/** Versions, newest first (`cursor` = the last version number seen). Throws `not_found`. */
export async function listVersions(p: Platform, workspaceId: string, id: string, limit: number, cursor?: string) {
  if (!(await repo.templateById(p.db, workspaceId, id))) throw notFound('Template');
  const below = cursor && /^\d+$/.test(cursor) ? Number(cursor) : undefined;
  const rows = await repo.versionsOf(p.db, workspaceId, id, limit, below);
  const items = rows.slice(0, limit);
  return { items: items.map(versionView), nextCursor: rows.length > limit ? String(items[items.length - 1]!.version) : null };
}

/**
 * The version a task launching now pins for each template: with review required the approved
 * one (none: `template_not_approved`), otherwise the latest. Throws `not_found`, `template_not_approved`.
 */
export async function versionsForLaunch(tx: Tx, workspaceId: string, templateIds: string[]): Promise<Record<string, number>> {
  const requireReview = (await workspaces.settings(tx, workspaceId)).requireTemplateReview;
  const out: Record<string, number> = {};
  for (const id of new Set(templateIds)) {
    const t = await repo.templateById(tx, workspaceId, id);
    if (!t) throw notFound('Template');
    if (!requireReview) { out[id] = t.version; continue; }
    if (t.approvedVersion === null) throw new AppError('template_not_approved', `Template ${id} has no approved version; this workspace requires template review.`, [{ path: 'templateId', message: `${id}: submit it and have an approver approve it.` }]);
    out[id] = t.approvedVersion;
  }
  return out;
}

/**
 * For delivery: the template compiled once per batch — the pinned `version` when given, else
 * the latest — with the workspace's SMS opt-out line. Throws `not_found`.
 */
export async function compiledTemplate(tx: Tx, workspaceId: string, id: string, version?: number | null, opts: RenderOptions = {}): Promise<{ template: TemplateView; compiled: CompiledContent }> {
  const t = await repo.templateById(tx, workspaceId, id);
  if (!t) throw notFound('Template');
  const v = view(t);
  if (version != null && version !== t.version) {
    const old = await repo.versionOf(tx, workspaceId, id, version);
    if (!old) throw notFound('Template version');
    v.content = old.content as Record<string, unknown>;
    v.version = old.version;
  }
  return { template: v, compiled: compileContent(v.channel, v.content, opts) };
}

/** The scope a template sees for one user: profile fields, attributes, and `attributes.*` flattened onto `user`. */
export function userScope(u: { externalId: string; phone: string | null; email: string | null; attributes: Record<string, unknown>; createdAt: Date; orderCount: number }): Record<string, unknown> {
  // Object.assign, not a spread followed by more fields: V8 builds that literal key by key
  // (~5 µs a recipient in a delivery batch, against ~1 µs; bench/delivery.ts --cpu-prof).
  return Object.assign({}, u.attributes, { externalId: u.externalId, phone: u.phone, email: u.email, attributes: u.attributes, createdAt: u.createdAt.toISOString(), orderCount: u.orderCount });
}

/** SMS length and cost of one rendered text: segments (GSM-7 160/153, UCS-2 70/67) × the provider's unit price. */
export async function smsFigures(tx: Tx, workspaceId: string, text: string) {
  const info = smsInfo(text);
  const [unitPrice, ws] = await Promise.all([channels.smsUnitPrice(tx, workspaceId), workspaces.settings(tx, workspaceId)]);
  return { smsSegments: info.segments, smsEncoding: info.encoding, smsCharacters: info.characters, smsCost: smsCost(info.segments, unitPrice, ws.currency) };
}

/**
 * Renders the latest version for one user, with sample short links of a real link's length
 * (so SMS length and cost are what delivery will count). Throws `not_found`.
 */
export async function renderForUser(p: Platform, workspaceId: string, id: string, externalId: string) {
  const policy = await policies.policyFor(p.db, workspaceId);
  const { template, compiled } = await compiledTemplate(p.db, workspaceId, id, null, { smsOptOut: policy.smsOptOut });
  const user = await customers.getUser(p, workspaceId, externalId);
  const scope: RenderScope = {
    user: userScope({ ...user, createdAt: new Date(user.createdAt) }),
    campaign: { id: 'cmp_preview', name: 'Preview' }, task: { id: 'tsk_preview', name: 'Preview' },
    coupon: { code: 'PREVIEWCODE0', validFrom: null, validTo: null },
  };
  const rendered = compiled.render(scope, () => `${p.config.publicUrl}/l/PREVIEW000`);
  if (template.channel === 'sms') return { rendered, ...(await smsFigures(p.db, workspaceId, String(rendered.text))) };
  return { rendered };
}

/**
 * SMS segments of a template version for one user (or a profile-less sample when none), with
 * the provider's price: what one message of a task costs. Throws `not_found`.
 */
export async function smsEstimate(p: Platform, workspaceId: string, id: string, version: number | null, externalId: string | null) {
  const policy = await policies.policyFor(p.db, workspaceId);
  const { compiled } = await compiledTemplate(p.db, workspaceId, id, version, { smsOptOut: policy.smsOptOut });
  const user = externalId ? await customers.getUser(p, workspaceId, externalId) : null;
  const scope: RenderScope = {
    user: user ? userScope({ ...user, createdAt: new Date(user.createdAt) }) : {},
    campaign: { id: 'cmp_preview', name: 'Preview' }, task: { id: 'tsk_preview', name: 'Preview' }, coupon: { code: 'PREVIEWCODE0' },
  };
  return smsFigures(p.db, workspaceId, String(compiled.render(scope, () => `${p.config.publicUrl}/l/PREVIEW000`).text));
}
