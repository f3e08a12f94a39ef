import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from './support/harness.ts';

describe('OpenAPI', () => {
  let h: Harness;
  beforeAll(async () => { h = await createHarness(); });
  afterAll(async () => { await h.close(); });

  it('serves the document generated from the validating schemas, and docs/openapi.json is current', async () => {
    const r = await h.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(r.statusCode).toBe(200);
    const spec = r.json();
    expect(spec.openapi).toMatch(/^3\./);
    const routes = h.app.printRoutes({ commonPrefix: false });
    for (const path of ['/v1/events', '/v1/segments/{id}/members', '/v1/campaigns/{id}/tasks', '/v1/tasks/{id}/report', '/l/{code}']) {
      expect(Object.keys(spec.paths)).toContain(path);
    }
    expect(routes).toContain('/v1/events');
    // The request body schema of ingestion is the zod schema: unknown fields are forbidden there too.
    const ingest = spec.paths['/v1/events'].post.requestBody.content['application/json'].schema;
    expect(ingest.additionalProperties).toBe(false);
    const committed = JSON.parse(readFileSync('docs/openapi.json', 'utf8'));
    expect(committed, 'docs/openapi.json is stale: run `npm run openapi`').toEqual(spec);
  });

  it('serves a browsable reference at /docs', async () => {
    const r = await h.app.inject({ method: 'GET', url: '/docs/' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toContain('text/html');
  });
});
