import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, createHarness, newWorkspace, type Harness } from './support/harness.ts';
import { expectOk, expectPaged, smallWorld } from './support/fixtures.ts';

describe('keys, roles and approval policy', () => {
  let h: Harness;
  beforeAll(async () => { h = await createHarness(); });
  afterAll(async () => { await h.close(); });

  it('401 without a valid key; the root key only manages workspaces', async () => {
    const anon = client(h.app);
    expect((await anon.get('/v1/segments')).statusCode).toBe(401);
    expect((await client(h.app, 'mlk_forged').get('/v1/segments')).json().error.code).toBe('unauthorized');
    expect((await anon.post('/v1/workspaces', { name: 'x', slug: 'nokey' })).statusCode).toBe(401);
    const root = client(h.app, h.rootKey);
    expect((await root.get('/v1/segments')).statusCode).toBe(403);
    const ws = await newWorkspace(h);
    expect((await ws.api.post('/v1/workspaces', { name: 'x', slug: 'by-admin' })).statusCode).toBe(403);
    const dup = await root.post('/v1/workspaces', { name: 'x', slug: ws.slug });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().error.code).toBe('already_exists');
    expect((await root.post('/v1/workspaces/no-such-ws/keys', { name: 'k', role: 'viewer' })).statusCode).toBe(404);
  });

  it('keys are stored hashed and stop working when revoked', async () => {
    const ws = await newWorkspace(h);
    const created = (await expectOk(await ws.api.post('/v1/keys', { name: 'ci', role: 'viewer' }))).json();
    const stored = await h.p.pool.query('select key_hash, key_prefix from api_keys where id = $1', [created.id]);
    expect(stored.rows[0].key_hash).not.toContain(created.apiKey);
    expect(stored.rows[0].key_hash).toMatch(/^[0-9a-f]{64}$/);
    const viewer = client(h.app, created.apiKey);
    expect((await viewer.get('/v1/workspace')).statusCode).toBe(200);
    expect((await ws.api.del(`/v1/keys/${created.id}`)).statusCode).toBe(204);
    expect((await viewer.get('/v1/workspace')).statusCode).toBe(401);
  });

  it('keys and console users are lists: a page at a time, oldest first, to nextCursor null; bad queries are 400s', async () => {
    const ws = await newWorkspace(h);
    for (const name of ['ci', 'bi']) await expectOk(await ws.api.post('/v1/keys', { name, role: 'viewer' }));
    const keys = await expectPaged<{ name: string; keyPrefix: string; createdAt: string }>(ws.api, '/v1/keys');
    expect(keys.map((k) => k.name).sort()).toEqual(['admin', 'bi', 'ci']);
    expect(keys[0]!.name).toBe('admin');
    expect(keys.map((k) => k.createdAt)).toEqual(keys.map((k) => k.createdAt).sort());
    expect(JSON.stringify(keys)).not.toContain('apiKey');
    for (const email of ['a@example.com', 'b@example.com', 'c@example.com']) await expectOk(await ws.api.post('/v1/console-users/invite', { email, role: 'viewer' }));
    const users = await expectPaged<{ email: string; createdAt: string; activatedAt: string | null }>(ws.api, '/v1/console-users');
    expect(users.map((u) => u.email).sort()).toEqual(['a@example.com', 'b@example.com', 'c@example.com']);
    expect(users.map((u) => u.createdAt)).toEqual(users.map((u) => u.createdAt).sort());
    expect(users.every((u) => u.activatedAt === null)).toBe(true);
    // Another workspace pages through its own keys only.
    expect((await (await newWorkspace(h)).api.get('/v1/keys?limit=1')).json()).toMatchObject({ items: [{ name: 'admin' }], nextCursor: null });
  });

  it('a key in use on a hot path stops working at once when revoked (the hash and principal caches do not outlive it)', async () => {
    const ws = await newWorkspace(h);
    const created = (await expectOk(await ws.api.post('/v1/keys', { name: 'shop', role: 'operator' }))).json();
    const shop = client(h.app, created.apiKey);
    await expectOk(await ws.api.post('/v1/users', { users: Array.from({ length: 21 }, (_, i) => ({ externalId: `k${i}` })) }));
    const now = h.clock.now().getTime();
    const tpl = (await expectOk(await ws.api.post('/v1/coupon-templates', {
      name: 'k', type: 'direct', value: 100, totalStock: 100, claimStart: new Date(now - 3_600_000).toISOString(), claimEnd: new Date(now + 86_400_000).toISOString(), validity: { days: 7 },
    }))).json();
    const grant = (i: number) => shop.post(`/v1/coupon-templates/${tpl.id}/grant`, { externalId: `k${i}` });
    // Concurrent requests with the key: it is hashed and its principal cached.
    const before = await Promise.all(Array.from({ length: 10 }, (_, i) => grant(i)));
    expect(before.map((r) => r.statusCode)).toEqual(Array(10).fill(201));
    expect((await ws.api.del(`/v1/keys/${created.id}`)).statusCode).toBe(204);
    const after = await Promise.all(Array.from({ length: 10 }, (_, i) => grant(10 + i)));
    expect(after.map((r) => r.json().error?.code)).toEqual(Array(10).fill('unauthorized'));
    const [n] = (await h.p.pool.query('select count(*)::int as n from coupons where workspace_id = $1', [ws.id])).rows;
    expect(n.n).toBe(10);
    // Another key of the workspace, issued after the revocation, works at once.
    const next = client(h.app, (await expectOk(await ws.api.post('/v1/keys', { name: 'shop2', role: 'operator' }))).json().apiKey);
    expect((await next.post(`/v1/coupon-templates/${tpl.id}/grant`, { externalId: 'k20' })).statusCode).toBe(201);
    // The root key is recognised from the same cache and still refused on workspace routes.
    expect((await client(h.app, h.rootKey).get('/v1/segments')).json().error.code).toBe('forbidden');
    expect((await client(h.app, h.rootKey).get('/v1/segments')).json().error.code).toBe('forbidden');
  });

  it('root routes: no key or an invalid or revoked one is 401, a valid workspace key is 403', async () => {
    const ws = await newWorkspace(h);
    const body = { name: 'x', slug: `x-${ws.slug}` };
    const status = async (key?: string) => (await client(h.app, key).post('/v1/workspaces', body)).statusCode;
    const revoked = (await expectOk(await ws.api.post('/v1/keys', { name: 'old', role: 'admin' }))).json();
    expect((await ws.api.del(`/v1/keys/${revoked.id}`)).statusCode).toBe(204);
    expect([await status(), await status('mlk_not_a_key'), await status(revoked.apiKey), await status(ws.key), await status(ws.key)]).toEqual([401, 401, 401, 403, 403]);
    expect((await client(h.app, 'mlk_not_a_key').post(`/v1/workspaces/${ws.slug}/keys`, { name: 'k', role: 'admin' })).statusCode).toBe(401);
  });

  it('roles: viewer reads only, analyst cannot approve, operator builds and launches', async () => {
    const ws = await newWorkspace(h);
    const world = await smallWorld(h, ws.api, { prefix: 'r' });
    const viewer = await ws.as('viewer');
    const analyst = await ws.as('analyst');
    const operator = await ws.as('operator');
    expect((await viewer.get(`/v1/campaigns/${world.campaign.id}`)).statusCode).toBe(200);
    expect((await viewer.post('/v1/campaigns', { name: 'c', goal: 'other', startAt: '2026-01-01T00:00:00Z', endAt: '2027-01-01T00:00:00Z' })).statusCode).toBe(403);
    expect((await viewer.post('/v1/events', { events: [{ externalId: 'x', name: 'e' }] })).statusCode).toBe(403);
    expect((await viewer.post(`/v1/campaigns/${world.campaign.id}/submit`)).statusCode).toBe(403);
    expect((await viewer.patch('/v1/workspace', { name: 'x' })).statusCode).toBe(403);
    expect((await operator.post('/v1/keys', { name: 'k', role: 'admin' })).statusCode).toBe(403);
    expect((await operator.post(`/v1/campaigns/${world.campaign.id}/submit`)).json().status).toBe('pending_approval');
    const denied = await analyst.post(`/v1/campaigns/${world.campaign.id}/approve`);
    expect(denied.statusCode).toBe(403);
    expect(denied.json().error.code).toBe('forbidden');
    expect((await ws.api.get(`/v1/campaigns/${world.campaign.id}`)).json().status).toBe('pending_approval');
    // No approval policy: the operator may approve its own campaign, and the launch works.
    expect((await operator.post(`/v1/campaigns/${world.campaign.id}/approve`)).json().status).toBe('approved');
    await h.drain();
    expect((await viewer.post(`/v1/campaigns/${world.campaign.id}/pause`)).statusCode).toBe(403);
    expect((await operator.post(`/v1/campaigns/${world.campaign.id}/pause`)).json().status).toBe('paused');
  });

  it('requireApproval: another approver/admin must approve; the creator cannot', async () => {
    const ws = await newWorkspace(h, { requireApproval: true });
    const operator = await ws.as('operator');
    const approver = await ws.as('approver');
    const world = await smallWorld(h, operator, { prefix: 'ra' });
    await expectOk(await operator.post(`/v1/campaigns/${world.campaign.id}/submit`));
    const self = await operator.post(`/v1/campaigns/${world.campaign.id}/approve`);
    expect(self.statusCode).toBe(403);
    // An admin that created and submitted its own campaign cannot approve it either.
    const own = await smallWorld(h, ws.api, { prefix: 'rb' });
    await expectOk(await ws.api.post(`/v1/campaigns/${own.campaign.id}/submit`));
    const adminSelf = await ws.api.post(`/v1/campaigns/${own.campaign.id}/approve`);
    expect(adminSelf.statusCode).toBe(409);
    expect(adminSelf.json().error.code).toBe('approver_required');
    await h.drain();
    expect((await ws.api.get(`/v1/tasks/${world.task.id}/report`)).json().sent).toBe(0);
    const rejected = await approver.post(`/v1/campaigns/${world.campaign.id}/reject`, { reason: 'Copy needs legal review' });
    expect(rejected.json()).toMatchObject({ status: 'draft', rejectReason: 'Copy needs legal review' });
    await expectOk(await operator.post(`/v1/campaigns/${world.campaign.id}/submit`));
    expect((await approver.post(`/v1/campaigns/${world.campaign.id}/approve`)).json().status).toBe('approved');
    await h.drain();
    expect((await ws.api.get(`/v1/tasks/${world.task.id}/report`)).json().sent).toBe(5);
    const audit = (await ws.api.get('/v1/audit-log?limit=200')).json().items as { action: string; actor: string; objectId: string }[];
    const approve = audit.find((a) => a.action === 'campaign.approve' && a.objectId === world.campaign.id)!;
    const submit = audit.find((a) => a.action === 'campaign.submit' && a.objectId === world.campaign.id)!;
    expect(approve.actor).not.toBe(submit.actor);
    expect(audit.some((a) => a.action === 'campaign.reject')).toBe(true);
  });

  it('lifecycle: illegal transitions are 409 invalid_state', async () => {
    const ws = await newWorkspace(h);
    const world = await smallWorld(h, ws.api, { prefix: 'lc' });
    const id = world.campaign.id;
    expect((await ws.api.post(`/v1/campaigns/${id}/approve`)).json().error.code).toBe('invalid_state');
    expect((await ws.api.post(`/v1/campaigns/${id}/resume`)).statusCode).toBe(409);
    await expectOk(await ws.api.post(`/v1/campaigns/${id}/submit`));
    expect((await ws.api.post(`/v1/campaigns/${id}/submit`)).statusCode).toBe(409);
    expect((await ws.api.post(`/v1/campaigns/${id}/end`)).json().status).toBe('ended');
    expect((await ws.api.post(`/v1/campaigns/${id}/pause`)).statusCode).toBe(409);
    // Without required approval, a campaign without tasks goes through its lifecycle (tasks may follow).
    const empty = (await ws.api.post('/v1/campaigns', { name: 'e', goal: 'other', startAt: '2026-01-01T00:00:00Z', endAt: '2027-01-01T00:00:00Z' })).json();
    expect((await ws.api.post(`/v1/campaigns/${empty.id}/submit`)).json().status).toBe('pending_approval');
    expect((await ws.api.post(`/v1/campaigns/${empty.id}/approve`)).json().status).toBe('approved');
  });

  it('requireApproval: what was approved is all that is sent — no task joins a submitted campaign after approval, and an empty one cannot be submitted', async () => {
    const ws = await newWorkspace(h, { requireApproval: true });
    const approver = await ws.as('approver');
    const world = await smallWorld(h, ws.api, { prefix: 'ap' });
    const task = (tpl: string) => ws.api.post(`/v1/campaigns/${world.campaign.id}/tasks`, { name: 'late', channel: 'sms', templateId: tpl, audience: { segmentId: world.segment.id }, schedule: { type: 'now' } });
    await expectOk(await ws.api.post(`/v1/campaigns/${world.campaign.id}/submit`));
    // Pending: the approver will see it, so it may still join.
    await expectOk(await task(world.template.id));
    await expectOk(await approver.post(`/v1/campaigns/${world.campaign.id}/approve`));
    await h.drain();
    const late = await task(world.template.id);
    expect([late.statusCode, late.json().error.code]).toEqual([409, 'invalid_state']);
    await expectOk(await ws.api.post(`/v1/campaigns/${world.campaign.id}/pause`));
    expect((await task(world.template.id)).statusCode).toBe(409);
    const tasks = (await ws.api.get(`/v1/campaigns/${world.campaign.id}`)).json().tasks as unknown[];
    expect(tasks).toHaveLength(2);
    const empty = (await ws.api.post('/v1/campaigns', { name: 'e', goal: 'other', startAt: '2026-01-01T00:00:00Z', endAt: '2027-01-01T00:00:00Z' })).json();
    const submit = await ws.api.post(`/v1/campaigns/${empty.id}/submit`);
    expect([submit.statusCode, submit.json().error.code]).toEqual([409, 'invalid_state']);
  });
});

describe('console users', () => {
  let h: Harness;
  beforeAll(async () => { h = await createHarness(); });
  afterAll(async () => { await h.close(); });

  it('admin invites an operator who sets a password and signs in with a session cookie', async () => {
    const ws = await newWorkspace(h);
    const inv = await ws.api.post('/v1/console-users/invite', { email: 'Ops@Example.com', role: 'operator' });
    expect(inv.statusCode).toBe(201);
    const { inviteToken, inviteUrl } = inv.json();
    expect(inviteUrl).toContain(inviteToken);
    expect((await ws.api.post('/v1/console-users/invite', { email: 'ops@example.com', role: 'viewer' })).statusCode).toBe(409);
    const stored = await h.p.pool.query('select password_hash, invite_token_hash from console_users where workspace_id = $1', [ws.id]);
    expect(stored.rows[0].invite_token_hash).not.toBe(inviteToken);

    const anon = client(h.app);
    expect((await anon.post('/v1/auth/login', { email: 'ops@example.com', password: 'whatever1' })).statusCode).toBe(401);
    expect((await anon.post('/v1/auth/accept-invite', { token: inviteToken, password: 'short' })).json().error.details[0].path).toBe('password');
    expect((await anon.post('/v1/auth/accept-invite', { token: inviteToken, password: 'correct horse battery' })).statusCode).toBe(200);
    expect((await anon.post('/v1/auth/accept-invite', { token: inviteToken, password: 'again and again' })).statusCode).toBe(404);
    const hash = (await h.p.pool.query('select password_hash from console_users where workspace_id = $1', [ws.id])).rows[0].password_hash as string;
    expect(hash).toMatch(/^scrypt\$/);
    expect(hash).not.toContain('correct horse');

    const wrong = await anon.post('/v1/auth/login', { email: 'ops@example.com', password: 'wrong password' });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().error.code).toBe('invalid_credentials');
    const login = await anon.post('/v1/auth/login', { email: 'OPS@example.com', password: 'correct horse battery' });
    expect(login.statusCode).toBe(200);
    const setCookie = String(login.headers['set-cookie']);
    expect(setCookie).toMatch(/ml_session=/);
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Lax/i);
    const cookie = setCookie.split(';')[0]!;
    const me = await h.app.inject({ method: 'GET', url: '/v1/me', headers: { cookie } });
    expect(me.json()).toMatchObject({ role: 'operator', email: 'ops@example.com', workspace: { id: ws.id } });
    // The session acts with the operator's role: it may create, not manage keys.
    const create = await h.app.inject({ method: 'POST', url: '/v1/templates', headers: { cookie, 'content-type': 'application/json' }, payload: { name: 'x', channel: 'sms', content: { signature: 'S', body: 'b' } } });
    expect(create.statusCode).toBe(201);
    expect((await h.app.inject({ method: 'GET', url: '/v1/keys', headers: { cookie } })).statusCode).toBe(403);
    const audit = (await ws.api.get('/v1/audit-log')).json().items as { action: string; actor: string }[];
    expect(audit.find((a) => a.action === 'template.create')!.actor).toMatch(/^user:/);
    await h.app.inject({ method: 'POST', url: '/v1/auth/logout', headers: { cookie } });
    expect((await h.app.inject({ method: 'GET', url: '/v1/me', headers: { cookie } })).statusCode).toBe(401);
  });
});

describe('Idempotency-Key', () => {
  let h: Harness;
  beforeAll(async () => { h = await createHarness(); });
  afterAll(async () => { await h.close(); });

  it('the same key twice does the work once and replays the answer', async () => {
    const ws = await newWorkspace(h);
    const body = { events: [{ externalId: 'i1', name: 'order_paid', properties: { orderId: 'idem-1', amount: 100 } }] };
    const first = await ws.api.post('/v1/events', body, { 'idempotency-key': 'batch-1' });
    const second = await ws.api.post('/v1/events', body, { 'idempotency-key': 'batch-1' });
    expect(first.statusCode).toBe(202);
    expect(second.statusCode).toBe(202);
    expect(second.json()).toEqual(first.json());
    expect(second.headers['idempotent-replayed']).toBe('true');
    const n = await h.p.pool.query("select count(*)::int as n from events where workspace_id = $1 and name = 'order_paid'", [ws.id]);
    expect(n.rows[0].n).toBe(1);
    const conflict = await ws.api.post('/v1/events', { events: [{ externalId: 'i1', name: 'page_view' }] }, { 'idempotency-key': 'batch-1' });
    expect(conflict.statusCode).toBe(409);
    expect(conflict.json().error.code).toBe('idempotency_conflict');
  });

  it('concurrent requests with one key run once', async () => {
    const ws = await newWorkspace(h);
    const body = { events: [{ externalId: 'c1', name: 'page_view', properties: { url: '/a' } }] };
    const results = await Promise.all(Array.from({ length: 8 }, () => ws.api.post('/v1/events', body, { 'idempotency-key': 'same' })));
    // One did the work; the others were replayed (202) or told it was in progress (409).
    expect(results.filter((r) => r.statusCode === 202 && !r.headers['idempotent-replayed'])).toHaveLength(1);
    for (const r of results) {
      if (r.statusCode === 409) expect(r.json().error.code).toBe('idempotency_in_progress');
      else expect(r.statusCode).toBe(202);
    }
    const again = await ws.api.post('/v1/events', body, { 'idempotency-key': 'same' });
    expect(again.statusCode).toBe(202);
    expect(again.headers['idempotent-replayed']).toBe('true');
    const n = await h.p.pool.query("select count(*)::int as n from events where workspace_id = $1 and name = 'page_view'", [ws.id]);
    expect(n.rows[0].n).toBe(1);
  });

  it('approving twice with one key launches once and answers the same', async () => {
    const ws = await newWorkspace(h);
    const world = await smallWorld(h, ws.api, { prefix: 'ik' });
    await expectOk(await ws.api.post(`/v1/campaigns/${world.campaign.id}/submit`));
    const a = await ws.api.post(`/v1/campaigns/${world.campaign.id}/approve`, undefined, { 'idempotency-key': 'approve-1' });
    const b = await ws.api.post(`/v1/campaigns/${world.campaign.id}/approve`, undefined, { 'idempotency-key': 'approve-1' });
    expect(b.statusCode).toBe(200);
    expect(b.json()).toEqual(a.json());
    await h.drain();
    expect((await ws.api.get('/v1/sandbox/outbox?limit=100')).json().items).toHaveLength(5);
  });
});
