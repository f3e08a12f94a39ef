import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { api, fmt, header, median, option, startBench, verdicts } from './lib/setup.ts';
import { benchEvents, benchExternalId, copyField, MIX, type BenchEvent } from './lib/events.ts';
import { postLoad, type PostLoadResult } from './lib/workers.ts';
import { cpuPer, cpuSample, postmasterOf } from './lib/cpu.ts';
import { EVENT_PARTITION_OPTIONS, EVENT_PARTITIONS } from '../src/platform/migrations/0015-events-by-user.ts';

/**
 * Event ingestion: events/s through `POST /v1/events` (batches of 1,000 events, the full path:
 * auth, zod validation, user resolution, event insert, order rows and buyer stats for
 * order_paid), side by side with PostgreSQL COPY of the same rows into a table of the same
 * layout (columns, defaults, indexes and hash partitions of `events`, and a unique index on the
 * messageId standing for the app's dedup table) in the same database.
 *
 *   npm run bench -- ingest [--batches 300] [--users 60000] [--concurrency 4] [--rounds 2]
 *
 * Each round sends `batches` × 1,000 new events three ways, in alternating order:
 *   http            POST /v1/events, `concurrency` requests in flight (load generator in a worker thread)
 *   copy (batched)  one COPY per 1,000-row batch, `concurrency` connections — the same unit of work
 *   copy (stream)   one COPY of the whole round on one connection — PostgreSQL's bulk-load ceiling
 * Each round's ratio divides http by the faster COPY of that round (the stricter ratio);
 * the medians over rounds govern.
 */
const BATCH = 1000;
const batches = option('batches', 300);
const users = option('users', 60_000);
const concurrency = option('concurrency', 4);
const rounds = option('rounds', 3);
const WARMUP_BATCHES = 20;

const b = await startBench('ingest');
try {
  header('Benchmark: event ingestion (POST /v1/events) vs PostgreSQL COPY', b.machine, {
    workload: `${rounds} rounds × ${fmt(batches * BATCH)} events (batches of ${fmt(BATCH)}), ${fmt(users)} users, mix ${Object.entries(MIX).map(([k, v]) => `${k} ${v}%`).join(', ')}`,
    'load generator': `worker thread in this process, ${concurrency} requests/COPYs in flight, keep-alive, bodies pre-serialised`,
  });

  const slug = `bench-ingest-${Date.now().toString(36)}`;
  const ws = await api(b.url, b.rootKey).post<{ id: string; apiKey: string }>('/v1/workspaces', { name: 'Ingest benchmark', slug });
  const client = api(b.url, ws.apiKey);
  let t = performance.now();
  for (let i = 0; i < users; i += 10_000) {
    const chunk = Array.from({ length: Math.min(10_000, users - i) }, (_, k) => ({
      externalId: benchExternalId(i + k), phone: `139${String(i + k).padStart(8, '0')}`, attributes: { city: ['Shanghai', 'Beijing', 'Guangzhou', 'Shenzhen'][(i + k) % 4], tier: (i + k) % 5 },
    }));
    await client.post('/v1/users', { users: chunk });
  }
  process.stdout.write(`setup: ${fmt(users)} users upserted over HTTP in ${fmt((performance.now() - t) / 1000, 1)} s\n`);

  const ids = new Map<string, string>();
  for (const r of (await b.p.pool.query<{ id: string; external_id: string }>('select id, external_id from users where workspace_id = $1', [ws.id])).rows) ids.set(r.external_id, r.id);
  const copyTables = { batched: `bench_copy_batched_${Date.now().toString(36)}`, stream: `bench_copy_stream_${Date.now().toString(36)}` };
  for (const table of Object.values(copyTables)) {
    // The layout of `events` (migration 0015): its columns, defaults and indexes, partitioned by
    // user the same way. The messageId dedup, which the app keeps in event_message_ids' primary
    // key, is a unique index here (one table per COPY), with the user id a partitioned table's
    // unique index must contain.
    await b.p.pool.query(`create table ${table} (like events including all) partition by hash (user_id)`);
    for (let i = 0; i < EVENT_PARTITIONS; i++) {
      await b.p.pool.query(`create table ${table}_p${i} partition of ${table} for values with (modulus ${EVENT_PARTITIONS}, remainder ${i}) with (${EVENT_PARTITION_OPTIONS})`);
    }
    await b.p.pool.query(`create unique index on ${table} (workspace_id, message_id, user_id) where message_id is not null`);
  }

  /** A round's events as HTTP bodies and as COPY text, the same rows. */
  const prepare = (tag: string, n: number) => {
    const events = benchEvents(hashTag(tag), tag, n, users, Date.now());
    const bodies: string[] = [];
    const copies: Buffer[] = [];
    for (let i = 0; i < events.length; i += BATCH) {
      const chunk = events.slice(i, i + BATCH);
      bodies.push(JSON.stringify({ events: chunk }));
      copies.push(Buffer.from(chunk.map((e) => copyRow(ws.id, ids, e)).join('')));
    }
    return { bodies, copies, orders: events.filter((e) => e.name === 'order_paid').length, count: events.length };
  };

  const http = async (bodies: string[]): Promise<PostLoadResult> => {
    const r = await postLoad({ host: '127.0.0.1', port: b.port, path: '/v1/events', headers: { authorization: `Bearer ${ws.apiKey}` }, bodies, concurrency });
    if (r.firstError || r.deduplicated !== 0 || r.accepted !== bodies.length * BATCH) {
      throw new Error(`ingest failed: statuses ${JSON.stringify(r.statuses)}, accepted ${r.accepted}, deduplicated ${r.deduplicated}, first error ${r.firstError}`);
    }
    return r;
  };
  const copyBatched = async (table: string, copies: Buffer[]): Promise<number> => {
    const start = performance.now();
    let next = 0;
    await Promise.all(Array.from({ length: concurrency }, async () => {
      const c = await b.p.pool.connect();
      try {
        while (next < copies.length) await copyInto(c, table, [copies[next++]!]);
      } finally {
        c.release();
      }
    }));
    return performance.now() - start;
  };
  const copyStream = async (table: string, copies: Buffer[]): Promise<number> => {
    const start = performance.now();
    const c = await b.p.pool.connect();
    try {
      await copyInto(c, table, copies);
    } finally {
      c.release();
    }
    return performance.now() - start;
  };

  // CPU of this benchmark's own PostgreSQL server only (other servers on the machine are not ours).
  const postmaster = postmasterOf((await b.p.pool.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid);

  // Warm-up: JIT, plan caches and first pages of every index, on all three paths.
  const warm = prepare('warm', WARMUP_BATCHES * BATCH);
  await http(warm.bodies);
  await copyBatched(copyTables.batched, warm.copies);
  await copyStream(copyTables.stream, warm.copies);

  const results: { round: number; http: number; copyBatched: number; copyStream: number; p50: number; p99: number }[] = [];
  let sentEvents = warm.count;
  let sentOrders = warm.orders;
  for (let round = 1; round <= rounds; round++) {
    const data = prepare(`r${round}`, batches * BATCH);
    sentEvents += data.count;
    sentOrders += data.orders;
    const rate = (ms: number) => (data.count / ms) * 1000;
    const order = round % 2 === 1 ? ['copyStream', 'copyBatched', 'http'] as const : ['http', 'copyBatched', 'copyStream'] as const;
    const row = { round, http: 0, copyBatched: 0, copyStream: 0, p50: 0, p99: 0 };
    const cpu: Record<string, string> = {};
    for (const way of order) {
      const before = cpuSample(postmaster);
      if (way === 'http') {
        const r = await http(data.bodies);
        Object.assign(row, { http: rate(r.elapsedMs), p50: r.latency.p50, p99: r.latency.p99 });
      } else if (way === 'copyBatched') row.copyBatched = rate(await copyBatched(copyTables.batched, data.copies));
      else row.copyStream = rate(await copyStream(copyTables.stream, data.copies));
      const per = cpuPer(before, cpuSample(postmaster), data.count);
      if (per) cpu[way] = `${fmt(per.node, 1)} + ${fmt(per.postgres, 1)}`;
    }
    results.push(row);
    process.stdout.write(`round ${round}: http ${fmt(row.http)} ev/s (batch p50 ${fmt(row.p50, 1)} ms, p99 ${fmt(row.p99, 1)} ms) · copy batched ${fmt(row.copyBatched)} ev/s · copy stream ${fmt(row.copyStream)} ev/s\n`);
    if (Object.keys(cpu).length) process.stdout.write(`  CPU µs per event (this process incl. load generator + PostgreSQL): http ${cpu.http} · copy batched ${cpu.copyBatched} · copy stream ${cpu.copyStream}\n`);
  }

  // Everything acknowledged is stored: events, and an order row per order_paid.
  const stored = await b.p.pool.query<{ e: string; o: string }>(`select (select count(*) from events where workspace_id = $1) as e, (select count(*) from orders where workspace_id = $1) as o`, [ws.id]);
  const storedEvents = Number(stored.rows[0]!.e);
  const storedOrders = Number(stored.rows[0]!.o);
  if (storedEvents !== sentEvents || storedOrders !== sentOrders) throw new Error(`stored ${storedEvents} events / ${storedOrders} orders, sent ${sentEvents} / ${sentOrders}`);
  for (const table of Object.values(copyTables)) await b.p.pool.query(`drop table ${table}`);

  const med = (k: 'http' | 'copyBatched' | 'copyStream') => median(results.map((r) => r[k]));
  const httpRate = med('http');
  const copyRate = Math.max(med('copyBatched'), med('copyStream'));
  const ratio = median(results.map((r) => r.http / Math.max(r.copyBatched, r.copyStream)));
  process.stdout.write(`\nmedian of ${rounds} rounds: http ${fmt(httpRate)} events/s · COPY batched ${fmt(med('copyBatched'))}, stream ${fmt(med('copyStream'))} events/s\n`);
  process.stdout.write(`ratio http / COPY (per round, vs the faster COPY; median) = ${fmt(ratio, 2)} · vs batched COPY ${fmt(median(results.map((r) => r.http / r.copyBatched)), 2)} · vs stream COPY ${fmt(median(results.map((r) => r.http / r.copyStream)), 2)}\n`);
  process.stdout.write(`verified: ${fmt(storedEvents)} events and ${fmt(storedOrders)} orders stored = sent\n`);
  verdicts('ingest', [
    { name: 'events/s through POST /v1/events', target: '≥ 30,000 events/s', measured: `${fmt(httpRate)} events/s`, pass: httpRate >= 30_000 },
    { name: 'ratio to PostgreSQL COPY of the same rows', target: '≥ 0.5 × COPY', measured: `${fmt(ratio, 2)} × (COPY ${fmt(copyRate)} events/s)`, pass: ratio >= 0.5 },
  ], { machine: b.machine, concurrency, batches, users, rounds: results, httpEventsPerSec: Math.round(httpRate), copyEventsPerSec: Math.round(copyRate), ratio: Number(ratio.toFixed(3)) });
} finally {
  await b.close();
}

function copyRow(workspaceId: string, ids: Map<string, string>, e: BenchEvent): string {
  const userId = ids.get(e.externalId);
  if (!userId) throw new Error(`no user ${e.externalId}`);
  return `${workspaceId}\t${userId}\t${copyField(e.name)}\t${e.timestamp}\t${copyField(JSON.stringify(e.properties))}\t${copyField(e.messageId)}\n`;
}

async function copyInto(c: pg.PoolClient, table: string, chunks: Buffer[]): Promise<void> {
  const stream = c.query(copyFrom(`copy ${table} (workspace_id, user_id, name, ts, properties, message_id) from stdin`));
  await pipeline(Readable.from(chunks), stream);
}

function hashTag(tag: string): number {
  let h = 7;
  for (const ch of tag) h = (h * 31 + ch.charCodeAt(0)) | 0;
  return h;
}
