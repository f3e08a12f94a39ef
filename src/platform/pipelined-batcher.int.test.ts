import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { createDb } from './db.ts';
import { PipelinedBatcher, type PipelinedWrites } from './pipelined-batcher.ts';

/**
 * PipelinedBatcher on a real PostgreSQL: batches of calls, one statement each, the next
 * statement sent from the reply of the last one; failures stay with their batch.
 */
let pool: ReturnType<typeof createDb>['pool'];
beforeAll(() => { pool = createDb(inject('databaseUrl'), 4).pool; });
afterAll(async () => { await pool.end(); });

/**
 * Each input doubled, by one statement per batch; "boom" makes the statement fail, "kill" ends
 * its connection, "async" takes the fallback, "bad" makes compile throw.
 */
function doubler(log: string[], onCompile: (inputs: string[]) => void = () => undefined): PipelinedWrites<string, number> {
  return {
    compile: (_key, inputs) => {
      log.push(`compile ${inputs.join(',')}`);
      onCompile(inputs);
      if (inputs.includes('bad')) throw new Error('cannot compile');
      if (inputs.includes('kill')) return { sql: 'select pg_terminate_backend(pg_backend_pid())', parameters: [] };
      if (inputs.includes('async')) return null;
      const values = inputs.map((s) => (s === 'boom' ? 0 : Number(s.replace(/\D/g, '')) || 0));
      return {
        sql: `/* prepared:test.pipelined-doubler */ select array_agg(x * 2 / ${inputs.includes('boom') ? 0 : 1} order by o) as out from unnest($1::int[]) with ordinality as t(x, o)`,
        parameters: [values],
      };
    },
    parse: (rows) => (rows[0] as { out: number[] }).out,
    fallback: async (_key, inputs) => {
      log.push(`fallback ${inputs.join(',')}`);
      return inputs.map(() => -1);
    },
  };
}

it('concurrent calls share statements and each gets its own answer, in order', async () => {
  const log: string[] = [];
  const batcher = new PipelinedBatcher(pool, doubler(log));
  const inputs = Array.from({ length: 300 }, (_, i) => `n${i}`);
  const out = await Promise.all(inputs.map((s) => batcher.add('ws1', s)));
  expect(out).toEqual(inputs.map((_, i) => i * 2));
  const statements = log.filter((l) => l.startsWith('compile')).length;
  expect(statements).toBeGreaterThanOrEqual(1);
  expect(statements).toBeLessThan(300);
  // The held connection went back to the pool.
  expect(pool.totalCount - pool.idleCount).toBe(0);
});

/**
 * A batcher on key ws1 whose batch starting with `first`, when compiled, gets `next` queued
 * behind it: a second wave that arrives while the first statement is out. `second()` is that
 * wave's answers.
 */
function withSecondWave(log: string[], first: string, next: string[]) {
  let second: Promise<number[]> | undefined;
  const batcher: PipelinedBatcher<string, number> = new PipelinedBatcher(pool, doubler(log, (inputs) => {
    if (inputs[0] === first) second = Promise.all(next.map((s) => batcher.add('ws1', s)));
  }));
  return { batcher, second: () => second };
}

it("sends the next batch's statement before the answered batch's callers resume", async () => {
  const log: string[] = [];
  const { batcher, second } = withSecondWave(log, 'a1', ['b1', 'b2']);
  const first = Promise.all(['a1', 'a2'].map((s) => batcher.add('ws1', s).then((n) => { log.push(`resolved ${n}`); return n; })));
  expect(await first).toEqual([2, 4]);
  expect(await second()).toEqual([2, 4]);
  // KeyedBatcher's order would be: compile a, resolved 2, resolved 4, compile b.
  expect(log).toEqual(['compile a1,a2', 'compile b1,b2', 'resolved 2', 'resolved 4']);
});

it.each([
  { what: 'a failing statement rejects its own batch only; the batches queued behind it are written', first: 'boom', reason: /division by zero/, next: ['c3', 'c4'], answers: [6, 8] },
  { what: 'a batch whose connection dies is rejected; the batches queued behind it are written on a new connection', first: 'kill', reason: /terminat/i, next: ['d5', 'd6'], answers: [10, 12] },
])('$what', async ({ first, reason, next, answers }) => {
  const log: string[] = [];
  const { batcher, second } = withSecondWave(log, first, next);
  const failed = await Promise.allSettled([first, 'c1'].map((s) => batcher.add('ws1', s)));
  expect(failed.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  expect(String((failed[0] as PromiseRejectedResult).reason)).toMatch(reason);
  expect(await second()).toEqual(answers);
  expect(log).toEqual([`compile ${first},c1`, `compile ${next.join(',')}`]);
  expect(pool.totalCount - pool.idleCount).toBe(0);
});

it('a batch compile declines goes down the fallback, one whose compile throws is rejected, and the others are written', async () => {
  const log: string[] = [];
  const batcher = new PipelinedBatcher(pool, doubler(log));
  // Keys are independent queues, so each of these is a batch of its own.
  const [declined, thrown, written] = await Promise.allSettled([batcher.add('k-async', 'async'), batcher.add('k-bad', 'bad'), batcher.add('k-ok', 'n21')]);
  expect(declined).toEqual({ status: 'fulfilled', value: -1 });
  expect(thrown.status).toBe('rejected');
  expect(String((thrown as PromiseRejectedResult).reason)).toMatch(/cannot compile/);
  expect(written).toEqual({ status: 'fulfilled', value: 42 });
  expect(log).toContain('fallback async');
  expect(pool.totalCount - pool.idleCount).toBe(0);
});
