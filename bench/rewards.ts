import Fastify from 'fastify';
import { api, fmt, freePort, header, median, option, startBench, verdicts, type Verdict } from './lib/setup.ts';
import { postLoad, type PostLoadResult } from './lib/workers.ts';
import { cpuPer, cpuSample } from './lib/cpu.ts';
import { startProfile } from './lib/profile.ts';
import * as coupons from '../src/coupons/coupons.service.ts';

/**
 * Coupon grants (and lottery draws, when the lotteries domain is present) over HTTP with 200
 * concurrent clients, side by side in one run with a bare Fastify POST route answering the same
 * JSON with the same status (the HTTP limit of this machine). The counters adapter is the one the
 * configuration picks: Redis when REDIS_URL is set (target ≥ 0.5 × bare), else PostgreSQL
 * (target ≥ 0.3 × bare).
 *
 *   npm run bench -- rewards [--requests 20000] [--connections 200] [--rounds 3] [--no-draws] [--service] [--cpu-prof=<file prefix>]
 *   REDIS_URL=redis://127.0.0.1:6379 npm run bench -- rewards
 *
 * Each round grants a fresh template (stock = requests − 200, one coupon per user, paid by a
 * campaign budget, so every grant takes stock + per-user + per-user-day + budget in one
 * takeMany) to `requests` distinct users: the last 200 must answer out_of_stock. Zero oversell
 * is then checked from the database (coupons of the template = stock exactly, 201s = stock) and
 * the budget ledger (= stock × face value). Draws: a lottery with a stock-limited prize and
 * "no prize", one chance per user; the prize's winners in the database never exceed its stock.
 * --service also grants without HTTP, after the HTTP rounds: the coupons service called in this
 * process by `connections` concurrent callers, `rounds` fresh templates like the ones above — what
 * the grant path (counters, writer, PostgreSQL) does alone, printed beside, not a verdict.
 * --cpu-prof=<prefix> writes a CPU profile of the main thread over the app's load in the last
 * grant round (<prefix>-grants.cpuprofile) and the last draw round (<prefix>-draws.cpuprofile).
 */
const requests = option('requests', 20_000);
const connections = option('connections', 200);
const rounds = option('rounds', 3);
const withDraws = !process.argv.includes('--no-draws');
const withService = process.argv.includes('--service');
const profileTo = process.argv.find((a) => a.startsWith('--cpu-prof='))?.slice('--cpu-prof='.length);
const SHORT = 200;
const FACE = 500;

/** A load's CPU per unit (this process, its main thread, PostgreSQL, Redis) and the machine's idle share, or '' without /proc. */
const cpuText = (per: ReturnType<typeof cpuPer>, unit: string): string => per
  ? `CPU µs/${unit} node ${fmt(per.node, 0)} (main thread ${fmt(per.main, 0)}) + pg ${fmt(per.postgres, 0)} + redis ${fmt(per.redis, 0)}, machine idle ${fmt(per.idleShare * 100, 0)} %`
  : '';

const b = await startBench('rewards', { poolSize: 40 });
try {
  const kind = b.p.counters.kind;
  const target = kind === 'redis' ? 0.5 : 0.3;
  header('Benchmark: coupon grants and lottery draws over HTTP vs a bare Fastify POST', b.machine, {
    counters: kind === 'redis' ? `Redis (${process.env.REDIS_URL})` : 'PostgreSQL',
    workload: `${fmt(requests)} POSTs per server per round, ${connections} concurrent clients, keep-alive, ${rounds} rounds`,
    'load generator': 'bench/lib/post-load.mjs in a worker thread of this process',
  });

  const t0 = performance.now();
  const ws = await api(b.url, b.rootKey).post<{ id: string; apiKey: string }>('/v1/workspaces', { name: 'Rewards benchmark', slug: `bench-rewards-${Date.now().toString(36)}` });
  const client = api(b.url, ws.apiKey);
  for (let i = 0; i < requests; i += 10_000) {
    await client.post('/v1/users', { users: Array.from({ length: Math.min(10_000, requests - i) }, (_, k) => ({ externalId: `b${i + k}` })) });
  }
  const now = Date.now();
  const window = { claimStart: new Date(now - 3_600_000).toISOString(), claimEnd: new Date(now + 30 * 86_400_000).toISOString() };
  const campaign = await client.post<{ id: string }>('/v1/campaigns', {
    name: 'Bench', goal: 'repurchase', startAt: new Date(now - 60_000).toISOString(), endAt: new Date(now + 30 * 86_400_000).toISOString(),
    budget: { amount: (withService ? 2 * rounds + 1 : rounds + 1) * requests * FACE },
  });
  process.stdout.write(`setup: ${fmt(requests)} users, a campaign with a budget in ${fmt((performance.now() - t0) / 1000, 1)} s\n`);
  const bodies = Array.from({ length: requests }, (_, i) => JSON.stringify({ externalId: `b${i}` }));
  const headers = { authorization: `Bearer ${ws.apiKey}` };

  // The peer: a bare route answering what a grant answers.
  const sampleTpl = await client.post<{ id: string }>('/v1/coupon-templates', { name: 'sample', type: 'direct', value: FACE, totalStock: 1, ...window, validity: { days: 7 } });
  const sampleGrant = await client.post('/v1/coupon-templates/' + sampleTpl.id + '/grant', { externalId: 'b0' });
  const bare = Fastify({ logger: false });
  bare.post('/v1/coupon-templates/:id/grant', async (_req, reply) => reply.status(201).send(sampleGrant));
  let sampleDraw: unknown = { drawId: 'drw_sample', prize: null };
  bare.post('/v1/lotteries/:id/draw', async () => sampleDraw);
  const barePort = await freePort();
  await bare.listen({ port: barePort, host: '127.0.0.1' });

  // Each load also records the CPU it cost per request: this process (server + load generator;
  // the main thread, the server's event loop, also alone), PostgreSQL, Redis.
  const load = async (port: number, path: string, profile?: string): Promise<PostLoadResult & { cpu: string }> => {
    const stopProfile = profile ? await startProfile() : null;
    const before = cpuSample();
    const r = await postLoad({ host: '127.0.0.1', port, path, headers, bodies, concurrency: connections });
    const per = cpuPer(before, cpuSample(), requests);
    if (stopProfile) await stopProfile(profile!);
    return { ...r, cpu: cpuText(per, 'req') };
  };
  const rate = (r: PostLoadResult) => requests / (r.elapsedMs / 1000);
  const line = (r: PostLoadResult & { cpu?: string }) => `${fmt(rate(r))} req/s, p50 ${fmt(r.latency.p50, 2)} ms, p99 ${fmt(r.latency.p99, 2)} ms, statuses ${JSON.stringify(r.statuses)}${r.cpu ? `, ${r.cpu}` : ''}`;

  // Warm-up of both servers (JIT, connection pools, caches) on a template of its own.
  const warm = await client.post<{ id: string }>('/v1/coupon-templates', { name: 'warm-up', type: 'direct', value: FACE, totalStock: requests, ...window, validity: { days: 7 } });
  await load(barePort, `/v1/coupon-templates/${warm.id}/grant`);
  await load(b.port, `/v1/coupon-templates/${warm.id}/grant`);

  // A measured round's template (HTTP or service): stock = requests − SHORT, one per user and per day, paid by the campaign.
  const roundTemplate = (name: string) => client.post<{ id: string }>('/v1/coupon-templates', {
    name, type: 'direct', value: FACE, totalStock: requests - SHORT, perUserLimit: 1, perUserDailyLimit: 1, campaignId: campaign.id, ...window, validity: { days: 7 },
  });
  const couponsInDb = async (templateId: string) =>
    Number((await b.p.pool.query('select count(*) as n from coupons where workspace_id = $1 and template_id = $2', [ws.id, templateId])).rows[0].n);

  const grantRounds: { round: number; bare: PostLoadResult; app: PostLoadResult; oversold: number }[] = [];
  let oversold = 0;
  for (let round = 1; round <= rounds; round++) {
    const stock = requests - SHORT;
    const tpl = await roundTemplate(`round ${round}`);
    const path = `/v1/coupon-templates/${tpl.id}/grant`;
    const r = { round } as { round: number; bare: PostLoadResult; app: PostLoadResult; oversold: number };
    const profile = profileTo && round === rounds ? `${profileTo}-grants.cpuprofile` : undefined;
    for (const which of round % 2 === 1 ? ['bare', 'app'] as const : ['app', 'bare'] as const) r[which] = await load(which === 'bare' ? barePort : b.port, path, which === 'app' ? profile : undefined);
    const ok = r.app.statuses['201'] ?? 0;
    const refused = r.app.statuses['409'] ?? 0;
    const inDb = await couponsInDb(tpl.id);
    r.oversold = Math.max(0, inDb - stock) + Math.max(0, ok - stock);
    oversold += r.oversold;
    if (ok + refused !== requests || ok !== stock || inDb !== stock) throw new Error(`round ${round}: ${ok} granted, ${refused} refused, ${inDb} in the DB for a stock of ${stock}: ${JSON.stringify(r.app.statuses)}`);
    grantRounds.push(r);
    process.stdout.write(`grants round ${round}: bare ${line(r.bare)}\n                app  ${line(r.app)}\n                DB: ${fmt(inDb)} coupons for a stock of ${fmt(stock)}\n`);
  }
  const ledger = Number((await b.p.pool.query(`select coalesce(sum(delta), 0) as n from budget_ledger where workspace_id = $1 and campaign_id = $2`, [ws.id, campaign.id])).rows[0].n);
  const budgetOk = ledger === rounds * (requests - SHORT) * FACE;

  // The grant path without HTTP (--service): the service in this process, as many callers as clients.
  const serviceRounds: { round: number; rps: number; cpu: string }[] = [];
  for (let round = 1; withService && round <= rounds; round++) {
    const stock = requests - SHORT;
    const tpl = await roundTemplate(`service ${round}`);
    const who = { workspaceId: ws.id, role: 'admin' as const, actor: 'bench' };
    let next = 0;
    let granted = 0;
    const before = cpuSample();
    const t1 = performance.now();
    await Promise.all(Array.from({ length: connections }, async () => {
      while (next < requests) {
        const externalId = `b${next++}`;
        await coupons.grantByExternalId(b.p, who, tpl.id, externalId).then(() => granted++, (err: { code?: string }) => {
          if (err.code !== 'out_of_stock') throw err;
        });
      }
    }));
    const rps = requests / ((performance.now() - t1) / 1000);
    const per = cpuPer(before, cpuSample(), requests);
    const inDb = await couponsInDb(tpl.id);
    if (granted !== stock || inDb !== stock) throw new Error(`service round ${round}: ${granted} granted, ${inDb} in the DB for a stock of ${stock}`);
    const cpu = cpuText(per, 'grant');
    serviceRounds.push({ round, rps: Math.round(rps), cpu });
    process.stdout.write(`service round ${round} (no HTTP): ${fmt(rps)} grants/s, ${cpu}; DB: ${fmt(inDb)} coupons for a stock of ${fmt(stock)}\n`);
  }

  // Draws, when the lotteries domain answers.
  const drawRounds: { round: number; bare: PostLoadResult; app: PostLoadResult }[] = [];
  let drawNote = '';
  let drawOversold = 0;
  try {
    if (!withDraws) throw new Error('--no-draws');
    for (let round = 1; round <= rounds; round++) {
      const lot = await client.post<{ id: string }>('/v1/lotteries', {
        name: `bench ${round}`, startAt: new Date(now - 60_000).toISOString(), endAt: new Date(now + 7 * 86_400_000).toISOString(), noPrizeWeight: 50,
        prizes: [{ key: 'big', name: 'Big prize', weight: 50, stock: Math.floor(requests / 4) }],
      });
      await postLoad({ host: '127.0.0.1', port: b.port, path: `/v1/lotteries/${lot.id}/chances`, headers, bodies: bodies.map((x) => x.replace('}', ',"amount":1,"reason":"bench"}')), concurrency: 50 });
      const path = `/v1/lotteries/${lot.id}/draw`;
      if (round === 1) {
        // The bare route's answer is a real draw's; its user gets the chance it spent back, so the measured load has one chance per user.
        sampleDraw = await client.post(path, { externalId: `b${requests - 1}` }).catch(() => sampleDraw);
        await client.post(`/v1/lotteries/${lot.id}/chances`, { externalId: `b${requests - 1}`, amount: 1, reason: 'bench' });
      }
      const r = { round } as { round: number; bare: PostLoadResult; app: PostLoadResult };
      const profile = profileTo && round === rounds ? `${profileTo}-draws.cpuprofile` : undefined;
      for (const which of round % 2 === 1 ? ['bare', 'app'] as const : ['app', 'bare'] as const) r[which] = await load(which === 'bare' ? barePort : b.port, path, which === 'app' ? profile : undefined);
      const stats = await client.get<{ prizes: { key: string; won: number; stock: number | null }[] }>(`/v1/lotteries/${lot.id}/stats`);
      for (const pz of stats.prizes) drawOversold += Math.max(0, pz.won - (pz.stock ?? Infinity));
      drawRounds.push(r);
      process.stdout.write(`draws round ${round}: bare ${line(r.bare)}\n               app  ${line(r.app)}\n               prizes: ${JSON.stringify(stats.prizes)}\n`);
    }
  } catch (err) {
    drawNote = `draws not measured: ${(err as Error).message.slice(0, 200)}`;
    process.stdout.write(`${drawNote}\n`);
  }
  await bare.close();

  const ratio = (rs: { bare: PostLoadResult; app: PostLoadResult }[]) => median(rs.map((r) => rate(r.app) / rate(r.bare)));
  const grantRatio = ratio(grantRounds);
  const grantP99 = median(grantRounds.map((r) => r.app.latency.p99));
  if (serviceRounds.length) process.stdout.write(`\nservice (no HTTP): median ${fmt(median(serviceRounds.map((r) => r.rps)))} grants/s`);
  process.stdout.write(`\ngrants: median app ${fmt(median(grantRounds.map((r) => rate(r.app))))} req/s vs bare ${fmt(median(grantRounds.map((r) => rate(r.bare))))} req/s; ratio ${fmt(grantRatio, 2)}; app p99 ${fmt(grantP99, 1)} ms\n`);
  process.stdout.write(`budget ledger: ${fmt(ledger)} committed = ${rounds} × ${fmt(requests - SHORT)} × ${FACE}: ${budgetOk ? 'yes' : 'NO'}\n`);
  const items: Verdict[] = [
    { name: `coupon grants/s vs a bare Fastify POST (${kind} counters)`, target: `≥ ${target} × bare`, measured: `${fmt(grantRatio, 2)} × (${fmt(median(grantRounds.map((r) => rate(r.app))))} vs ${fmt(median(grantRounds.map((r) => rate(r.bare))))} req/s), p99 ${fmt(grantP99, 1)} ms`, pass: grantRatio >= target },
    { name: 'coupon oversell (DB count vs stock, budget ledger)', target: '0', measured: `${oversold}${budgetOk ? '' : ' (budget ledger mismatch)'}`, pass: oversold === 0 && budgetOk },
  ];
  let drawRatio: number | null = null;
  if (drawRounds.length) {
    drawRatio = ratio(drawRounds);
    const p99 = median(drawRounds.map((r) => r.app.latency.p99));
    process.stdout.write(`draws: median app ${fmt(median(drawRounds.map((r) => rate(r.app))))} req/s vs bare ${fmt(median(drawRounds.map((r) => rate(r.bare))))} req/s; ratio ${fmt(drawRatio, 2)}; app p99 ${fmt(p99, 1)} ms\n`);
    items.push({ name: `lottery draws/s vs a bare Fastify POST (${kind} counters)`, target: `≥ ${target} × bare`, measured: `${fmt(drawRatio, 2)} × (${fmt(median(drawRounds.map((r) => rate(r.app))))} vs ${fmt(median(drawRounds.map((r) => rate(r.bare))))} req/s), p99 ${fmt(p99, 1)} ms`, pass: drawRatio >= target });
    items.push({ name: 'prize oversell (won vs stock)', target: '0', measured: String(drawOversold), pass: drawOversold === 0 });
  }
  verdicts('rewards', items, {
    machine: b.machine, counters: kind, requests, connections, rounds, drawNote: drawNote || null,
    grants: grantRounds.map((r) => ({ round: r.round, bareRps: Math.round(rate(r.bare)), appRps: Math.round(rate(r.app)), appP99Ms: r.app.latency.p99, bareP99Ms: r.bare.latency.p99 })),
    draws: drawRounds.map((r) => ({ round: r.round, bareRps: Math.round(rate(r.bare)), appRps: Math.round(rate(r.app)), appP99Ms: r.app.latency.p99, statuses: r.app.statuses })),
    service: serviceRounds.map((r) => ({ round: r.round, rps: r.rps })),
    grantRatio: Number(grantRatio.toFixed(3)), drawRatio: drawRatio === null ? null : Number(drawRatio.toFixed(3)), oversold, drawOversold,
  });
} finally {
  await b.close();
}
