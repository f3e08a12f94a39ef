import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../platform/errors.ts';
import { hashSecret } from '../platform/ids.ts';
import type { Platform } from '../platform/context.ts';
import { can, type Permission, type Principal } from '../workspaces/roles.ts';
import * as workspaces from '../workspaces/workspaces.service.ts';

/** `config.auth` on each route: who may call it. */
export type RouteAuth = 'public' | 'root' | Permission;

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: RouteAuth;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

export const SESSION_COOKIE = 'ml_session';

/** The signed-in principal of a workspace route; routes call this after the hook ran. */
export function principalOf(req: FastifyRequest): Principal {
  if (!req.principal) throw new AppError('unauthorized', 'Sign in or send an API key.');
  return req.principal;
}

/**
 * Resolves the caller before the body is parsed, so a request without a valid key is a 401
 * whatever its body. Keys are looked up by their SHA-256 (cached briefly, see workspaces.service).
 */
export function registerAuth(app: FastifyInstance, p: Platform): void {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (req) => {
    const auth = req.routeOptions.config?.auth;
    if (!auth || auth === 'public') return;
    const header = req.headers.authorization;
    const bearer = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
    if (auth === 'root') {
      if (bearer && hashSecret(bearer) === p.rootKeyHash) return;
      throw new AppError(bearer ? 'forbidden' : 'unauthorized', bearer ? 'This route needs the root key.' : 'Send the root key as a Bearer token.');
    }
    let principal: Principal | null = null;
    if (bearer) {
      if (hashSecret(bearer) === p.rootKeyHash) throw new AppError('forbidden', 'The root key may only manage workspaces; use a workspace key.');
      principal = await workspaces.principalForKey(p, hashSecret(bearer));
    } else {
      const token = req.cookies?.[SESSION_COOKIE];
      if (token) principal = await workspaces.principalForSession(p, hashSecret(token));
    }
    if (!principal) throw new AppError('unauthorized', 'The API key or session is missing, invalid or revoked.');
    if (!can(principal.role, auth)) throw new AppError('forbidden', `Role ${principal.role} may not do this (needs ${auth}).`);
    req.principal = principal;
  });
}
