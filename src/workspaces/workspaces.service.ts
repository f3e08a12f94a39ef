import { z } from 'zod';
import type { Platform } from '../platform/context.ts';
import type { Tx } from '../platform/db.ts';
import { AppError, notFound } from '../platform/errors.ts';
import { decodeCursor, page } from '../platform/cursor.ts';
import { hashSecret, newId, newSecret } from '../platform/ids.ts';
import { hashPassword, verifyPassword } from './passwords.ts';
import type { Principal, Role } from './roles.ts';
import * as repo from './workspaces.repo.ts';
import type { ApiKeyView, ConsoleUserView, CreateWorkspaceInput, PatchWorkspaceInput, WorkspaceView } from './workspaces.schema.ts';

const SESSION_DAYS = 7;
const INVITE_DAYS = 7;

type WorkspaceRow = NonNullable<Awaited<ReturnType<typeof repo.workspaceById>>>;
const view = (w: WorkspaceRow): WorkspaceView => ({
  id: w.id, slug: w.slug, name: w.name, timezone: w.timezone, currency: w.currency,
  requireApproval: w.requireApproval, requireTemplateReview: w.requireTemplateReview,
  createdAt: w.createdAt.toISOString(),
});

async function issueKey(tx: Tx, workspaceId: string, name: string, role: Role) {
  const apiKey = newSecret('mlk');
  const id = newId('key');
  await repo.insertKey(tx, workspaceId, { id, name, role, keyHash: hashSecret(apiKey), keyPrefix: apiKey.slice(0, 8) });
  return { id, apiKey, role };
}

/** Creates a workspace and its first admin key (shown once). Throws `already_exists` for a taken slug. */
export async function createWorkspace(p: Platform, input: CreateWorkspaceInput) {
  return p.db.transaction().execute(async (tx) => {
    const ws = await repo.insertWorkspace(tx, { id: newId('wsp'), ...input });
    if (!ws) throw new AppError('already_exists', `A workspace with slug "${input.slug}" exists.`);
    const key = await issueKey(tx, ws.id, 'admin', 'admin');
    await audit(tx, { workspaceId: ws.id, actor: 'root', role: 'admin' }, 'workspace.create', 'workspace', ws.id, { slug: ws.slug }, p.clock.now());
    return { ...view(ws), apiKey: key.apiKey };
  });
}

export async function getWorkspace(p: Platform, workspaceId: string): Promise<WorkspaceView> {
  const ws = await repo.workspaceById(p.db, workspaceId);
  if (!ws) throw notFound('Workspace');
  return view(ws);
}

/** Raw settings other domains need (timezone, approval policy). */
export async function settings(tx: Tx, workspaceId: string) {
  const ws = await repo.workspaceById(tx, workspaceId);
  if (!ws) throw notFound('Workspace');
  return view(ws);
}

export async function patchWorkspace(p: Platform, who: Principal, patch: PatchWorkspaceInput): Promise<WorkspaceView> {
  return p.db.transaction().execute(async (tx) => {
    const ws = await repo.updateWorkspace(tx, who.workspaceId, patch);
    await audit(tx, who, 'workspace.update', 'workspace', ws.id, patch, p.clock.now());
    return view(ws);
  });
}

/** Root or an admin creates a key with a role. Throws `not_found` for an unknown workspace slug. */
export async function createKeyBySlug(p: Platform, slug: string, name: string, role: Role) {
  return p.db.transaction().execute(async (tx) => {
    const ws = await repo.workspaceBySlug(tx, slug);
    if (!ws) throw notFound('Workspace');
    const key = await issueKey(tx, ws.id, name, role);
    await audit(tx, { workspaceId: ws.id, actor: 'root', role: 'admin' }, 'key.create', 'api_key', key.id, { name, role }, p.clock.now());
    return key;
  });
}

export async function createKey(p: Platform, who: Principal, name: string, role: Role) {
  return p.db.transaction().execute(async (tx) => {
    const key = await issueKey(tx, who.workspaceId, name, role);
    await audit(tx, who, 'key.create', 'api_key', key.id, { name, role }, p.clock.now());
    return key;
  });
}

type KeyRow = Awaited<ReturnType<typeof repo.listKeys>>[number];
const keyView = (k: KeyRow): ApiKeyView => ({
  id: k.id, name: k.name, role: k.role, keyPrefix: k.keyPrefix, createdAt: k.createdAt.toISOString(), revokedAt: k.revokedAt?.toISOString() ?? null,
});

/** The workspace's keys (prefixes only, revoked ones too), oldest first. */
export async function listKeys(p: Platform, who: Principal, limit: number, cursor?: string) {
  return page(await repo.listKeys(p.db, who.workspaceId, limit, decodeCursor(cursor)), limit, keyView);
}

export async function revokeKey(p: Platform, who: Principal, id: string): Promise<void> {
  await p.db.transaction().execute(async (tx) => {
    const r = await repo.revokeKey(tx, who.workspaceId, id, p.clock.now());
    if (Number(r.numUpdatedRows) === 0) throw notFound('API key');
    keyCache.clear();
    await audit(tx, who, 'key.revoke', 'api_key', id, {}, p.clock.now());
  });
}

// Keeps high-rate ingestion off the api_keys table. A revocation clears this process's cache
// at once; other API processes drop the key within KEY_CACHE_MS.
const KEY_CACHE_MS = 10_000;
const keyCache = new Map<string, { principal: Principal | null; until: number }>();

/** The cached answer of principalForKey, without a read: undefined when this process does not know the key (or no longer trusts what it knew). */
export function cachedPrincipalForKey(keyHash: string): Principal | null | undefined {
  const hit = keyCache.get(keyHash);
  return hit && hit.until > Date.now() ? hit.principal : undefined;
}

export async function principalForKey(p: Platform, keyHash: string): Promise<Principal | null> {
  const hit = cachedPrincipalForKey(keyHash);
  if (hit !== undefined) return hit;
  const k = await repo.activeKeyByHash(p.db, keyHash);
  const principal = k ? { workspaceId: k.workspaceId, role: k.role as Role, actor: `key:${k.id}` } : null;
  if (keyCache.size > 10_000) keyCache.clear();
  keyCache.set(keyHash, { principal, until: Date.now() + KEY_CACHE_MS });
  return principal;
}

export async function principalForSession(p: Platform, tokenHash: string): Promise<Principal | null> {
  const s = await repo.sessionPrincipal(p.db, tokenHash, p.clock.now());
  return s ? { workspaceId: s.workspaceId, role: s.role as Role, actor: `user:${s.id}` } : null;
}

/**
 * An admin invites an operator by email with a role. Returns the one-time invite token; the
 * console shows it as a link (`/accept-invite?token=…`) to hand over. Throws `already_exists`.
 */
export async function invite(p: Platform, who: Principal, email: string, role: Role, name?: string) {
  return p.db.transaction().execute(async (tx) => {
    const token = newSecret('mli');
    const id = newId('usr');
    const now = p.clock.now();
    const row = await repo.insertConsoleUser(tx, who.workspaceId, {
      id, email: email.toLowerCase(), name: name ?? null, role, passwordHash: null,
      inviteTokenHash: hashSecret(token), inviteExpiresAt: new Date(now.getTime() + INVITE_DAYS * 86400_000), invitedBy: who.actor, activatedAt: null,
    });
    if (!row) throw new AppError('already_exists', `${email} is already a member of this workspace.`);
    await audit(tx, who, 'console_user.invite', 'console_user', id, { email, role }, now);
    return { id, email: email.toLowerCase(), role, inviteToken: token, inviteUrl: `${p.config.publicUrl}/accept-invite?token=${token}` };
  });
}

/** Sets the password of an invited user. Throws `not_found` for an unknown or expired token. */
export async function acceptInvite(p: Platform, token: string, password: string, name?: string) {
  const passwordHash = await hashPassword(password);
  return p.db.transaction().execute(async (tx) => {
    const u = await repo.consoleUserByInvite(tx, hashSecret(token));
    if (!u || !u.inviteExpiresAt || u.inviteExpiresAt < p.clock.now()) throw notFound('Invitation');
    await repo.activateConsoleUser(tx, u.workspaceId, u.id, passwordHash, name ?? u.name, p.clock.now());
    await audit(tx, { workspaceId: u.workspaceId, actor: `user:${u.id}`, role: u.role as Role }, 'console_user.activate', 'console_user', u.id, {}, p.clock.now());
    return { email: u.email };
  });
}

/** Creates an active console user directly (seed-demo, first admin). */
export async function createConsoleUser(p: Platform, workspaceId: string, email: string, password: string, role: Role) {
  const passwordHash = await hashPassword(password);
  const id = newId('usr');
  const row = await repo.insertConsoleUser(p.db, workspaceId, {
    id, email: email.toLowerCase(), name: null, role, passwordHash, inviteTokenHash: null, inviteExpiresAt: null, invitedBy: null, activatedAt: p.clock.now(),
  });
  if (!row) throw new AppError('already_exists', `${email} is already a member of this workspace.`);
  return { id };
}

/**
 * Email + password → a session token for the cookie. When the email belongs to several
 * workspaces the caller names one by slug. Throws `invalid_credentials` (one message for
 * unknown email and wrong password, so accounts cannot be probed).
 */
export async function login(p: Platform, email: string, password: string, workspace?: string) {
  const candidates = (await repo.consoleUsersByEmail(p.db, email)).filter((c) => !workspace || c.slug === workspace);
  const matches = [];
  for (const c of candidates) if (c.passwordHash && (await verifyPassword(password, c.passwordHash))) matches.push(c);
  if (matches.length === 0) throw new AppError('invalid_credentials', 'Wrong email or password.');
  if (matches.length > 1) {
    throw new AppError('validation_failed', 'This email belongs to several workspaces; choose one.', matches.map((m) => ({ path: 'workspace', message: m.slug })));
  }
  const u = matches[0]!;
  const token = newSecret('mls');
  const expiresAt = new Date(p.clock.now().getTime() + SESSION_DAYS * 86400_000);
  await repo.insertSession(p.db, u.workspaceId, { tokenHash: hashSecret(token), consoleUserId: u.id, expiresAt });
  return { token, expiresAt, workspaceId: u.workspaceId, role: u.role as Role };
}

export const logout = (p: Platform, token: string) => repo.deleteSession(p.db, hashSecret(token));

export async function me(p: Platform, who: Principal) {
  const ws = await getWorkspace(p, who.workspaceId);
  const userId = who.actor.startsWith('user:') ? who.actor.slice(5) : null;
  const user = userId ? await repo.consoleUserById(p.db, who.workspaceId, userId) : null;
  return { workspace: ws, role: who.role, actor: who.actor, email: user?.email ?? null, name: user?.name ?? null };
}

type ConsoleUserRow = Awaited<ReturnType<typeof repo.listConsoleUsers>>[number];
const consoleUserView = (u: ConsoleUserRow): ConsoleUserView => ({
  id: u.id, email: u.email, name: u.name, role: u.role, createdAt: u.createdAt.toISOString(), activatedAt: u.activatedAt?.toISOString() ?? null,
});

/** The workspace's console users (invited and active), oldest first. */
export async function listConsoleUsers(p: Platform, who: Principal, limit: number, cursor?: string) {
  return page(await repo.listConsoleUsers(p.db, who.workspaceId, limit, decodeCursor(cursor)), limit, consoleUserView);
}

/** Appends to the workspace's audit log inside the caller's transaction. */
export async function audit(tx: Tx, who: Principal, action: string, objectType: string, objectId: string, details: unknown, at: Date): Promise<void> {
  await repo.insertAudit(tx, who.workspaceId, { actor: who.actor, action, objectType, objectId, details, at });
}

export async function listAudit(p: Platform, who: Principal, limit: number, cursor?: string) {
  const rows = await repo.listAudit(p.db, who.workspaceId, limit, cursor);
  const items = rows.slice(0, limit).map((r) => ({ id: r.id, actor: r.actor, action: r.action, objectType: r.objectType, objectId: r.objectId, details: r.details, at: r.at.toISOString() }));
  return { items, nextCursor: rows.length > limit ? items[items.length - 1]!.id : null };
}

export function registerWorkspaceJobs(p: Platform): void {
  p.jobs.define({ name: 'workspaces.purge-sessions', payload: z.object({}), cron: '41 * * * *', handle: async () => { await repo.deleteExpiredSessions(p.db, p.clock.now()); } });
}
