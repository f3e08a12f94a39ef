import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import type { Platform } from '../platform/context.ts';
import { AppError } from '../platform/errors.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Honour the Idempotency-Key header on this route (API.md "Idempotency"). */
    idempotent?: boolean;
  }
  interface FastifyRequest {
    idem: { key: string; route: string } | null;
  }
}

const HEADER = 'idempotency-key';
// A claim older than this belongs to a request whose process died; the key may be reused.
const ABANDONED_AFTER = '5 minutes';

/**
 * Idempotency-Key: the first request with a key claims it (a row with status 0), does the
 * work, and stores its 2xx answer; a repeat gets the stored answer and does nothing. While the
 * first is still running a repeat gets 409 `idempotency_in_progress` (retry later). The same
 * key with another body is 409 `idempotency_conflict`. No connection is held while waiting.
 */
export function registerIdempotency(app: FastifyInstance, p: Platform): void {
  app.decorateRequest('idem', null);

  /** Claims the key, or answers the stored reply (then true: the request is answered). */
  const claim = async (req: FastifyRequest, reply: FastifyReply, key: string): Promise<boolean> => {
    if (key.length === 0 || key.length > 200 || key.includes('\u0000')) {
      throw new AppError('validation_failed', 'Bad Idempotency-Key.', [{ path: 'Idempotency-Key', message: '1 to 200 characters.' }]);
    }
    const ws = req.principal!.workspaceId;
    const route = `${req.method} ${req.routeOptions.url} ${JSON.stringify(req.params ?? {})}`;
    const hash = createHash('sha256').update(JSON.stringify(req.body ?? null)).digest('hex');
    const claimed = await p.pool.query(
      `insert into idempotency_keys (workspace_id, key, route, request_hash, status_code, body) values ($1, $2, $3, $4, 0, 'null')
       on conflict (workspace_id, key, route) do update set request_hash = excluded.request_hash, created_at = now()
         where idempotency_keys.status_code = 0 and idempotency_keys.created_at < now() - interval '${ABANDONED_AFTER}'
       returning 1`,
      [ws, key, route, hash],
    );
    if (claimed.rowCount === 1) {
      req.idem = { key, route };
      return false;
    }
    const { rows } = await p.pool.query('select request_hash, status_code, body from idempotency_keys where workspace_id = $1 and key = $2 and route = $3', [ws, key, route]);
    const prior = rows[0];
    if (!prior) throw new AppError('idempotency_in_progress', 'A request with this Idempotency-Key just finished failing; retry.');
    if (prior.request_hash !== hash) throw new AppError('idempotency_conflict', 'This Idempotency-Key was used with a different request body.');
    if (prior.status_code === 0) throw new AppError('idempotency_in_progress', 'A request with this Idempotency-Key is still in progress; retry shortly.');
    void reply.header('idempotent-replayed', 'true').status(prior.status_code).send(prior.body);
    return true;
  };

  /** Stores a 2xx answer for the key; a failed request did nothing, so its claim is released (the client may retry with the same key). */
  const settle = async (req: FastifyRequest, reply: FastifyReply, idem: { key: string; route: string }, payload: unknown): Promise<void> => {
    const ws = req.principal!.workspaceId;
    if (reply.statusCode >= 200 && reply.statusCode < 300 && typeof payload === 'string') {
      await p.pool.query('update idempotency_keys set status_code = $4, body = $5::jsonb where workspace_id = $1 and key = $2 and route = $3',
        [ws, idem.key, idem.route, reply.statusCode, payload || 'null']);
    } else {
      await releaseClaim(p, ws, idem);
    }
  };

  // Callback hooks, and only on the routes that honour the header: a request without a key
  // (most of the hot grant and draw traffic) passes without a promise or a query.
  const preHandler = (req: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void => {
    const key = req.headers[HEADER];
    if (typeof key !== 'string' || !req.principal) return done();
    claim(req, reply, key).then((answered) => {
      if (!answered) done();
    }, done);
  };
  const onSend = (req: FastifyRequest, reply: FastifyReply, payload: unknown, done: (err: Error | null, payload?: unknown) => void): void => {
    const idem = req.idem;
    if (!idem) return done(null, payload);
    req.idem = null;
    settle(req, reply, idem, payload).then(() => done(null, payload), done);
  };
  const onRequestAbort = async (req: FastifyRequest) => {
    const idem = req.idem;
    if (!idem) return;
    req.idem = null;
    await releaseClaim(p, req.principal!.workspaceId, idem).catch(() => undefined);
  };
  app.addHook('onRoute', (route) => {
    if (!route.config?.idempotent) return;
    route.preHandler = [...asArray(route.preHandler), preHandler];
    route.onSend = [...asArray(route.onSend), onSend];
    route.onRequestAbort = [...asArray(route.onRequestAbort), onRequestAbort];
  });
}

const asArray = <T>(x: T | T[] | undefined): T[] => (x === undefined ? [] : Array.isArray(x) ? x : [x]);

async function releaseClaim(p: Platform, ws: string, idem: { key: string; route: string }): Promise<void> {
  await p.pool.query('delete from idempotency_keys where workspace_id = $1 and key = $2 and route = $3 and status_code = 0', [ws, idem.key, idem.route]);
}
