import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, newWorkspace, type Harness } from './support/harness.ts';

describe('hourly maintenance', () => {
  let h: Harness;
  beforeAll(async () => { h = await createHarness(); });
  afterAll(async () => { await h.close(); });

  it('forgets idempotency keys older than a week and keeps recent ones', async () => {
    const ws = await newWorkspace(h);
    await ws.api.post('/v1/events', { events: [{ externalId: 'm1', name: 'page_view' }] }, { 'idempotency-key': 'recent' });
    await ws.api.post('/v1/events', { events: [{ externalId: 'm1', name: 'page_view' }] }, { 'idempotency-key': 'old' });
    await h.p.pool.query("update idempotency_keys set created_at = now() - interval '8 days' where workspace_id = $1 and key = 'old'", [ws.id]);
    await h.p.jobs.enqueue(h.p.db, 'maintenance.hourly', {});
    await h.drain();
    const keys = await h.p.pool.query('select key from idempotency_keys where workspace_id = $1 order by key', [ws.id]);
    expect(keys.rows.map((r) => r.key)).toEqual(['recent']);
  });
});
