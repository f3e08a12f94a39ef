import Fastify from 'fastify';
import { flushClicks } from '../src/links/links.service.ts';
import { api, fmt, freePort, header, median, option, startBench, switchOff, verdicts } from './lib/setup.ts';
import { getLoad, type GetLoadResult } from './lib/workers.ts';
import { cpuPer, cpuSample } from './lib/cpu.ts';
import { startProfile } from './lib/profile.ts';

/**
 * Short-link redirects: requests/s and latency of `GET /l/{code}` on real links — created by a
 * real task run (workspace → users → segment → SMS template with a tracked link → campaign →
 * task → approve → the delivery jobs send) — side by side with a bare Fastify route on the same
 * machine answering the same 302 (same Location and Cache-Control).
 *
 *   npm run bench -- redirect [--links 20000] [--connections 10] [--seconds 10] [--rounds 3] [--no-worker] [--cpu-prof=<file prefix>]
 *
 * autocannon runs in a worker thread; both servers live in this process (one at a time is
 * loaded), and every request asks for the next code round-robin. The app's path includes
 * what a click costs: lookup (cached after first use), queueing the click, and the flushes that
 * write the click log (one row per ~20 ms). By default (as `npm start`
 * runs) the job workers run in this process during the load, so the folder that turns the log
 * into $link_clicked events and first clicks competes for the same cores; `--no-worker` leaves
 * folding until after the rounds. Either way the fold of everything left is timed after the
 * load and every answered redirect is checked to be an event. Each round measures both servers
 * back to back; the medians over rounds (of the ratio, and of the app's p99) govern.
 */
const links = option('links', 20_000);
const connections = option('connections', 10);
const seconds = option('seconds', 10);
const rounds = option('rounds', 3);
const withWorker = !switchOff('worker');
/** `--cpu-prof=<prefix>`: a CPU profile of the main thread over the app's load in the last round. */
const profileTo = process.argv.find((a) => a.startsWith('--cpu-prof='))?.slice('--cpu-prof='.length);
const WARMUP_SECONDS = 3;

const b = await startBench('redirect');
try {
  header('Benchmark: short-link redirect (GET /l/{code}) vs a bare Fastify 302', b.machine, {
    'job workers during the load': withWorker ? 'yes (as npm start)' : 'no (folding after the rounds)',
    workload: `${fmt(links)} links from a real task run, ${connections} connections, pipelining 1, ${rounds} rounds × ${seconds} s per server after a ${WARMUP_SECONDS} s warm-up`,
    'load generator': 'autocannon in a worker thread of this process; codes round-robin',
  });

  // A real send: the links come out of the delivery pipeline, as in production.
  const t = performance.now();
  const slug = `bench-redirect-${Date.now().toString(36)}`;
  const ws = await api(b.url, b.rootKey).post<{ id: string; apiKey: string }>('/v1/workspaces', { name: 'Redirect benchmark', slug });
  const client = api(b.url, ws.apiKey);
  for (let i = 0; i < links; i += 10_000) {
    await client.post('/v1/users', { users: Array.from({ length: Math.min(10_000, links - i) }, (_, k) => ({ externalId: `r${i + k}`, phone: `138${String(i + k).padStart(8, '0')}`, attributes: { city: 'Hangzhou' } })) });
  }
  const segment = await client.post<{ id: string }>('/v1/segments', { name: 'Everyone in Hangzhou', refresh: 'manual', definition: { attr: 'city', op: 'eq', value: 'Hangzhou' } });
  await b.p.jobs.drain();
  const template = await client.post<{ id: string }>('/v1/templates', { name: 'Sale', channel: 'sms', content: { signature: 'Shop', body: 'Autumn sale, 20% off: {{ "https://shop.example.com/sale?src=sms" | track }}' } });
  const now = Date.now();
  const campaign = await client.post<{ id: string }>('/v1/campaigns', { name: 'Redirect bench', goal: 'repurchase', startAt: new Date(now - 60_000).toISOString(), endAt: new Date(now + 7 * 86_400_000).toISOString() });
  await client.post(`/v1/campaigns/${campaign.id}/tasks`, { name: 'SMS', channel: 'sms', templateId: template.id, audience: { segmentId: segment.id }, schedule: { type: 'now' } });
  await client.post(`/v1/campaigns/${campaign.id}/submit`);
  await client.post(`/v1/campaigns/${campaign.id}/approve`);
  await b.p.jobs.drain();
  const codes = (await b.p.pool.query<{ code: string }>('select code from links where workspace_id = $1 order by code', [ws.id])).rows.map((r) => r.code);
  if (codes.length !== links) throw new Error(`expected ${links} links from the task run, found ${codes.length}`);
  process.stdout.write(`setup: ${fmt(links)} users, segment, template, campaign, task run sent → ${fmt(codes.length)} links in ${fmt((performance.now() - t) / 1000, 1)} s\n`);
  const paths = codes.map((c) => `/l/${c}`);

  // The peer: the same 302 from a bare route (what Fastify itself costs on this machine).
  const sample = await fetch(`${b.url}${paths[0]}`, { redirect: 'manual' });
  const location = sample.headers.get('location');
  if (sample.status !== 302 || !location) throw new Error(`sample redirect: ${sample.status}`);
  const bare = Fastify({ logger: false });
  bare.get('/l/:code', async (_req, reply) => reply.header('cache-control', 'no-store').redirect(location, 302));
  const barePort = await freePort();
  await bare.listen({ port: barePort, host: '127.0.0.1' });
  const bareUrl = `http://127.0.0.1:${barePort}`;

  const clicksBefore = await clickCount(ws.id);
  const worker = withWorker ? await b.p.jobs.start(b.p.db, b.p.config.workerConcurrency, b.p.config.workerStaleMs) : null;
  const load = (url: string, s: number) => getLoad({ url, paths, connections, seconds: s });
  await load(bareUrl, WARMUP_SECONDS);
  const warmApp = await load(b.url, WARMUP_SECONDS);
  let appRedirects = warmApp.statuses['302'] ?? 0;

  const results: { round: number; bare: GetLoadResult; app: GetLoadResult }[] = [];
  for (let round = 1; round <= rounds; round++) {
    // Alternate which server goes first, so drift (autovacuum, checkpoints) hits both.
    const first = round % 2 === 1 ? 'bare' : 'app';
    const r = { round } as { round: number; bare: GetLoadResult; app: GetLoadResult };
    const cpu: Record<string, string> = {};
    for (const which of first === 'bare' ? ['bare', 'app'] as const : ['app', 'bare'] as const) {
      const before = cpuSample();
      const stopProfile = profileTo && which === 'app' && round === rounds ? await startProfile() : null;
      r[which] = await load(which === 'bare' ? bareUrl : b.url, seconds);
      await stopProfile?.(`${profileTo}-redirect.cpuprofile`);
      const per = cpuPer(before, cpuSample(), r[which].requests);
      if (per) cpu[which] = `${fmt(per.node, 1)} + ${fmt(per.postgres, 1)}`;
      const bad = r[which].requests - (r[which].statuses['302'] ?? 0);
      if (bad > 0 || r[which].errors > 0) throw new Error(`${which}: ${bad} non-302 answers, ${r[which].errors} errors: ${JSON.stringify(r[which].statuses)}`);
    }
    appRedirects += r.app.statuses['302'] ?? 0;
    results.push(r);
    const line = (x: GetLoadResult) => `${fmt(x.rps)} req/s, p50 ${fmt(x.latency.p50, 2)} ms, p99 ${fmt(x.latency.p99, 2)} ms, p99.9 ${fmt(x.latency.p999, 2)} ms`;
    process.stdout.write(`round ${round}: bare ${line(r.bare)}\n         app  ${line(r.app)}\n`);
    if (cpu.app) process.stdout.write(`         CPU µs per request (this process incl. load generator + PostgreSQL): bare ${cpu.bare} · app ${cpu.app}\n`);
  }
  await bare.close();
  await worker?.stop();

  // What is left of the click log when the load stops, folded now and timed.
  const tf = performance.now();
  await flushClicks(b.p);
  const backlog = Number((await b.p.pool.query<{ n: string }>('select coalesce(sum(n), 0) as n from link_click_log')).rows[0]!.n);
  // The fold job waits MARKETLOOP_CLICK_FOLD_DELAY_MS after it was scheduled: run it now.
  await b.p.jobs.drain(new Date(Date.now() + b.p.config.clickFoldDelayMs + 60_000));
  const foldSeconds = (performance.now() - tf) / 1000;
  process.stdout.write(`click log after the load: ${fmt(backlog)} clicks not yet folded; folded in ${fmt(foldSeconds, 2)} s${backlog > 0 ? ` (${fmt(backlog / foldSeconds)} clicks/s)` : ''}\n`);

  // Every redirect that was answered had its click written. (A load run stops with requests in
  // flight: served and recorded, but not counted by the client.)
  const clicks = (await clickCount(ws.id)) - clicksBefore;
  if (clicks < appRedirects || clicks > appRedirects + 2 * connections * (rounds + 1)) throw new Error(`${appRedirects} redirects answered but ${clicks} $link_clicked events stored`);

  const bareRps = median(results.map((r) => r.bare.rps));
  const appRps = median(results.map((r) => r.app.rps));
  const ratio = median(results.map((r) => r.app.rps / r.bare.rps));
  const p99 = median(results.map((r) => r.app.latency.p99));
  process.stdout.write(`\nmedian of ${rounds} rounds: app ${fmt(appRps)} req/s (p99 ${fmt(p99, 2)} ms) · bare ${fmt(bareRps)} req/s (p99 ${fmt(median(results.map((r) => r.bare.latency.p99)), 2)} ms)\n`);
  process.stdout.write(`ratio app / bare (per round; median) = ${fmt(ratio, 2)}\n`);
  process.stdout.write(`verified: ${fmt(appRedirects)} redirects answered, ${fmt(clicks)} $link_clicked events stored (the difference: requests in flight when a load run stopped)\n`);
  verdicts('redirect', [
    { name: 'redirects/s vs a bare Fastify route returning the same 302', target: '≥ 0.7 × bare', measured: `${fmt(ratio, 2)} × (${fmt(appRps)} vs ${fmt(bareRps)} req/s)`, pass: ratio >= 0.7 },
    { name: 'redirect p99 latency', target: '< 5 ms', measured: `${fmt(p99, 2)} ms at ${connections} connections`, pass: p99 < 5 },
  ], {
    machine: b.machine, connections, seconds, links, worker: withWorker, foldBacklog: backlog, foldSeconds: Number(foldSeconds.toFixed(2)),
    rounds: results.map((r) => ({ round: r.round, bareRps: Math.round(r.bare.rps), appRps: Math.round(r.app.rps), bareLatency: r.bare.latency, appLatency: r.app.latency })),
    ratio: Number(ratio.toFixed(3)), appP99Ms: Number(p99.toFixed(3)),
  });
} finally {
  await b.close();
}

async function clickCount(workspaceId: string): Promise<number> {
  const r = await b.p.pool.query<{ n: string }>(`select count(*) as n from events where workspace_id = $1 and name = '$link_clicked'`, [workspaceId]);
  return Number(r.rows[0]!.n);
}
