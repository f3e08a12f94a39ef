import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Platform } from '../platform/context.ts';
import { principalOf, SESSION_COOKIE } from '../http/auth.ts';
import { errorResponses, idParam, listQuery } from '../http/common.ts';
import * as service from './workspaces.service.ts';
import { acceptInviteBody, apiKeyView, consoleUserView, createKeyBody, createWorkspaceBody, inviteBody, loginBody, patchWorkspaceBody, workspaceView } from './workspaces.schema.ts';

const keyView = z.object({ id: z.string(), apiKey: z.string(), role: z.string() });
const tags = ['workspaces'];
const page = (item: z.ZodType) => z.object({ items: z.array(item), nextCursor: z.string().nullable() });

export const workspacesRoutes: FastifyPluginAsyncZod<{ p: Platform }> = async (app, { p }) => {
  app.post('/v1/workspaces', {
    config: { auth: 'root' },
    schema: { tags, summary: 'Create a workspace (root key); answers its admin key once', body: createWorkspaceBody, response: { 201: workspaceView.extend({ apiKey: z.string() }), ...errorResponses } },
  }, async (req, reply) => reply.status(201).send(await service.createWorkspace(p, req.body)));

  app.post('/v1/workspaces/:slug/keys', {
    config: { auth: 'root' },
    schema: { tags, summary: 'Create an API key with a role in a workspace (root key)', params: z.strictObject({ slug: z.string() }), body: createKeyBody, response: { 201: keyView, ...errorResponses } },
  }, async (req, reply) => reply.status(201).send(await service.createKeyBySlug(p, req.params.slug, req.body.name, req.body.role)));

  app.get('/v1/workspace', {
    config: { auth: 'read' },
    schema: { tags, summary: 'This workspace and its settings', response: { 200: workspaceView, ...errorResponses } },
  }, async (req) => service.getWorkspace(p, principalOf(req).workspaceId));

  app.patch('/v1/workspace', {
    config: { auth: 'manage' },
    schema: { tags, summary: 'Change settings (timezone, approval policy)', body: patchWorkspaceBody, response: { 200: workspaceView, ...errorResponses } },
  }, async (req) => service.patchWorkspace(p, principalOf(req), req.body));

  app.post('/v1/keys', {
    config: { auth: 'manage' },
    schema: { tags, summary: 'Create an API key in this workspace (admin)', body: createKeyBody, response: { 201: keyView, ...errorResponses } },
  }, async (req, reply) => reply.status(201).send(await service.createKey(p, principalOf(req), req.body.name, req.body.role)));

  app.get('/v1/keys', {
    config: { auth: 'manage' },
    schema: { tags, summary: 'API keys of this workspace (prefixes only), oldest first', querystring: listQuery, response: { 200: page(apiKeyView), ...errorResponses } },
  }, async (req) => service.listKeys(p, principalOf(req), req.query.limit, req.query.cursor));

  app.delete('/v1/keys/:id', {
    config: { auth: 'manage' },
    schema: { tags, summary: 'Revoke an API key', params: idParam },
  }, async (req, reply) => {
    await service.revokeKey(p, principalOf(req), req.params.id);
    return reply.status(204).send();
  });

  app.post('/v1/console-users/invite', {
    config: { auth: 'manage' },
    schema: { tags, summary: 'Invite a console user by email with a role', body: inviteBody, response: { 201: z.object({ id: z.string(), email: z.string(), role: z.string(), inviteToken: z.string(), inviteUrl: z.string() }), ...errorResponses } },
  }, async (req, reply) => reply.status(201).send(await service.invite(p, principalOf(req), req.body.email, req.body.role, req.body.name)));

  app.get('/v1/console-users', {
    config: { auth: 'manage' },
    schema: { tags, summary: 'Console users of this workspace, oldest first', querystring: listQuery, response: { 200: page(consoleUserView), ...errorResponses } },
  }, async (req) => service.listConsoleUsers(p, principalOf(req), req.query.limit, req.query.cursor));

  app.post('/v1/auth/accept-invite', {
    config: { auth: 'public' },
    schema: { tags, summary: 'Set the password of an invited console user', body: acceptInviteBody, response: { 200: z.object({ email: z.string() }), ...errorResponses } },
  }, async (req) => service.acceptInvite(p, req.body.token, req.body.password, req.body.name));

  app.post('/v1/auth/login', {
    config: { auth: 'public' },
    schema: { tags, summary: 'Console login; sets an httpOnly SameSite session cookie', body: loginBody },
  }, async (req, reply) => {
    const s = await service.login(p, req.body.email, req.body.password, req.body.workspace);
    void reply.setCookie(SESSION_COOKIE, s.token, {
      httpOnly: true, sameSite: 'lax', path: '/', expires: s.expiresAt,
      secure: p.config.publicUrl.startsWith('https://'),
    });
    return { workspaceId: s.workspaceId, role: s.role };
  });

  app.post('/v1/auth/logout', {
    config: { auth: 'public' },
    schema: { tags, summary: 'End the console session' },
  }, async (req, reply) => {
    const token = req.cookies[SESSION_COOKIE];
    if (token) await service.logout(p, token);
    void reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.status(204).send();
  });

  app.get('/v1/me', {
    config: { auth: 'read' },
    schema: { tags, summary: 'Who is calling: workspace, role, console user' },
  }, async (req) => service.me(p, principalOf(req)));

  app.get('/v1/audit-log', {
    config: { auth: 'read' },
    schema: { tags, summary: 'Who did what, newest first', querystring: listQuery },
  }, async (req) => service.listAudit(p, principalOf(req), req.query.limit, req.query.cursor));
};
