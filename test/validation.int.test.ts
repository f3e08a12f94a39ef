import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, createHarness, newWorkspace, type Harness } from './support/harness.ts';
import { smallWorld } from './support/fixtures.ts';

/**
 * Bad input for every route family: malformed JSON, wrong types, unknown fields and
 * oversize batches each get the API.md error body naming the bad field, and nothing is written.
 */
describe('bad input', () => {
  let h: Harness;
  let ws: Awaited<ReturnType<typeof newWorkspace>>;
  let world: Awaited<ReturnType<typeof smallWorld>>;
  const counts = async () => {
    const r = await h.p.pool.query(
      `select (select count(*) from users where workspace_id = $1)::int as users, (select count(*) from events where workspace_id = $1)::int as events,
              (select count(*) from segments where workspace_id = $1)::int as segments, (select count(*) from templates where workspace_id = $1)::int as templates,
              (select count(*) from campaigns where workspace_id = $1)::int as campaigns, (select count(*) from tasks where workspace_id = $1)::int as tasks,
              (select count(*) from api_keys where workspace_id = $1)::int as keys, (select count(*) from console_users where workspace_id = $1)::int as members`, [ws.id]);
    return r.rows[0];
  };

  beforeAll(async () => {
    h = await createHarness();
    ws = await newWorkspace(h);
    world = await smallWorld(h, ws.api, { prefix: 'v' });
  });
  afterAll(async () => { await h.close(); });

  const routes = () => [
    '/v1/users', '/v1/events', '/v1/segments', '/v1/segments/preview', '/v1/templates', `/v1/templates/${world.template.id}/render`,
    '/v1/campaigns', `/v1/campaigns/${world.campaign.id}/tasks`, `/v1/campaigns/${world.campaign.id}/reject`, '/v1/sandbox/receipts',
    '/v1/keys', '/v1/console-users/invite',
  ];

  it('malformed JSON is 400 invalid_json everywhere', async () => {
    const before = await counts();
    for (const url of routes()) {
      const r = await ws.api.post(url, '{"users": [', { 'content-type': 'application/json' });
      expect(r.statusCode, url).toBe(400);
      expect(r.json().error.code, url).toBe('invalid_json');
    }
    expect(await counts()).toEqual(before);
  });

  it('unknown fields are named and rejected everywhere', async () => {
    const before = await counts();
    const bodies: Record<string, unknown> = {
      '/v1/users': { users: [{ externalId: 'x', favouriteColour: 'red' }] },
      '/v1/events': { events: [{ externalId: 'x', name: 'page_view', extra: 1 }] },
      '/v1/segments': { name: 's', definition: { attr: 'city', op: 'eq', value: 'x', weight: 2 }, refresh: 'once' },
      '/v1/segments/preview': { definition: { all: [{ attr: 'a', op: 'exists' }, { event: 'e', window: { lastDays: 3, hours: 2 } }] } },
      '/v1/templates': { name: 't', channel: 'sms', content: { signature: 'S', body: 'b', footer: 'no' } },
      [`/v1/templates/${world.template.id}/render`]: { externalId: 'v-0', locale: 'en' },
      '/v1/campaigns': { name: 'c', goal: 'other', startAt: '2026-01-01T00:00:00Z', endAt: '2026-02-01T00:00:00Z', colour: 'blue' },
      [`/v1/campaigns/${world.campaign.id}/tasks`]: { name: 't', channel: 'sms', templateId: world.template.id, audience: { segmentId: world.segment.id }, schedule: { type: 'now', when: 1 } },
      [`/v1/campaigns/${world.campaign.id}/reject`]: { reason: 'r', by: 'me' },
      '/v1/sandbox/receipts': { messageId: '1', status: 'delivered', carrier: 'x' },
      '/v1/keys': { name: 'k', role: 'viewer', scopes: [] },
      '/v1/console-users/invite': { email: 'a@b.co', role: 'viewer', team: 'x' },
    };
    const expectedPath: Record<string, string> = {
      '/v1/users': 'users[0].favouriteColour', '/v1/events': 'events[0].extra', '/v1/segments': 'definition.weight',
      '/v1/segments/preview': 'definition.all[1].window.hours', '/v1/templates': 'content.footer',
      [`/v1/templates/${world.template.id}/render`]: 'locale', '/v1/campaigns': 'colour',
      [`/v1/campaigns/${world.campaign.id}/tasks`]: 'schedule.when', [`/v1/campaigns/${world.campaign.id}/reject`]: 'by',
      '/v1/sandbox/receipts': 'carrier', '/v1/keys': 'scopes', '/v1/console-users/invite': 'team',
    };
    for (const url of routes()) {
      const r = await ws.api.post(url, bodies[url]);
      expect(r.statusCode, `${url}: ${r.body}`).toBe(400);
      const err = r.json().error;
      expect(err.code).toBe('validation_failed');
      expect(err.details.map((d: { path: string }) => d.path), url).toContain(expectedPath[url]);
    }
    expect(await counts()).toEqual(before);
  });

  it('wrong types name each bad field', async () => {
    const before = await counts();
    const r = await ws.api.post('/v1/events', { events: [
      { externalId: 'x', name: 'order_paid', properties: { orderId: 'o1', amount: '199.00' } },
      { externalId: 42, name: 'page_view' },
      { externalId: 'y', name: 'page_view', timestamp: 'yesterday' },
    ] });
    expect(r.statusCode).toBe(400);
    const paths = r.json().error.details.map((d: { path: string }) => d.path);
    expect(paths).toEqual(expect.arrayContaining(['events[0].properties.amount', 'events[1].externalId', 'events[2].timestamp']));

    const seg = await ws.api.post('/v1/segments/preview', { definition: { all: [{ attr: 'city', op: 'eq', value: 'x' }, { attr: 'createdAt', op: 'gt', value: 'T-3' }] } });
    expect(seg.statusCode).toBe(400);
    expect(seg.json().error.details[0].path).toBe('definition.all[1].op');

    const tooDeep = await ws.api.post('/v1/segments', { name: 's', definition: { any: [] }, refresh: 'sometimes' });
    expect(tooDeep.json().error.details.map((d: { path: string }) => d.path)).toEqual(expect.arrayContaining(['definition.any', 'refresh']));

    const campaign = await ws.api.post('/v1/campaigns', { name: '', goal: 'fame', startAt: '2026-02-01T00:00:00Z', endAt: 'soon' });
    expect(campaign.json().error.details.map((d: { path: string }) => d.path)).toEqual(expect.arrayContaining(['name', 'goal', 'endAt']));
    const backwards = await ws.api.post('/v1/campaigns', { name: 'c', goal: 'other', startAt: '2026-02-01T00:00:00Z', endAt: '2026-01-01T00:00:00Z' });
    expect(backwards.json().error.details[0].path).toBe('endAt');

    const tpl = await ws.api.post('/v1/templates', { name: 't', channel: 'sms', content: { signature: 'S', body: 'Hi {{ user.name ' } });
    expect(tpl.statusCode).toBe(400);
    expect(tpl.json().error.details[0].path).toBe('content');
    const wrongChannel = await ws.api.post(`/v1/campaigns/${world.campaign.id}/tasks`, { name: 't', channel: 'email', templateId: world.template.id, audience: { segmentId: world.segment.id }, schedule: { type: 'now' } });
    expect(wrongChannel.json().error.details[0].path).toBe('templateId');
    const q = await ws.api.get('/v1/segments?limit=5000');
    expect(q.statusCode).toBe(400);
    expect(q.json().error.details[0].path).toBe('querystring.limit');
    expect(await counts()).toEqual(before);
  });

  it('oversize batches are a 400 naming the field, and write nothing', async () => {
    const before = await counts();
    const users = Array.from({ length: 10_001 }, (_, i) => ({ externalId: `big-${i}` }));
    const r = await ws.api.post('/v1/users', { users });
    expect([r.statusCode, r.json().error.code, r.json().error.details[0].path]).toEqual([400, 'validation_failed', 'users']);
    const e = await ws.api.post('/v1/events', { events: users.map((u) => ({ externalId: u.externalId, name: 'x' })) });
    expect([e.statusCode, e.json().error.code, e.json().error.details[0].path]).toEqual([400, 'validation_failed', 'events']);
    const ok = await ws.api.post('/v1/users', { users: users.slice(0, 10_000) });
    expect(ok.statusCode).toBe(200);
    expect((await counts()).users).toBe(before.users + 10_000);
  });

  it('root and public routes validate the same way', async () => {
    const root = client(h.app, h.rootKey);
    const anon = client(h.app);
    const before = (await h.p.pool.query('select count(*)::int as n from workspaces')).rows[0].n;
    expect((await root.post('/v1/workspaces', '{"name":', { 'content-type': 'application/json' })).json().error.code).toBe('invalid_json');
    const bad = await root.post('/v1/workspaces', { name: 'x', slug: 'Not A Slug', timezone: 'Mars/Base', currency: 'yuan', plan: 'gold' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details.map((d: { path: string }) => d.path)).toEqual(expect.arrayContaining(['slug', 'timezone', 'currency', 'plan']));
    expect((await root.post(`/v1/workspaces/${ws.slug}/keys`, { name: 'k', role: 'superuser' })).json().error.details[0].path).toBe('role');
    expect((await h.p.pool.query('select count(*)::int as n from workspaces')).rows[0].n).toBe(before);
    const login = await anon.post('/v1/auth/login', { email: 'not-an-email', password: 'x', remember: true });
    expect(login.json().error.details.map((d: { path: string }) => d.path)).toEqual(expect.arrayContaining(['email', 'remember']));
    const patch = await ws.api.patch('/v1/workspace', { timezone: 'Nowhere/City' });
    expect(patch.json().error.details[0].path).toBe('timezone');
    expect((await ws.api.get('/v1/workspace')).json().timezone).toBe('Asia/Shanghai');
  });

  it('an unknown route and an unknown id are 404 with the error body', async () => {
    const r = await ws.api.get('/v1/nothing-here');
    expect(r.statusCode).toBe(404);
    expect(r.json().error.code).toBe('not_found');
    expect((await ws.api.get('/v1/campaigns/cmp_nope')).json().error.code).toBe('not_found');
  });

  it('a 500 never leaks internals', async () => {
    // The database fails this workspace's template inserts with a message full of internals
    // (a trigger scoped to the workspace: other test files share the database).
    const fn = `fail_templates_${ws.id.replace(/\W/g, '')}`;
    await h.p.pool.query(`create function ${fn}() returns trigger language plpgsql as $$ begin raise exception 'relation "templates" broke in select at templates.repo.ts:12'; end $$`);
    await h.p.pool.query(`create trigger ${fn} before insert on templates for each row when (new.workspace_id = '${ws.id}') execute function ${fn}()`);
    try {
      const r = await ws.api.post('/v1/templates', { name: 'x', channel: 'sms', content: { signature: 'S', body: 'hi' } });
      expect(r.statusCode).toBe(500);
      expect(r.json().error.code).toBe('internal_error');
      expect(r.body).not.toMatch(/templates|relation|select|at .*\.ts/i);
      expect(r.json().error.message).toContain(r.headers['x-request-id'] as string);
    } finally {
      await h.p.pool.query(`drop trigger ${fn} on templates`);
      await h.p.pool.query(`drop function ${fn}()`);
    }
  });
});
