import type pg from 'pg';
import { KeyedQueues, rejectAll, resolveAll, settle, type Pending } from './batcher.ts';

/** A statement ready to send: its SQL text and parameters (kysely's CompiledQuery is one). */
export interface CompiledStatement {
  sql: string;
  parameters: readonly unknown[];
}

export interface PipelinedWrites<In, Out> {
  /**
   * The one statement that writes these inputs, built synchronously (it may be called from
   * inside node-postgres's reply callback). Null sends the batch down `fallback` instead; a
   * throw rejects the batch's callers.
   */
  compile(key: string, inputs: In[]): CompiledStatement | null;
  /** One result per input, in order, from the statement's rows. */
  parse(rows: unknown[], inputs: In[]): Out[];
  /** The asynchronous path (a transaction, a lookup not cached yet) for a batch compile declined. */
  fallback(key: string, inputs: In[]): Promise<Out[]>;
}

/**
 * Batches like KeyedBatcher — one batch in flight per key, the calls that arrive meanwhile
 * leave together as the next one, alone a call waits for no timer — for writes that are one
 * autocommitted statement per batch, with no gap between batches: when a statement answers,
 * the next batch's statement is sent from inside node-postgres's reply callback, before the
 * answered batch's callers resume, on a connection the key holds while it has work.
 *
 * Why: with KeyedBatcher the next statement left only after the callers of the last one had
 * run (under load, dozens of HTTP replies written) and several more turns of the event loop
 * (the pool, kysely): the grant writer's PostgreSQL backend idled ~2.5 ms of every ~10 ms
 * batch (docs/benchmarks.md, Rewards). Nothing else changes: one statement at a time per key,
 * in arrival order.
 *
 * A failed statement rejects its own batch's callers; its connection is dropped and the next
 * batch goes on a fresh one.
 */
export class PipelinedBatcher<In, Out> {
  private readonly queues = new KeyedQueues<In, Out>((key) => this.drain(key));

  constructor(
    private readonly pool: pg.Pool,
    private readonly writes: PipelinedWrites<In, Out>,
    private readonly maxBatch = 500,
  ) {}

  add(key: string, input: In): Promise<Out> {
    return this.queues.add(key, input);
  }

  private take(key: string): Pending<In, Out>[] {
    return this.queues.take(key, this.maxBatch);
  }

  private async drain(key: string): Promise<void> {
    let client: pg.PoolClient | undefined;
    let carried: Pending<In, Out>[] = [];
    try {
      for (;;) {
        // No await between an empty take and `finish` below: a call added after it starts a new drain.
        const batch = carried.length ? carried : this.take(key);
        carried = [];
        if (batch.length === 0) break;
        const inputs = batch.map((b) => b.input);
        let compiled: CompiledStatement | null;
        try {
          compiled = this.writes.compile(key, inputs);
        } catch (err) {
          rejectAll(batch, err);
          continue;
        }
        if (!compiled) {
          await settle(batch, () => this.writes.fallback(key, inputs));
          continue;
        }
        try {
          client ??= await this.pool.connect();
        } catch (err) {
          rejectAll(batch, err);
          continue;
        }
        const r = await this.pipeline(key, client, batch, inputs, compiled);
        carried = r.carried;
        if (r.failed) {
          client.release(r.failed);
          client = undefined;
        }
      }
    } finally {
      client?.release();
      this.queues.finish(key);
    }
  }

  /**
   * Sends batch after batch on `client`, each from the reply callback of the one before. Ends
   * with the batch that could not follow that way (compile declined or threw), or none when
   * nothing was queued, and with the error of a statement that failed (after which nothing
   * more is sent on this connection).
   */
  private pipeline(key: string, client: pg.PoolClient, first: Pending<In, Out>[], firstInputs: In[], firstCompiled: CompiledStatement):
  Promise<{ carried: Pending<In, Out>[]; failed?: Error }> {
    return new Promise((done) => {
      const send = (batch: Pending<In, Out>[], inputs: In[], compiled: CompiledStatement): void => {
        client.query(compiled.sql, compiled.parameters as unknown[], (err: Error | null, res: pg.QueryResult) => {
          const next = err ? [] : this.take(key);
          let following: CompiledStatement | null = null;
          const nextInputs = next.map((b) => b.input);
          if (next.length) {
            try {
              following = this.writes.compile(key, nextInputs);
            } catch {
              following = null; // the drain loop compiles it again and rejects its callers with the error
            }
          }
          if (following) send(next, nextInputs, following);
          if (err) rejectAll(batch, err);
          else resolveAll(batch, () => this.writes.parse(res.rows, inputs));
          if (!following) done(err ? { carried: next, failed: err } : { carried: next });
        });
      };
      send(first, firstInputs, firstCompiled);
    });
  }
}
