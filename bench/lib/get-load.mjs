// autocannon in a worker thread (the server under test keeps the main thread to itself):
// GETs `paths` round-robin over `connections` keep-alive connections for `seconds`. Latency is
// taken from autocannon's per-response event at full (sub-millisecond) precision, for every
// status (a redirect is a 3xx, which autocannon's own histogram would round to whole ms).
// Plain JS: worker threads do not inherit tsx's loader on Node 20.
import autocannon from 'autocannon';
import { parentPort, workerData } from 'node:worker_threads';

/** @type {{ url: string, paths: string[], connections: number, seconds: number }} */
const { url, paths, connections, seconds } = workerData;
let i = 0;
let latencies = new Float64Array(1 << 20);
let n = 0;
const statuses = {};

const instance = autocannon({
  url,
  connections,
  pipelining: 1,
  duration: seconds,
  requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: paths[i++ % paths.length] }) }],
});
instance.on('response', (_client, statusCode, _bytes, responseTime) => {
  if (n === latencies.length) {
    const bigger = new Float64Array(latencies.length * 2);
    bigger.set(latencies);
    latencies = bigger;
  }
  latencies[n++] = responseTime;
  statuses[statusCode] = (statuses[statusCode] ?? 0) + 1;
});
instance.on('done', (result) => {
  const sorted = latencies.subarray(0, n).sort();
  const q = (p) => (n ? sorted[Math.min(n - 1, Math.floor(p * n))] : NaN);
  let sum = 0;
  for (let k = 0; k < n; k++) sum += sorted[k];
  parentPort.postMessage({
    requests: n,
    seconds: result.duration,
    rps: n / result.duration,
    errors: result.errors,
    timeouts: result.timeouts,
    statuses,
    latency: { mean: sum / n, p50: q(0.5), p90: q(0.9), p99: q(0.99), p999: q(0.999), max: n ? sorted[n - 1] : NaN },
  });
});
