import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, newWorkspace, type Harness } from './support/harness.ts';
import { launch, smallWorld } from './support/fixtures.ts';

/**
 * Workspace isolation for every route family: workspace B's key gets 404 for anything of
 * workspace A (never 403, which would leak existence), lists never show A's rows, and B
 * cannot point its own objects at A's.
 */
describe('workspace isolation', () => {
  let h: Harness;
  let a: Awaited<ReturnType<typeof newWorkspace>>;
  let b: Awaited<ReturnType<typeof newWorkspace>>;
  let world: Awaited<ReturnType<typeof smallWorld>>;
  let messageId: string;

  beforeAll(async () => {
    h = await createHarness();
    a = await newWorkspace(h);
    b = await newWorkspace(h);
    world = await smallWorld(h, a.api, { prefix: 'iso' });
    await launch(h, a.api, world.campaign.id);
    messageId = (await a.api.get('/v1/sandbox/outbox')).json().items[0].messageId;
    await smallWorld(h, b.api, { prefix: 'other' });
  });
  afterAll(async () => { await h.close(); });

  it('answers 404 for every object of another workspace', async () => {
    const { segment, template, campaign, task } = world;
    const reads = [
      `/v1/users/iso-0`, `/v1/users/iso-0/events`, `/v1/users/iso-0/messages`,
      `/v1/segments/${segment.id}`, `/v1/segments/${segment.id}/members`, `/v1/segments/${segment.id}/history`,
      `/v1/templates/${template.id}`, `/v1/campaigns/${campaign.id}`, `/v1/tasks/${task.id}`, `/v1/tasks/${task.id}/report`,
    ];
    for (const url of reads) {
      expect((await a.api.get(url)).statusCode, `A reads ${url}`).toBe(200);
      const r = await b.api.get(url);
      expect(r.statusCode, `B reads ${url}`).toBe(404);
      expect(r.json().error.code).toBe('not_found');
    }
    const writes: [string, unknown][] = [
      [`/v1/segments/${segment.id}/refresh`, undefined],
      [`/v1/templates/${template.id}/render`, { externalId: 'iso-0' }],
      [`/v1/campaigns/${campaign.id}/pause`, undefined],
      [`/v1/campaigns/${campaign.id}/end`, undefined],
      [`/v1/campaigns/${campaign.id}/reject`, { reason: 'x' }],
      [`/v1/campaigns/${campaign.id}/tasks`, { name: 'x', channel: 'sms', templateId: template.id, audience: { segmentId: segment.id }, schedule: { type: 'now' } }],
      ['/v1/sandbox/receipts', { messageId, status: 'failed' }],
    ];
    for (const [url, body] of writes) {
      const r = await b.api.post(url, body);
      expect(r.statusCode, `B writes ${url}: ${r.body}`).toBe(404);
    }
    expect((await b.api.patch(`/v1/templates/${template.id}`, { name: 'stolen' })).statusCode).toBe(404);
    // A's objects are unchanged by B's attempts.
    expect((await a.api.get(`/v1/campaigns/${campaign.id}`)).json().status).toBe('running');
    expect((await a.api.get(`/v1/templates/${template.id}`)).json().name).toBe('sms');
    expect((await a.api.get(`/v1/tasks/${task.id}/report`)).json().failed).toBe(0);
  });

  it('lists show only the caller workspace', async () => {
    for (const url of ['/v1/segments', '/v1/templates', '/v1/campaigns', '/v1/sandbox/outbox', '/v1/audit-log', '/v1/users']) {
      const ids = JSON.stringify((await b.api.get(url)).json().items);
      for (const foreign of [world.segment.id, world.template.id, world.campaign.id, 'iso-0', world.task.id]) expect(ids, url).not.toContain(foreign);
    }
    expect((await b.api.get('/v1/users?q=iso-0')).json().items).toEqual([]);
  });

  it("B cannot build on A's template or segment", async () => {
    const own = await smallWorld(h, b.api, { prefix: 'b2' });
    const r = await b.api.post(`/v1/campaigns/${own.campaign.id}/tasks`, {
      name: 'x', channel: 'sms', templateId: world.template.id, audience: { segmentId: own.segment.id }, schedule: { type: 'now' },
    });
    expect(r.statusCode).toBe(400);
    expect(r.json().error.details[0].path).toBe('templateId');
    const r2 = await b.api.post(`/v1/campaigns/${own.campaign.id}/tasks`, {
      name: 'x', channel: 'sms', templateId: own.template.id, audience: { segmentId: world.segment.id }, schedule: { type: 'now' },
    });
    expect(r2.statusCode).toBe(400);
    expect(r2.json().error.details[0].path).toBe('audience.segmentId');
    const r3 = await b.api.post('/v1/segments/preview', { definition: { segment: world.segment.id } });
    expect(r3.statusCode).toBe(400);
    expect(r3.json().error.details[0].path).toBe('definition.segment');
  });

  it("the same externalId in two workspaces is two people", async () => {
    await a.api.post('/v1/users', { users: [{ externalId: 'shared', attributes: { side: 'A' } }] });
    await b.api.post('/v1/users', { users: [{ externalId: 'shared', attributes: { side: 'B' } }] });
    expect((await a.api.get('/v1/users/shared')).json().attributes).toEqual({ side: 'A' });
    expect((await b.api.get('/v1/users/shared')).json().attributes).toEqual({ side: 'B' });
  });

  it('workspace settings and keys belong to the caller', async () => {
    expect((await b.api.get('/v1/workspace')).json().id).toBe(b.id);
    const keysB = JSON.stringify((await b.api.get('/v1/keys')).json());
    const keysA = (await a.api.get('/v1/keys')).json().items as { id: string }[];
    for (const k of keysA) expect(keysB).not.toContain(k.id);
    expect((await b.api.del(`/v1/keys/${keysA[0]!.id}`)).statusCode).toBe(404);
  });
});
