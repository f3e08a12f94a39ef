import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type pg from 'pg';
import type { Platform } from '../platform/context.ts';
import { AppError } from '../platform/errors.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Honour the Idempotency-Key header on this route (API.md "Idempotency"). */
    idempotent?: boolean;
  }
  interface FastifyRequest {
    idem: { client: pg.PoolClient; key: string; route: string; hash: string } | null;
  }
}

const HEADER = 'idempotency-key';

/**
 * Idempotency-Key: the first request with a key does the work and its 2xx answer is stored;
 * a repeat gets the stored answer and does nothing. Concurrent requests with the same key are
 * serialised by an advisory lock held on a dedicated connection for the request's duration, so
 * the work cannot run twice. The same key with a different body is a 409 `idempotency_conflict`.
 */
export function registerIdempotency(app: FastifyInstance, p: Platform): void {
  app.decorateRequest('idem', null);

  app.addHook('preHandler', async (req, reply) => {
    const key = req.headers[HEADER];
    if (!req.routeOptions.config?.idempotent || typeof key !== 'string' || !req.principal) return;
    if (key.length === 0 || key.length > 200) throw new AppError('validation_failed', 'Bad Idempotency-Key.', [{ path: 'Idempotency-Key', message: '1 to 200 characters.' }]);
    const ws = req.principal.workspaceId;
    const route = `${req.method} ${req.routeOptions.url}:${JSON.stringify(req.params ?? {})}`;
    const hash = createHash('sha256').update(JSON.stringify(req.body ?? null)).digest('hex');
    const client = await p.pool.connect();
    try {
      await client.query('select pg_advisory_lock(hashtextextended($1, 0))', [`${ws}\u0000${key}`]);
      const { rows } = await client.query('select request_hash, status_code, body from idempotency_keys where workspace_id = $1 and key = $2 and route = $3', [ws, key, route]);
      if (rows[0]) {
        await unlock(client, ws, key);
        if (rows[0].request_hash !== hash) throw new AppError('idempotency_conflict', 'This Idempotency-Key was used with a different request body.');
        void reply.header('idempotent-replayed', 'true');
        return reply.status(rows[0].status_code).send(rows[0].body);
      }
      req.idem = { client, key, route, hash };
    } catch (err) {
      if (!req.idem) client.release();
      throw err;
    }
  });

  app.addHook('onSend', async (req, reply, payload) => {
    const idem = req.idem;
    if (!idem || reply.statusCode < 200 || reply.statusCode >= 300) return payload;
    const body = typeof payload === 'string' ? payload : null;
    if (body !== null) {
      await idem.client.query(
        'insert into idempotency_keys (workspace_id, key, route, request_hash, status_code, body) values ($1, $2, $3, $4, $5, $6::jsonb) on conflict do nothing',
        [req.principal!.workspaceId, idem.key, idem.route, idem.hash, reply.statusCode, body],
      );
    }
    return payload;
  });

  const release = async (req: FastifyRequest) => {
    const idem = req.idem;
    if (!idem) return;
    req.idem = null;
    await unlock(idem.client, req.principal!.workspaceId, idem.key).catch(() => undefined);
    idem.client.release();
  };
  app.addHook('onResponse', release);
  app.addHook('onRequestAbort', release);
}

async function unlock(client: pg.PoolClient, ws: string, key: string): Promise<void> {
  await client.query('select pg_advisory_unlock(hashtextextended($1, 0))', [`${ws}\u0000${key}`]);
}
