import { Worker } from 'node:worker_threads';

export interface PostLoadResult {
  elapsedMs: number;
  statuses: Record<string, number>;
  accepted: number;
  deduplicated: number;
  firstError: string | null;
  latency: { p50: number; p99: number; max: number };
}

export interface GetLoadResult {
  requests: number;
  seconds: number;
  rps: number;
  errors: number;
  timeouts: number;
  statuses: Record<string, number>;
  latency: { mean: number; p50: number; p90: number; p99: number; p999: number; max: number };
}

function runWorker<T>(file: string, workerData: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL(file, import.meta.url), { workerData });
    let result: T | undefined;
    w.once('message', (m: T) => { result = m; });
    w.once('error', reject);
    w.once('exit', (code) => (result !== undefined ? resolve(result) : reject(new Error(`${file} exited with ${code} and no result`))));
  });
}

/** POSTs every body once, `concurrency` in flight, from a worker thread. */
export const postLoad = (d: { host: string; port: number; path: string; headers: Record<string, string>; bodies: string[]; concurrency: number }) =>
  runWorker<PostLoadResult>('./post-load.mjs', d);

/** autocannon GETs over `paths` round-robin for `seconds`, from a worker thread. */
export const getLoad = (d: { url: string; paths: string[]; connections: number; seconds: number }) =>
  runWorker<GetLoadResult>('./get-load.mjs', d);
