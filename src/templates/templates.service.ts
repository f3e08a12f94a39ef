import type { Platform } from '../platform/context.ts';
import { AppError, notFound, pathString } from '../platform/errors.ts';
import { newId } from '../platform/ids.ts';
import { decodeCursor, page } from '../platform/cursor.ts';
import type { Tx } from '../platform/db.ts';
import type { Principal } from '../workspaces/roles.ts';
import * as workspaces from '../workspaces/workspaces.service.ts';
import * as customers from '../customers/customers.service.ts';
import { compileContent, smsInfo, type CompiledContent, type RenderScope } from './render.ts';
import * as repo from './templates.repo.ts';
import { contentIssues, type Channel, type CreateTemplateInput, type TemplateView } from './templates.schema.ts';

type Row = NonNullable<Awaited<ReturnType<typeof repo.templateById>>>;
const view = (t: Row): TemplateView => ({
  id: t.id, name: t.name, channel: t.channel as Channel, content: t.content as Record<string, unknown>, version: t.version,
  reviewState: t.reviewState, createdAt: t.createdAt.toISOString(), updatedAt: t.updatedAt.toISOString(),
});

function checkLiquid(channel: Channel, content: Record<string, unknown>): void {
  try {
    compileContent(channel, content);
  } catch (err) {
    throw new AppError('validation_failed', 'The template does not parse.', [{ path: 'content', message: err instanceof Error ? err.message.split('\n')[0]! : 'Liquid syntax error.' }]);
  }
}

/** Creates a template; throws `validation_failed` when a Liquid string does not parse. */
export async function createTemplate(p: Platform, who: Principal, input: CreateTemplateInput): Promise<TemplateView> {
  checkLiquid(input.channel, input.content);
  return p.db.transaction().execute(async (tx) => {
    const row = await repo.insertTemplate(tx, who.workspaceId, { id: newId('tpl'), ...input, createdBy: who.actor, now: p.clock.now() });
    await workspaces.audit(tx, who, 'template.create', 'template', row.id, { name: input.name, channel: input.channel }, p.clock.now());
    return view(row);
  });
}

/** New content makes a new version. Throws `not_found`, `validation_failed`. */
export async function updateTemplate(p: Platform, who: Principal, id: string, patch: { name?: string; content?: Record<string, unknown> }): Promise<TemplateView> {
  return p.db.transaction().execute(async (tx) => {
    const t = await repo.templateById(tx, who.workspaceId, id);
    if (!t) throw notFound('Template');
    if (patch.content) {
      const issues = contentIssues(t.channel as Channel, patch.content);
      if (issues.length) throw new AppError('validation_failed', 'The content is not valid for this channel.', issues.map((i) => ({ path: pathString(i.path), message: i.message })));
      checkLiquid(t.channel as Channel, patch.content);
    }
    const row = await repo.updateContent(tx, who.workspaceId, id, patch, p.clock.now());
    await workspaces.audit(tx, who, 'template.update', 'template', id, { version: row!.version }, p.clock.now());
    return view(row!);
  });
}

export async function getTemplate(p: Platform, workspaceId: string, id: string): Promise<TemplateView> {
  const t = await repo.templateById(p.db, workspaceId, id);
  if (!t) throw notFound('Template');
  return view(t);
}

export async function listTemplates(p: Platform, workspaceId: string, limit: number, channel?: string, cursor?: string) {
  return page(await repo.listTemplates(p.db, workspaceId, limit, channel, decodeCursor(cursor)), limit, view);
}

/** For delivery: the template compiled once per batch. Throws `not_found`. */
export async function compiledTemplate(tx: Tx, workspaceId: string, id: string): Promise<{ template: TemplateView; compiled: CompiledContent }> {
  const t = await repo.templateById(tx, workspaceId, id);
  if (!t) throw notFound('Template');
  const v = view(t);
  return { template: v, compiled: compileContent(v.channel, v.content) };
}

/** The scope a template sees for one user: profile fields, attributes, and `attributes.*` flattened onto `user`. */
export function userScope(u: { externalId: string; phone: string | null; email: string | null; attributes: Record<string, unknown>; createdAt: Date; orderCount: number }): Record<string, unknown> {
  return { ...u.attributes, externalId: u.externalId, phone: u.phone, email: u.email, attributes: u.attributes, createdAt: u.createdAt.toISOString(), orderCount: u.orderCount };
}

/** Renders a template for one user, with sample short links. Throws `not_found`. */
export async function renderForUser(p: Platform, workspaceId: string, id: string, externalId: string) {
  const { template, compiled } = await compiledTemplate(p.db, workspaceId, id);
  const user = await customers.getUser(p, workspaceId, externalId);
  const scope: RenderScope = {
    user: userScope({ ...user, createdAt: new Date(user.createdAt) }),
    campaign: { id: 'cmp_preview', name: 'Preview' }, task: { id: 'tsk_preview', name: 'Preview' },
  };
  const rendered = compiled.render(scope, () => `${p.config.publicUrl}/l/PREVIEW000`);
  if (template.channel === 'sms') {
    const info = smsInfo(String(rendered.text));
    return { rendered, smsSegments: info.segments, smsEncoding: info.encoding, smsCharacters: info.characters };
  }
  return { rendered };
}
