import { api, fmt, header, option, startBench, verdicts, type Bench } from './lib/setup.ts';
import { cpuPer, cpuSample, postmasterPidOf, redisPidOf } from './lib/cpu.ts';
import { startProfile } from './lib/profile.ts';

/**
 * Delivery pipeline: messages/s for one "now" SMS task over N users, from approval to the last
 * message decided — audience expansion into batches (one job each), the anti-disturbance
 * checks (blacklist, unsubscribes, address, caps on the Counters port: global, channel, task),
 * Liquid rendering with a per-message short link, the sandbox send (outbox rows) and the
 * message/event rows — side by side with the floor: one `INSERT … SELECT` of the same N message
 * rows into a table shaped like `messages` (all its indexes) in the same database.
 *
 *   npm run bench -- delivery [--users 100000] [--workers 4] [--redis | --redis-only] [--cpu-prof=<file prefix>] [--no-caps]
 *
 * --redis runs the same task a second time on Redis counters (REDIS_URL, default
 * redis://127.0.0.1:6379) in a fresh runtime, and prints both side by side. --no-caps sends
 * without frequency caps (what the rest of the pipeline costs); --cpu-prof=<prefix> writes a CPU
 * profile of the measured window (bench/lib/profile.ts).
 */
const users = option('users', 100_000);
const workers = option('workers', 4);
const withRedis = process.argv.includes('--redis');
const redisOnly = process.argv.includes('--redis-only');
const noCaps = process.argv.includes('--no-caps');
const profileTo = process.argv.find((a) => a.startsWith('--cpu-prof='))?.slice('--cpu-prof='.length);

interface Run { adapter: string; seconds: number; rate: number; floorSeconds: number; floorRate: number; sent: number; suppressed: number; batches: number }

async function runOnce(adapter: 'postgres' | 'redis'): Promise<Run> {
  if (adapter === 'redis') process.env.REDIS_URL ??= 'redis://127.0.0.1:6379';
  else delete process.env.REDIS_URL;
  const b = await startBench(`delivery-${adapter}`, { poolSize: 24 });
  try {
    if (b.p.counters.kind !== adapter) throw new Error(`counters adapter is ${b.p.counters.kind}, wanted ${adapter}`);
    header(`Benchmark: delivery pipeline (${adapter} counters) vs INSERT … SELECT of the same rows`, b.machine, {
      workload: `one SMS task "now" to ${fmt(users)} users; ${noCaps ? 'no caps' : 'caps global 5/7d, sms 3/1d, task 1/1d'}; Liquid with {{ user.externalId }} and one tracked link`,
      workers: `${workers} graphile-worker jobs in parallel in this process, batches of ${b.p.config.deliveryBatchSize}`,
    });
    return await measure(b, adapter);
  } finally {
    await b.close();
  }
}

async function measure(b: Bench, adapter: string): Promise<Run> {
  const slug = `bench-delivery-${Date.now().toString(36)}`;
  const ws = await api(b.url, b.rootKey).post<{ id: string; apiKey: string }>('/v1/workspaces', { name: 'Delivery benchmark', slug });
  const client = api(b.url, ws.apiKey);
  let t = performance.now();
  // Setup (not measured): users straight into the table, 1% blacklisted, 1% without a phone.
  await b.p.pool.query(`insert into users (workspace_id, external_id, phone, attributes, created_at, updated_at)
    select $1, 'b' || g, case when g % 100 = 7 then null else '139' || lpad(g::text, 8, '0') end, jsonb_build_object('city', 'SZ', 'tier', g % 5), now(), now()
    from generate_series(1, $2::int) g`, [ws.id, users]);
  await b.p.pool.query(`insert into blacklist (workspace_id, external_id, created_by, created_at) select $1, 'b' || g, 'bench', now() from generate_series(1, $2::int, 100) g`, [ws.id, users]);
  await b.p.pool.query('analyze users');
  const worker = await b.p.jobs.start(b.p.db, workers, 30_000);
  try {
    const seg = await client.post<{ id: string }>('/v1/segments', { name: 'all', refresh: 'manual', definition: { attr: 'city', op: 'eq', value: 'SZ' } });
    for (;;) {
      const s = await client.get<{ status: string; count: number }>(`/v1/segments/${seg.id}`);
      if (s.status === 'ready') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await fetch(`${b.url}/v1/policies/delivery`, { method: 'PUT', headers: { authorization: `Bearer ${ws.apiKey}`, 'content-type': 'application/json' }, body: JSON.stringify(noCaps ? {} : { global: { maxPerUser: 5, perDays: 7 }, channels: { sms: { maxPerUser: 3, perDays: 1 } } }) });
    const tpl = await client.post<{ id: string }>('/v1/templates', { name: 'bench', channel: 'sms', content: { signature: 'Bench', body: 'Hi {{ user.externalId }}, 20% off today: {{ "https://shop.example/sale" | track }}' } });
    const now = Date.now();
    const c = await client.post<{ id: string }>('/v1/campaigns', { name: 'bench', goal: 'activation', startAt: new Date(now - 3_600_000).toISOString(), endAt: new Date(now + 86_400_000).toISOString() });
    const task = await client.post<{ id: string }>(`/v1/campaigns/${c.id}/tasks`, { name: 'bench', channel: 'sms', templateId: tpl.id, audience: { segmentId: seg.id }, schedule: { type: 'now' }, ...(noCaps ? {} : { frequency: { maxPerUser: 1, perDays: 1 } }) });
    process.stdout.write(`setup: ${fmt(users)} users, segment computed in ${fmt((performance.now() - t) / 1000, 1)} s\n`);
    await client.post(`/v1/campaigns/${c.id}/submit`);
    const pgPid = await postmasterPidOf(b.p.pool);
    const redisPid = b.p.counters.kind === 'redis' ? await redisPidOf((b.p.counters as unknown as { redis: { info(s: string): Promise<string> } }).redis) : undefined;
    const stopProfile = profileTo ? await startProfile() : null;
    const cpu0 = cpuSample(pgPid, redisPid);
    t = performance.now();
    await client.post(`/v1/campaigns/${c.id}/approve`);
    let last = 0;
    // Polls the run's row (one index probe), not the messages: counting them every 50 ms would
    // weigh on the pipeline it measures. Progress is counted once every 5 s.
    for (;;) {
      const run = await b.p.pool.query<{ status: string }>(`select status from task_runs where task_id = $1`, [task.id]);
      if (run.rows[0]?.status === 'done') {
        const left = await b.p.pool.query<{ n: string }>(`select count(*) n from messages where task_id = $1 and status = 'queued'`, [task.id]);
        const all = await b.p.pool.query<{ n: string }>(`select count(*) n from messages where task_id = $1`, [task.id]);
        if (Number(left.rows[0]!.n) === 0 && Number(all.rows[0]!.n) === users) break;
      }
      if (performance.now() - last > 5000) {
        last = performance.now();
        const r = await b.p.pool.query<{ n: string }>(`select count(*) n from messages where task_id = $1 and status <> 'queued'`, [task.id]);
        process.stdout.write(`  … ${fmt(Number(r.rows[0]!.n))} decided after ${fmt((performance.now() - t) / 1000, 1)} s\n`);
      }
      await new Promise((res) => setTimeout(res, 20));
    }
    const seconds = (performance.now() - t) / 1000;
    const cpu = cpuPer(cpu0, cpuSample(pgPid, redisPid), users);
    await stopProfile?.(`${profileTo}.${adapter}.cpuprofile`);
    const counts = await b.p.pool.query<{ status: string; reason: string | null; n: string }>(`select status, reason, count(*) n from messages where task_id = $1 group by 1, 2 order by 1, 2`, [task.id]);
    const sent = counts.rows.filter((x) => x.status === 'delivered' || x.status === 'sent').reduce((a, x) => a + Number(x.n), 0);
    const suppressed = counts.rows.filter((x) => x.status === 'suppressed').reduce((a, x) => a + Number(x.n), 0);
    const outbox = Number((await b.p.pool.query(`select count(*) n from sandbox_outbox where task_id = $1`, [task.id])).rows[0].n);
    if (outbox !== sent) throw new Error(`outbox ${outbox} != sent ${sent}`);
    const batches = (await b.p.pool.query(`select batches_total from task_runs where task_id = $1`, [task.id])).rows[0].batches_total as number;
    process.stdout.write(`pipeline: ${fmt(users)} messages decided in ${fmt(seconds, 2)} s = ${fmt(users / seconds)} messages/s (${counts.rows.map((x) => `${x.status}${x.reason ? `:${x.reason}` : ''} ${fmt(Number(x.n))}`).join(', ')}; ${batches} batches)\n`);
    if (cpu) process.stdout.write(`CPU per message: node ${fmt(cpu.node, 1)} µs, PostgreSQL ${fmt(cpu.postgres, 1)} µs, redis-server ${fmt(cpu.redis, 1)} µs (the polling loop of this bench included; redis-server counts every client of that server)\n`);

    // The floor: the same message rows, one INSERT … SELECT from the snapshot.
    const table = `bench_floor_${Date.now().toString(36)}`;
    await b.p.pool.query(`create table ${table} (like messages including all)`);
    const snap = (await b.p.pool.query(`select snapshot_id from task_runs where task_id = $1`, [task.id])).rows[0].snapshot_id as string;
    const f0 = performance.now();
    await b.p.pool.query(`insert into ${table} (workspace_id, task_run_id, task_id, campaign_id, user_id, channel, status, to_address, provider, created_at, sent_at, delivered_at)
      select $1, 0, $2, $3, user_id, 'sms', 'delivered', 'x', 'sandbox', now(), now(), now() from segment_members where snapshot_id = $4`, [ws.id, task.id, c.id, snap]);
    const floorSeconds = (performance.now() - f0) / 1000;
    await b.p.pool.query(`drop table ${table}`);
    process.stdout.write(`floor: INSERT … SELECT of ${fmt(users)} message rows in ${fmt(floorSeconds, 2)} s = ${fmt(users / floorSeconds)} rows/s · pipeline / floor = ${fmt(floorSeconds / seconds, 3)}\n`);
    return { adapter, seconds, rate: users / seconds, floorSeconds, floorRate: users / floorSeconds, sent, suppressed, batches };
  } finally {
    await worker.stop();
  }
}

const runs: Run[] = redisOnly ? [] : [await runOnce('postgres')];
if (withRedis || redisOnly) runs.push(await runOnce('redis'));
process.stdout.write(`\n| counters | users | seconds | messages/s | floor rows/s | pipeline / floor |\n| --- | --- | --- | --- | --- | --- |\n`);
for (const r of runs) process.stdout.write(`| ${r.adapter} | ${fmt(users)} | ${fmt(r.seconds, 2)} | ${fmt(r.rate)} | ${fmt(r.floorRate)} | ${fmt(r.rate / r.floorRate, 3)} |\n`);
const items = runs.flatMap((r) => [
  { name: `messages/s through the pipeline (${r.adapter} counters)`, target: '≥ 10,000 messages/s', measured: `${fmt(r.rate)} messages/s`, pass: r.rate >= 10_000 },
  ...(users >= 1_000_000 ? [{ name: `1,000,000-user task fully sent (${r.adapter} counters)`, target: '< 120 s', measured: `${fmt(r.seconds, 1)} s`, pass: r.seconds < 120 }] : []),
]);
verdicts('delivery', items, { users, workers, runs });
