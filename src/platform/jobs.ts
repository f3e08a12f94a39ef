import { Logger as GraphileLogger } from 'graphile-worker';
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { makeWorkerUtils, parseCronItems, run, runMigrations, runOnce, type Runner, type Task, type TaskList } from 'graphile-worker';
import { sql } from 'kysely';
import type pg from 'pg';
import { z } from 'zod';
import type { Db, Tx } from './db.ts';
import type { Logger } from './logger.ts';

/**
 * Jobs run on graphile-worker in the same PostgreSQL. `enqueue` takes the caller's
 * transaction, so a state change and the job that acts on it commit together (no dual write).
 */
export interface EnqueueOptions {
  /** Dedup key: a second enqueue with the same key while the first is pending is ignored. */
  jobKey?: string;
  /**
   * What a second enqueue with the same key does: `dedupe` (default) keeps the pending job as it
   * is; `replace` updates a pending job, or adds a new one when the first is already running —
   * for "wake the folder" jobs, where a wake-up during a run must not be lost;
   * `preserve_run_at` is `replace` that keeps a pending job's time (a delayed fold is not
   * pushed back by every new wake-up).
   */
  jobKeyMode?: 'dedupe' | 'replace' | 'preserve_run_at';
  runAt?: Date;
  maxAttempts?: number;
  queueName?: string;
  priority?: number;
}

export interface JobDefinition<P> {
  name: string;
  payload: z.ZodType<P>;
  /** Handlers must be idempotent: a job may run again after a crash or a retry. */
  handle: (payload: P, job: { attempts: number; id: string }) => Promise<void>;
  /**
   * A UTC cron pattern: the worker pool enqueues the job on that schedule, once across all
   * worker processes (graphile-worker's known_crontabs), without backfilling missed runs.
   * Workspace-local schedules run often and decide per workspace what is due.
   */
  cron?: string;
}

export class Jobs {
  private readonly defs = new Map<string, JobDefinition<unknown>>();
  constructor(
    readonly schema: string,
    private readonly pool: pg.Pool,
    private readonly log: Logger,
  ) {}

  define<P>(def: JobDefinition<P>): void {
    this.defs.set(def.name, def as JobDefinition<unknown>);
  }

  async enqueue(tx: Tx, name: string, payload: unknown, opts: EnqueueOptions = {}): Promise<void> {
    const def = this.defs.get(name);
    if (!def) throw new Error(`unknown job ${name}`);
    def.payload.parse(payload);
    await sql`select ${sql.id(this.schema)}.add_job(
      ${name}, ${JSON.stringify(payload)}::json,
      queue_name => ${opts.queueName ?? null}::text,
      run_at => ${opts.runAt ?? null}::timestamptz,
      max_attempts => ${opts.maxAttempts ?? 10}::int,
      job_key => ${opts.jobKey ?? null}::text,
      priority => ${opts.priority ?? 0}::int,
      job_key_mode => ${!opts.jobKey ? 'replace' : opts.jobKeyMode === 'replace' || opts.jobKeyMode === 'preserve_run_at' ? opts.jobKeyMode : 'unsafe_dedupe'}::text
    )`.execute(tx);
  }

  /**
   * True when a job with this key is pending and not started, and then share-locks it until the
   * caller's transaction ends: no worker can start it before then (graphile-worker takes jobs
   * with FOR UPDATE SKIP LOCKED, so it passes over it and takes it on a later poll), so it is
   * sure to run after — and see — what the caller commits. Lets a frequent writer wake a job
   * only when none is waiting, instead of updating the same job row on every write.
   */
  async holdPending(tx: Tx, jobKey: string): Promise<boolean> {
    const r = await sql`select 1 from ${sql.id(this.schema, '_private_jobs')}
      where key = ${jobKey} and locked_at is null and attempts < max_attempts for share`.execute(tx);
    return r.rows.length > 0;
  }

  async migrate(): Promise<void> {
    await runMigrations({ pgPool: this.pool, schema: this.schema, logger: quietLogger });
  }

  private taskList(): TaskList {
    const list: TaskList = {};
    for (const def of this.defs.values()) {
      const task: Task = async (raw, helpers) => {
        // Payloads are validated again when picked up: the queue is an edge like HTTP.
        const payload = def.payload.parse(raw);
        await def.handle(payload, { attempts: helpers.job.attempts, id: String(helpers.job.id) });
      };
      list[def.name] = task;
    }
    return list;
  }

  /**
   * Runs every due job until the queue is empty. `asOf` (the injected clock's now) first makes
   * jobs due that are due by that clock, so tests move time without sleeping.
   */
  async drain(asOf?: Date): Promise<void> {
    for (let i = 0; i < 1000; i++) {
      if (asOf) {
        await this.pool.query(`update ${quoteIdent(this.schema)}._private_jobs set run_at = now() where run_at > now() and run_at <= $1 and locked_at is null`, [asOf]);
      }
      await runOnce({ pgPool: this.pool, schema: this.schema, taskList: this.taskList(), logger: quietLogger, noHandleSignals: true, useNodeTime: true });
      const { rows } = await this.pool.query(
        `select count(*)::int as n from ${quoteIdent(this.schema)}._private_jobs where run_at <= now() and locked_at is null and attempts < max_attempts`,
      );
      if (rows[0].n === 0) return;
    }
    throw new Error('job queue did not drain');
  }

  /**
   * Starts the worker pool. A heartbeat row lists this process's graphile worker ids; a live
   * process that sees another's heartbeat go stale force-unlocks its jobs, so a killed worker's
   * batch is retried within seconds rather than graphile's default 4 hours.
   */
  async start(db: Db, concurrency: number, staleMs: number): Promise<{ stop(): Promise<void> }> {
    const processId = `proc-${randomBytes(6).toString('hex')}`;
    const workerIds = new Set<string>();
    const events = new EventEmitter();
    // graphile-worker locks jobs under the pool's id (batched fetching) or a worker's id.
    events.on('pool:create', ({ workerPool }: { workerPool: { id: string } }) => workerIds.add(workerPool.id));
    events.on('worker:create', ({ worker }: { worker: { workerId: string } }) => workerIds.add(worker.workerId));
    const beat = async (): Promise<void> => {
      await db
        .insertInto('workerHeartbeats')
        .values({ processId, workerIds: [...workerIds], heartbeatAt: new Date() })
        .onConflict((oc) => oc.column('processId').doUpdateSet({ workerIds: [...workerIds], heartbeatAt: new Date() }))
        .execute();
      await this.unlockDeadWorkers(db, staleMs);
    };
    const runner: Runner = await run({
      pgPool: this.pool,
      schema: this.schema,
      taskList: this.taskList(),
      concurrency,
      noHandleSignals: true,
      pollInterval: 500,
      logger: quietLogger,
      events: events as never,
      parsedCronItems: parseCronItems(
        [...this.defs.values()].filter((d) => d.cron).map((d) => ({ task: d.name, match: d.cron!, identifier: d.name, options: { backfillPeriod: 0 } })),
      ),
    });
    await beat();
    const timer = setInterval(() => beat().catch((err) => this.log.warn({ err }, 'worker heartbeat failed')), Math.max(250, Math.floor(staleMs / 3)));
    return {
      stop: async () => {
        clearInterval(timer);
        await runner.stop();
        await db.deleteFrom('workerHeartbeats').where('processId', '=', processId).execute();
      },
    };
  }

  private async unlockDeadWorkers(db: Db, staleMs: number): Promise<void> {
    const dead = await db
      .deleteFrom('workerHeartbeats')
      .where('heartbeatAt', '<', new Date(Date.now() - staleMs))
      .returning(['processId', 'workerIds'])
      .execute();
    if (dead.length === 0) return;
    const ids = dead.flatMap((d) => d.workerIds);
    const utils = await makeWorkerUtils({ pgPool: this.pool, schema: this.schema, logger: quietLogger });
    try {
      if (ids.length > 0) await utils.forceUnlockWorkers(ids);
    } finally {
      await utils.release();
    }
    this.log.warn({ processes: dead.map((d) => d.processId), workers: ids.length }, 'unlocked jobs of dead worker processes');
  }
}

function quoteIdent(s: string): string {
  return `"${s.replace(/"/g, '""')}"`;
}

// graphile-worker's own chatter stays out of our logs; failures surface through our handlers.
const quietLogger = new GraphileLogger(() => (level: string, message: string) => {
  if (process.env.MARKETLOOP_JOBS_DEBUG || (level === 'error' && !process.env.VITEST)) process.stderr.write(`graphile-worker ${level}: ${message}\n`);
});
