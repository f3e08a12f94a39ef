import type { FastifyInstance, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { LRUCache } from 'lru-cache';
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

// The SHA-256 of the bearer tokens seen lately. A token's hash never changes, so a cached hash
// is never stale: whether the key is still valid is principalForKey's answer, whose cache this
// process clears when a key is revoked. Hashing twice per request (root check, key lookup) was
// ~3 % of the grant path's CPU. Bounded, so random tokens cannot grow it.
const bearerHashes = new LRUCache<string, string>({ max: 1000 });
function hashOfBearer(bearer: string): string {
  let h = bearerHashes.get(bearer);
  if (h === undefined) bearerHashes.set(bearer, (h = hashSecret(bearer)));
  return h;
}

/**
 * Resolves the caller before the body is parsed, so a request without a valid key is a 401
 * whatever its body. Keys are looked up by their SHA-256 (cached briefly, see workspaces.service).
 * A callback hook rather than an async one: a key this process knows is admitted without a
 * promise (the hot API paths send one key many times).
 */
export function registerAuth(app: FastifyInstance, p: Platform): void {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', (req, _reply, done) => {
    const auth = req.routeOptions.config?.auth;
    if (!auth || auth === 'public') return done();
    const header = req.headers.authorization;
    const bearer = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
    if (auth === 'root') {
      if (!bearer) throw new AppError('unauthorized', 'Send the root key as a Bearer token.');
      const hash = hashOfBearer(bearer);
      if (hash === p.rootKeyHash) return done();
      // A valid workspace key is the wrong kind of key (403); anything else is no key at all (401, as API.md has it).
      return keyPrincipal(p, hash, (principal) => done(principal
        ? new AppError('forbidden', 'This route needs the root key.')
        : new AppError('unauthorized', 'This route needs the root key; the key sent is invalid or revoked.')), done);
    }
    if (bearer) {
      const hash = hashOfBearer(bearer);
      if (hash === p.rootKeyHash) throw new AppError('forbidden', 'The root key may only manage workspaces; use a workspace key.');
      return keyPrincipal(p, hash, (principal) => admit(req, auth, principal, done), done);
    }
    const token = req.cookies?.[SESSION_COOKIE];
    if (!token) return admit(req, auth, null, done);
    workspaces.principalForSession(p, hashSecret(token)).then((principal) => admit(req, auth, principal, done), done);
  });
}

/** The workspace key's principal (null: unknown or revoked) to `then`: at once when this process has it cached, else after the lookup. */
function keyPrincipal(p: Platform, hash: string, then: (principal: Principal | null) => void, fail: (err: Error) => void): void {
  const known = workspaces.cachedPrincipalForKey(hash);
  if (known !== undefined) return then(known);
  workspaces.principalForKey(p, hash).then(then, fail);
}

function admit(req: FastifyRequest, auth: Permission, principal: Principal | null, done: HookHandlerDoneFunction): void {
  if (!principal) return done(new AppError('unauthorized', 'The API key or session is missing, invalid or revoked.'));
  if (!can(principal.role, auth)) return done(new AppError('forbidden', `Role ${principal.role} may not do this (needs ${auth}).`));
  req.principal = principal;
  done();
}
