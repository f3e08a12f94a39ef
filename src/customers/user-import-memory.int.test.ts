import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import v8 from 'node:v8';
import vm from 'node:vm';
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, newWorkspace, type Harness } from '../../test/support/harness.ts';

/**
 * A ~50 MB CSV goes up over real HTTP as a stream and is imported by the worker, while the
 * process's resident memory is sampled: it must grow by far less than the file's size.
 */
const ROWS = 60_000;
const PAD = 'x'.repeat(800);

async function writeCsv(path: string): Promise<number> {
  const out = createWriteStream(path);
  out.write('externalId,phone,email,city,score,note\n');
  for (let i = 0; i < ROWS; i++) {
    const ok = out.write(`big-${i},138${String(i).padStart(8, '0')},u${i}@example.com,${i % 7 === 0 ? 'GZ' : 'SZ'},${i % 100},${PAD}${i}\n`);
    if (!ok) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return (await stat(path)).size;
}

async function postFile(url: string, key: string, path: string): Promise<{ status: number; body: string }> {
  const boundary = '----mlmemory';
  const req = request(url, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': `multipart/form-data; boundary=${boundary}`, 'transfer-encoding': 'chunked' } });
  const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req.on('response', (res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
  });
  req.write(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\nContent-Type: text/csv\r\n\r\n`);
  for await (const chunk of createReadStream(path, { highWaterMark: 256 * 1024 })) {
    if (!req.write(chunk)) await once(req, 'drain');
  }
  req.end(`\r\n--${boundary}--\r\n`);
  return answer;
}

describe('CSV import memory', () => {
  let h: Harness;
  let dir: string;
  beforeAll(async () => {
    h = await createHarness();
    dir = await mkdtemp(join(tmpdir(), 'ml-bigcsv-'));
  });
  afterAll(async () => {
    await h.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('streams a ~50 MB file through upload and import with bounded memory', async () => {
    const ws = await newWorkspace(h);
    const path = join(dir, 'big.csv');
    const size = await writeCsv(path);
    expect(size).toBeGreaterThan(50_000_000);
    await h.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = h.app.server.address() as AddressInfo;

    // Sampled after a forced collection: V8 grows its heap lazily, so plain rss would measure
    // garbage not yet collected rather than what the import holds.
    const rss = () => { gc(); return process.memoryUsage().rss; };
    const base = rss();
    const upload: number[] = [];
    const drain: number[] = [];
    let phase = upload;
    const sampler = setInterval(() => phase.push(rss() - base), 250);
    try {
      const r = await postFile(`http://127.0.0.1:${port}/v1/users/import`, ws.key, path);
      expect(r.status, r.body).toBe(202);
      phase = drain;
      await h.drain();
      const job = (await ws.api.get(`/v1/jobs/${JSON.parse(r.body).jobId}`)).json();
      expect(job).toMatchObject({ status: 'done', processed: ROWS, failed: 0 });
    } finally {
      clearInterval(sampler);
    }
    const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
    const max = (xs: number[]) => Math.max(0, ...xs);
    const half = Math.floor(drain.length / 2);
    console.log(`user import of ${mb(size)}: rss growth ${mb(max(upload))} during upload, ${mb(max(drain))} during import (${drain.length} samples)`);
    // Holding the file would add at least its size; streaming holds a few chunks and one batch.
    expect(max(upload)).toBeLessThan(size);
    expect(max(drain)).toBeLessThan(size);
    // Bounded, not proportional: the second half of the import needs no more than the first.
    expect(max(drain.slice(half))).toBeLessThan(max(drain.slice(0, half)) + 10e6);
    const last = (await ws.api.get(`/v1/users/big-${ROWS - 1}`)).json();
    expect(last.attributes).toEqual({ city: 'SZ', score: (ROWS - 1) % 100, note: `${PAD}${ROWS - 1}` });
  });
});
