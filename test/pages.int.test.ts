import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/http/app.ts';
import { createHarness, type Harness } from './support/harness.ts';

/**
 * Which web pages each role serves from the built web/dist: `start` the console and the H5
 * reward pages, an `api` replica the H5 pages only (customers reach them from /h/{code} links,
 * which the API answers). A stand-in dist with recognisable files.
 */
describe('web pages by role', () => {
  let h: Harness;
  const apps: FastifyInstance[] = [];
  const dist = mkdtempSync(join(tmpdir(), 'ml-dist-'));
  beforeAll(async () => {
    h = await createHarness();
    mkdirSync(join(dist, 'h5'));
    mkdirSync(join(dist, 'assets'));
    writeFileSync(join(dist, 'index.html'), '<title>console</title>');
    writeFileSync(join(dist, 'h5/index.html'), '<title>h5</title>');
    writeFileSync(join(dist, 'assets/h5-x.js'), 'console.log("h5")');
  });
  afterAll(async () => {
    await Promise.all(apps.map((a) => a.close()));
    await h.close();
  });
  const safeCode = (body: string) => { try { return JSON.parse(body).error.code as string; } catch { return body.slice(0, 60); } };
  const get = async (pages: 'console' | 'h5' | undefined, url: string) => {
    const app = await buildApp(h.p, { pages, webDist: dist, logger: false });
    apps.push(app);
    const r = await app.inject({ method: 'GET', url });
    return `${r.statusCode} ${r.statusCode === 200 ? r.body : safeCode(r.body)}`;
  };

  it('start: the console at / and for its own paths, the H5 pages under /h5/', async () => {
    expect(await get('console', '/')).toBe('200 <title>console</title>');
    expect(await get('console', '/campaigns/cmp_1')).toBe('200 <title>console</title>');
    expect(await get('console', '/h5/lottery/lot_1?t=x')).toBe('200 <title>h5</title>');
    expect(await get('console', '/v1/nothing')).toBe('404 not_found');
  });

  it('api: the H5 pages and their assets, never the console', async () => {
    expect(await get('h5', '/h5/coupon/ctp_1?t=x')).toBe('200 <title>h5</title>');
    expect(await get('h5', '/assets/h5-x.js')).toBe('200 console.log("h5")');
    expect(await get('h5', '/')).toBe('404 not_found');
    expect(await get('h5', '/index.html')).toBe('404 not_found');
    expect(await get('h5', '/campaigns/cmp_1')).toBe('404 not_found');
    expect(await get('h5', '/health')).toBe('200 {"status":"ok"}');
  });

  it('no pages (tests, the worker has no HTTP): /h5/ is a 404 like any unknown path', async () => {
    expect(await get(undefined, '/h5/coupon/ctp_1')).toBe('404 not_found');
  });
});
