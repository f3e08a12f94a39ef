import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, newWorkspace, type Harness } from './support/harness.ts';
import { expectOk } from './support/fixtures.ts';

/**
 * Workspace isolation for the customers routes of issue 3 (attributes, catalog, anonymous ids
 * and alias, CSV import jobs): workspace B never sees or changes anything of workspace A.
 */
describe('customers isolation', () => {
  let h: Harness;
  let a: Awaited<ReturnType<typeof newWorkspace>>;
  let b: Awaited<ReturnType<typeof newWorkspace>>;
  let jobId: string;

  beforeAll(async () => {
    h = await createHarness();
    a = await newWorkspace(h);
    b = await newWorkspace(h);
    await expectOk(await a.api.post('/v1/users', { users: [{ externalId: 'alice', attributes: { aSecret: 'yes' } }] }));
    await expectOk(await a.api.post('/v1/events', { events: [{ anonymousId: 'a-device', name: 'a_event', properties: { aProp: 1 } }] }));
    const boundary = 'iso';
    const payload = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\nexternalId,aCol\nfrom-csv,1\n\r\n--${boundary}--\r\n`;
    const r = await h.app.inject({ method: 'POST', url: '/v1/users/import', headers: { authorization: `Bearer ${a.key}`, 'content-type': `multipart/form-data; boundary=${boundary}` }, payload });
    jobId = JSON.parse(r.body).jobId;
    await h.drain();
  });
  afterAll(async () => { await h.close(); });

  it("answers 404 for another workspace's job and anonymous profile", async () => {
    expect((await a.api.get(`/v1/jobs/${jobId}`)).json().status).toBe('done');
    const r = await b.api.get(`/v1/jobs/${jobId}`);
    expect(r.statusCode).toBe(404);
    expect(r.json().error.code).toBe('not_found');
    const anon = `/v1/users/${encodeURIComponent('$anon:a-device')}`;
    expect((await a.api.get(anon)).statusCode).toBe(200);
    expect((await b.api.get(anon)).statusCode).toBe(404);
  });

  it('attributes, types and the catalog are per workspace', async () => {
    const names = JSON.stringify((await b.api.get('/v1/attributes?limit=1000')).json());
    const catalog = JSON.stringify((await b.api.get('/v1/catalog')).json());
    for (const foreign of ['aSecret', 'aCol', 'a_event', 'aProp']) {
      expect(names).not.toContain(foreign);
      expect(catalog).not.toContain(foreign);
    }
    await expectOk(await b.api.put('/v1/attributes/aSecret', { type: 'boolean' }));
    expect((await a.api.get('/v1/attributes?limit=1000')).json().items.find((i: { name: string }) => i.name === 'aSecret')).toEqual({ name: 'aSecret', type: 'string', source: 'inferred' });
  });

  it("an alias never reaches another workspace's anonymous history or user", async () => {
    // B aliases A's anonymous id into A's user id: in B both are unknown, so B only links its own.
    const r = await b.api.post('/v1/users/alias', { anonymousId: 'a-device', externalId: 'alice' });
    expect(r.json()).toMatchObject({ status: 'linked', moved: { events: 0, orders: 0, messages: 0 } });
    expect((await a.api.get(`/v1/users/${encodeURIComponent('$anon:a-device')}/events`)).json().items).toHaveLength(1);
    expect((await a.api.get('/v1/users/alice')).json()).toMatchObject({ attributes: { aSecret: 'yes' }, anonymousIds: [] });
    expect((await b.api.get('/v1/users/alice')).json()).toMatchObject({ attributes: {}, anonymousIds: ['a-device'] });
    // A's own alias still merges its history, untouched by B's link.
    expect((await a.api.post('/v1/users/alias', { anonymousId: 'a-device', externalId: 'alice' })).json()).toMatchObject({ status: 'merged', moved: { events: 1 } });
    expect((await b.api.get('/v1/users/alice/events')).json().items).toHaveLength(0);
  });

  it('the same file in two workspaces is two imports', async () => {
    const boundary = 'iso2';
    const payload = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\nexternalId,aCol\nfrom-csv,1\n\r\n--${boundary}--\r\n`;
    const r = await h.app.inject({ method: 'POST', url: '/v1/users/import', headers: { authorization: `Bearer ${b.key}`, 'content-type': `multipart/form-data; boundary=${boundary}` }, payload });
    expect(JSON.parse(r.body).jobId).not.toBe(jobId);
    expect(JSON.parse(r.body).duplicate).toBe(false);
  });
});
