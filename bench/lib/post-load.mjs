// Load generator for batch POSTs, run in a worker thread so the server's event loop (main
// thread) is not also the client's. Sends every body once with `concurrency` requests in
// flight over keep-alive connections; reports wall time, statuses and per-request latency.
// Plain JS: worker threads do not inherit tsx's loader on Node 20.
import http from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';

/** @type {{ host: string, port: number, path: string, headers: Record<string, string>, bodies: string[], concurrency: number }} */
const { host, port, path, headers, bodies, concurrency } = workerData;
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
const buffers = bodies.map((b) => Buffer.from(b));

/** @param {Buffer} body */
function post(body) {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const req = http.request({ host, port, path, method: 'POST', agent, headers: { ...headers, 'content-type': 'application/json', 'content-length': body.length } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), ms: Number(process.hrtime.bigint() - t0) / 1e6 }));
    });
    req.on('error', (err) => resolve({ status: 0, body: String(err), ms: Number(process.hrtime.bigint() - t0) / 1e6 }));
    req.end(body);
  });
}

const latencies = new Float64Array(buffers.length);
const statuses = {};
let accepted = 0;
let deduplicated = 0;
let firstError = null;
let next = 0;
const start = process.hrtime.bigint();
await Promise.all(Array.from({ length: concurrency }, async () => {
  while (next < buffers.length) {
    const i = next++;
    const r = await post(buffers[i]);
    latencies[i] = r.ms;
    statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    if (r.status === 202) {
      const j = JSON.parse(r.body);
      accepted += j.accepted;
      deduplicated += j.deduplicated ?? 0;
    } else firstError ??= `${r.status} ${r.body.slice(0, 300)}`;
  }
}));
const elapsedMs = Number(process.hrtime.bigint() - start) / 1e6;
agent.destroy();
const sorted = Array.from(latencies).sort((a, b) => a - b);
const q = (p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
parentPort.postMessage({ elapsedMs, statuses, accepted, deduplicated, firstError, latency: { p50: q(0.5), p99: q(0.99), max: sorted[sorted.length - 1] } });
