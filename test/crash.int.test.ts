import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, newWorkspace, type Harness } from './support/harness.ts';
import { expectOk } from './support/fixtures.ts';

const USERS = 5000;

/** Polls a condition (real processes make real progress); bounded, never a fixed sleep. */
async function until<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 120_000, everyMs = 50): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * Kill the worker in the middle of a 5,000-user send (SIGKILL, mid-transaction), start
 * another: every user gets exactly one message.
 */
describe('a worker killed mid-send', () => {
  let h: Harness;
  const children: ChildProcess[] = [];
  const worker = (extraEnv: Record<string, string> = {}) => {
    const child = spawn(process.execPath, ['bin/marketloop.js', 'worker'], {
      env: {
        ...process.env, DATABASE_URL: h.config.databaseUrl, MARKETLOOP_ROOT_KEY: h.rootKey, MARKETLOOP_DATA_DIR: h.config.dataDir,
        MARKETLOOP_JOBS_SCHEMA: h.p.jobs.schema, MARKETLOOP_DELIVERY_BATCH: '200', MARKETLOOP_WORKER_CONCURRENCY: '2',
        MARKETLOOP_WORKER_STALE_MS: '1500', LOG_LEVEL: 'error', VITEST: '', MARKETLOOP_JOBS_DEBUG: process.env.CRASH_DEBUG ?? '', ...extraEnv,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d) => process.env.CRASH_DEBUG && process.stderr.write(`[worker ${child.pid}] ${d}`));
    child.stderr!.on('data', (d) => process.stderr.write(`[worker ${child.pid}] ${d}`));
    child.on('exit', (code, sig) => process.env.CRASH_DEBUG && process.stderr.write(`[worker ${child.pid}] exit ${code} ${sig}\n`));
    children.push(child);
    return child;
  };

  beforeAll(async () => { h = await createHarness(); });
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await h.close();
  });

  it('sends every user exactly one message', { timeout: 300_000 }, async () => {
    const ws = await newWorkspace(h);
    const users = Array.from({ length: USERS }, (_, i) => ({ externalId: `k-${i}`, phone: `1${String(3000000000 + i)}` }));
    await expectOk(await ws.api.post('/v1/users', { users }));
    const seg = (await expectOk(await ws.api.post('/v1/segments', { name: 'all', definition: { attr: 'phone', op: 'exists' }, refresh: 'once' }))).json();
    await h.drain();
    const tpl = (await expectOk(await ws.api.post('/v1/templates', { name: 't', channel: 'sms', content: { signature: 'S', body: '{{ user.externalId }} {{ "https://x.example/p" | track }}' } }))).json();
    const now = h.clock.now();
    const cmp = (await expectOk(await ws.api.post('/v1/campaigns', { name: 'c', goal: 'other', startAt: new Date(now.getTime() - 60_000).toISOString(), endAt: new Date(now.getTime() + 86_400_000).toISOString() }))).json();
    const task = (await expectOk(await ws.api.post(`/v1/campaigns/${cmp.id}/tasks`, { name: 't', channel: 'sms', templateId: tpl.id, audience: { segmentId: seg.id }, schedule: { type: 'now' } }))).json();
    await expectOk(await ws.api.post(`/v1/campaigns/${cmp.id}/submit`));
    await expectOk(await ws.api.post(`/v1/campaigns/${cmp.id}/approve`));

    const sent = async () => Number((await h.p.pool.query('select count(*) from sandbox_outbox where workspace_id = $1', [ws.id])).rows[0].count);
    const first = worker();
    // Kill when some batches are committed and this worker is inside a batch transaction.
    await until('the first worker to be mid-batch', async () => {
      const n = await sent();
      if (n === 0 || n >= USERS) return false;
      const busy = await h.p.pool.query(
        "select count(*)::int as n from pg_stat_activity where application_name = $1 and state in ('active', 'idle in transaction')",
        [`marketloop-${first.pid}`]);
      return busy.rows[0].n > 0;
    }, 120_000, 5);
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    const atKill = await sent();
    expect(atKill).toBeGreaterThan(0);
    expect(atKill).toBeLessThan(USERS);

    worker();
    await until('the run to finish', async () => {
      const r = await h.p.pool.query('select status from task_runs where task_id = $1', [task.id]);
      return r.rows[0]?.status === 'done';
    }, 60_000).catch(async (err) => {
      const jobs = await h.p.pool.query(`select * from ${h.p.jobs.schema}.jobs`);
      const beats = await h.p.pool.query('select * from worker_heartbeats');
      const batches = await h.p.pool.query("select batch_no, status from task_run_batches where status <> 'done'");
      const activity = await h.p.pool.query("select application_name, state, wait_event_type, wait_event, left(query, 120) as query from pg_stat_activity where application_name like 'marketloop-%' and state <> 'idle'");
      throw new Error(`${String(err)}; sent=${await sent()} jobs=${JSON.stringify(jobs.rows)} heartbeats=${JSON.stringify(beats.rows)} batches=${JSON.stringify(batches.rows)} activity=${JSON.stringify(activity.rows)}`);
    });

    const out = await h.p.pool.query('select count(*)::int as n, count(distinct external_id)::int as people from sandbox_outbox where workspace_id = $1', [ws.id]);
    expect(out.rows[0]).toEqual({ n: USERS, people: USERS });
    const msgs = await h.p.pool.query("select count(*)::int as n, count(*) filter (where status = 'delivered')::int as delivered from messages where task_id = $1", [task.id]);
    expect(msgs.rows[0]).toEqual({ n: USERS, delivered: USERS });
    const links = await h.p.pool.query('select count(*)::int as n, count(distinct message_id)::int as m from links where task_id = $1', [task.id]);
    expect(links.rows[0]).toEqual({ n: USERS, m: USERS });
    const events = await h.p.pool.query("select count(*)::int as n from events where workspace_id = $1 and name = '$message_sent'", [ws.id]);
    expect(events.rows[0].n).toBe(USERS);
    const report = (await ws.api.get(`/v1/tasks/${task.id}/report`)).json();
    expect(report).toMatchObject({ targeted: USERS, sent: USERS, delivered: USERS, failed: 0 });
  });
});
