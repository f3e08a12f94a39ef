import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, newWorkspace, type Harness } from '../../test/support/harness.ts';
import { expectOk, expectPaged, launch, smallWorld } from '../../test/support/fixtures.ts';
import { json, startPeer } from './test-peer.ts';
import type { OutgoingMessage } from './providers.ts';
import * as channels from './channels.service.ts';
import * as repo from './providers.repo.ts';

let h: Harness;
let peer: Awaited<ReturnType<typeof startPeer>>;
const secretA = 'whsec_primary_000000';
const secretB = 'whsec_fallback_11111';
beforeAll(async () => {
  h = await createHarness({ MARKETLOOP_SECRET_KEY: 'test-secret-key-0123456789' });
  // A receiver that fails (503) whatever is signed with A and accepts what is signed with B.
  peer = await startPeer((r, res) => {
    const ts = String(r.headers['x-marketloop-timestamp']);
    const sig = (s: string) => `sha256=${createHmac('sha256', s).update(`${ts}.${r.body}`).digest('hex')}`;
    if (r.headers['x-marketloop-signature'] === sig(secretA)) return json(res, 503, {});
    if (r.headers['x-marketloop-signature'] === sig(secretB)) return json(res, 200, {});
    return json(res, 401, {});
  });
});
afterAll(async () => { await peer.close(); await h.close(); });

const webhookBody = (over: Record<string, unknown> = {}) => ({
  channel: 'webhook', type: 'webhook', name: 'Primary', credentials: { secret: secretA }, settings: { maxAttempts: 1, backoffMs: 0, allowPrivateNetworks: true }, ...over,
});
const outgoing = (ws: string, id: string, channel: OutgoingMessage['channel'], rendered: Record<string, unknown>, externalId = 'u-0'): OutgoingMessage => ({
  messageId: id, workspaceId: ws, channel, externalId, to: externalId, rendered, taskId: 't', campaignId: 'c',
});

describe('provider configuration', () => {
  it('stores credentials encrypted, returns them masked, validates per type, replaces on PATCH, deletes', async () => {
    const w = await newWorkspace(h);
    const created = await expectOk(await w.api.post('/v1/providers', webhookBody({ rateLimitPerSecond: 50, priority: 5 })));
    expect(created.statusCode).toBe(201);
    const prv = created.json();
    expect(prv).toMatchObject({ channel: 'webhook', type: 'webhook', name: 'Primary', credentials: { secret: '****0000' }, settings: { maxAttempts: 1, timeoutMs: 5000 }, rateLimitPerSecond: 50, priority: 5, fallbackProviderId: null });
    const row = await h.p.db.selectFrom('providers').select(['credentialsEnc']).where('id', '=', prv.id).executeTakeFirstOrThrow();
    expect(row.credentialsEnc).not.toContain(secretA);
    expect(row.credentialsEnc).toMatch(/^v1\./);
    expect((await w.api.get(`/v1/providers/${prv.id}`)).body).not.toContain(secretA);
    expect((await w.api.get('/v1/providers?channel=webhook')).json().items.map((i: { id: string }) => i.id)).toEqual([prv.id]);

    const patched = await expectOk(await w.api.patch(`/v1/providers/${prv.id}`, { name: 'Renamed', credentials: { secret: 'whsec_rotated_999999' } }));
    expect(patched.json()).toMatchObject({ name: 'Renamed', credentials: { secret: '****9999' }, settings: { maxAttempts: 1 } });

    const bad = await w.api.post('/v1/providers', { ...webhookBody(), credentials: { secret: 'short', extra: 1 }, colour: 'red' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details.map((d: { path: string }) => d.path)).toContain('colour');
    const badCreds = await w.api.post('/v1/providers', { ...webhookBody(), credentials: { secret: 'short', extra: 1 } });
    expect(badCreds.statusCode).toBe(400);
    expect(badCreds.json().error.details.map((d: { path: string }) => d.path).sort()).toEqual(['credentials.extra', 'credentials.secret']);
    const wrongChannel = await w.api.post('/v1/providers', { ...webhookBody(), channel: 'sms' });
    expect(wrongChannel.json().error.details[0].path).toBe('type');
    expect((await w.api.patch(`/v1/providers/${prv.id}`, { type: 'smtp' })).json().error.details[0].path).toBe('type');

    expect((await w.api.del(`/v1/providers/${prv.id}`)).statusCode).toBe(200);
    const audit = await h.p.db.selectFrom('auditLog').select(['action', 'details']).where('workspaceId', '=', w.id).where('objectId', '=', prv.id).orderBy('id').execute();
    expect(audit.map((a) => a.action)).toEqual(['provider.create', 'provider.update', 'provider.delete']);
    expect(JSON.stringify(audit)).not.toContain('whsec_');
    expect((await w.api.get(`/v1/providers/${prv.id}`)).statusCode).toBe(404);
  });

  it('a provider whose credentials no longer decrypt is listed as unreadable and cannot send until PATCHed', async () => {
    const w = await newWorkspace(h);
    const prv = (await expectOk(await w.api.post('/v1/providers', webhookBody()))).json();
    const other = (await expectOk(await w.api.post('/v1/providers', webhookBody({ name: 'Other' })))).json();
    // What a different MARKETLOOP_SECRET_KEY amounts to: the stored box of another row does not open here.
    const foreign = await h.p.db.selectFrom('providers').select('credentialsEnc').where('id', '=', other.id).executeTakeFirstOrThrow();
    await h.p.db.updateTable('providers').set({ credentialsEnc: foreign.credentialsEnc, priority: 99 }).where('id', '=', prv.id).execute();
    expect((await w.api.get(`/v1/providers/${prv.id}`)).json().credentials).toEqual({ secret: 'unreadable' });
    await expect(channels.providerFor(h.p.db, w.id, 'webhook')).rejects.toMatchObject({ code: 'provider_credentials_unreadable' });
    expect((await w.api.patch(`/v1/providers/${prv.id}`, { name: 'x' })).json().error.code).toBe('provider_credentials_unreadable');
    await expectOk(await w.api.patch(`/v1/providers/${prv.id}`, { credentials: { secret: secretB } }));
    expect((await channels.providerFor(h.p.db, w.id, 'webhook')).name).toBe(`webhook:${prv.id}`);
  });

  it('is admin-only and workspace-isolated (404 for another workspace ids)', async () => {
    const a = await newWorkspace(h);
    const b = await newWorkspace(h);
    const prv = (await expectOk(await a.api.post('/v1/providers', webhookBody()))).json();
    const editor = await a.as('operator');
    expect((await editor.get('/v1/providers')).statusCode).toBe(403);
    expect((await editor.post('/v1/providers', webhookBody())).statusCode).toBe(403);
    expect((await b.api.get(`/v1/providers/${prv.id}`)).statusCode).toBe(404);
    expect((await b.api.patch(`/v1/providers/${prv.id}`, { name: 'x' })).statusCode).toBe(404);
    expect((await b.api.del(`/v1/providers/${prv.id}`)).statusCode).toBe(404);
    expect((await b.api.post('/v1/providers', webhookBody({ fallbackProviderId: prv.id }))).statusCode).toBe(404);
    expect((await b.api.get('/v1/providers')).json().items).toEqual([]);
  });

  it('GET /v1/providers is a list: by channel, then priority (highest first), a page at a time; bad queries are 400s', async () => {
    const w = await newWorkspace(h);
    const add = async (body: Record<string, unknown>) => (await expectOk(await w.api.post('/v1/providers', body))).json<{ id: string }>().id;
    const sandbox = (priority: number) => ({ channel: 'sms', type: 'sandbox', name: `sms ${priority}`, priority });
    await add(sandbox(0));
    await add(webhookBody({ name: 'hook 1', priority: 1 }));
    await add({ channel: 'inbox', type: 'inbox', name: 'inbox 0' });
    await add(webhookBody({ name: 'hook 9', priority: 9 }));
    await add(sandbox(3));
    await add(sandbox(-5));
    const all = await expectPaged<{ name: string }>(w.api, '/v1/providers');
    expect(all.map((p) => p.name)).toEqual(['inbox 0', 'sms 3', 'sms 0', 'sms -5', 'hook 9', 'hook 1']);
    const hooks = await expectPaged<{ name: string }>(w.api, '/v1/providers?channel=webhook');
    expect(hooks.map((p) => p.name)).toEqual(['hook 9', 'hook 1']);
    expect((await w.api.get('/v1/providers?channel=fax')).json().error.details[0].path).toBe('querystring.channel');
  });
});

describe('providerFor', () => {
  it('is the sandbox by default, the inbox store for inbox, else the highest priority provider', async () => {
    const w = await newWorkspace(h);
    expect((await channels.providerFor(h.p.db, w.id, 'sms')).name).toBe('sandbox');
    expect((await channels.providerFor(h.p.db, w.id, 'inbox')).name).toBe('inbox');
    const low = (await expectOk(await w.api.post('/v1/providers', webhookBody({ priority: 1 })))).json();
    const high = (await expectOk(await w.api.post('/v1/providers', webhookBody({ priority: 9 })))).json();
    expect((await channels.providerFor(h.p.db, w.id, 'webhook')).name).toBe(`webhook:${high.id}`);
    await w.api.del(`/v1/providers/${high.id}`);
    expect((await channels.providerFor(h.p.db, w.id, 'webhook')).name).toBe(`webhook:${low.id}`);
  });

  it('falls back to fallbackProviderId when the first fails with a retryable error, through a real receiver', async () => {
    const w = await newWorkspace(h);
    const fallback = (await expectOk(await w.api.post('/v1/providers', webhookBody({ name: 'Fallback', credentials: { secret: secretB }, priority: 0 })))).json();
    await expectOk(await w.api.post('/v1/providers', webhookBody({ priority: 10, fallbackProviderId: fallback.id })));
    const provider = await channels.providerFor(h.p.db, w.id, 'webhook');
    expect(provider.transactional).toBe(false);
    const out = await provider.send(h.p.db, [outgoing(w.id, '1', 'webhook', { url: `${peer.base}/hook`, body: '{"a":1}' })], new Date());
    expect(out).toEqual([{ messageId: '1', status: 'sent' }]);
    const sigs = peer.requests.filter((r) => r.headers['x-marketloop-message-id'] === '1').length;
    expect(sigs).toBe(2); // 503 from the primary, 200 via the fallback
  });

  it('holds a provider to rateLimitPerSecond through the Counters port', async () => {
    const w = await newWorkspace(h);
    await expectOk(await w.api.post('/v1/providers', webhookBody({ credentials: { secret: secretB }, rateLimitPerSecond: 2 })));
    const provider = await channels.providerFor(h.p.db, w.id, 'webhook');
    const msgs = Array.from({ length: 5 }, (_, i) => outgoing(w.id, String(100 + i), 'webhook', { url: `${peer.base}/rl`, body: '{}' }));
    let ticks = 0;
    // Rolling windows run on the platform clock (manual in tests): a second passes every 150 ms.
    const timer = setInterval(() => { ticks++; h.clock.advance(1000); }, 150);
    const start = ticks;
    const out = await provider.send(h.p.db, msgs, new Date()).finally(() => clearInterval(timer));
    expect(out.every((o) => o.status === 'sent')).toBe(true);
    expect(ticks - start).toBeGreaterThanOrEqual(2); // 2 + 2 + 1: three windows
  });
});

describe('inbox', () => {
  it('stores messages per user inside the transaction, counts unread, marks read, hides expired, isolates workspaces', async () => {
    const w = await newWorkspace(h);
    const other = await newWorkspace(h);
    await h.p.db.transaction().execute(async (tx) => {
      const inbox = await channels.providerFor(tx, w.id, 'inbox');
      expect(inbox.transactional).toBe(true);
      const out = await inbox.send(tx, [
        outgoing(w.id, '900001', 'inbox', { title: 'Hi', body: 'Welcome', url: 'https://shop.example/' }, 'ann'),
        outgoing(w.id, '900002', 'inbox', { title: 'Sale', body: '20% off' }, 'ann'),
        outgoing(w.id, '900003', 'inbox', { title: 'Bob', body: 'x' }, 'bob'),
      ], h.clock.now());
      expect(out.map((o) => o.status)).toEqual(['delivered', 'delivered', 'delivered']);
    });
    // A replay of the same batch writes nothing twice.
    await channels.providerFor(h.p.db, w.id, 'inbox').then((p) => p.send(h.p.db, [outgoing(w.id, '900001', 'inbox', { title: 'Hi', body: 'Welcome' }, 'ann')], h.clock.now()));
    const got = (await expectOk(await w.api.get('/v1/inbox/ann'))).json();
    expect(got.unread).toBe(2);
    expect(got.items.map((i: { id: string; read: boolean }) => [i.id, i.read])).toEqual([['900002', false], ['900001', false]]);
    expect(got.items[1]).toMatchObject({ title: 'Hi', body: 'Welcome', url: 'https://shop.example/', createdAt: expect.any(String) });

    expect((await other.api.post('/v1/inbox/ann/read', { ids: ['900001'] })).json()).toEqual({ marked: 0, unread: 0 });
    expect((await other.api.get('/v1/inbox/ann')).json()).toMatchObject({ items: [], unread: 0 });
    expect((await w.api.post('/v1/inbox/ann/read', { ids: ['900001', '900003'] })).json()).toEqual({ marked: 1, unread: 1 });
    expect((await w.api.get('/v1/inbox/bob')).json().unread).toBe(1);
    expect((await w.api.post('/v1/inbox/ann/read', { ids: ['1'], all: true })).json().error.details[0].path).toBe('all');

    // Expiry: a provider with expiresInDays; past it the message is gone from the inbox and the count.
    await expectOk(await w.api.post('/v1/providers', { channel: 'inbox', type: 'inbox', name: 'Inbox 7d', settings: { expiresInDays: 7 } }));
    await (await channels.providerFor(h.p.db, w.id, 'inbox')).send(h.p.db, [outgoing(w.id, '900004', 'inbox', { title: 'Soon gone', body: '.' }, 'ann')], h.clock.now());
    expect((await w.api.get('/v1/inbox/ann')).json().unread).toBe(2);
    h.clock.advance(8 * 86_400_000);
    const later = (await w.api.get('/v1/inbox/ann')).json();
    expect(later.unread).toBe(1);
    expect(later.items.map((i: { id: string }) => i.id)).toEqual(['900002', '900001']);
    // The hourly purge deletes the expired row itself.
    expect((await channels.purgeChannelData(h.p)).inbox).toBeGreaterThanOrEqual(1);
    expect(await h.p.db.selectFrom('inboxMessages').select('messageId').where('messageId', '=', '900004').executeTakeFirst()).toBeUndefined();
  });
});

describe('callbacks and unsubscribe links', () => {
  it('records Tencent SMS status reports as receipts of the messages they name', async () => {
    const w = await newWorkspace(h);
    const world = await smallWorld(h, w.api, { users: 2 });
    await launch(h, w.api, world.campaign.id);
    const msgs = await h.p.db.selectFrom('messages').select(['id', 'status']).where('workspaceId', '=', w.id).orderBy('id').execute();
    expect(msgs).toHaveLength(2);
    const prv = (await expectOk(await w.api.post('/v1/providers', {
      channel: 'sms', type: 'tencent_sms', name: 'Tencent', credentials: { secretId: 'AKIDx', secretKey: 'k' }, settings: { sdkAppId: '1400000000', templateId: '1' },
    }))).json();
    await repo.insertMessageRefs(h.p.db, w.id, prv.id, [{ messageId: msgs[0]!.id, vendorRef: 'sid-a' }, { messageId: msgs[1]!.id, vendorRef: 'sid-b' }]);
    const r = await h.app.inject({
      method: 'POST', url: `/v1/callbacks/tencent-sms/${prv.id}`, headers: { 'content-type': 'application/json' },
      payload: JSON.stringify([
        { user_receive_time: '2026-11-22 08:03:04', nationcode: '86', mobile: '13700000000', report_status: 'SUCCESS', errmsg: 'DELIVRD', description: '用户短信送达成功', sid: 'sid-a' },
        { user_receive_time: '2026-11-22 08:03:05', nationcode: '86', mobile: '13700000001', report_status: 'FAIL', errmsg: 'MK:0001', description: '空号', sid: 'sid-b' },
        { report_status: 'SUCCESS', sid: 'unknown' },
      ]),
    });
    expect(r.json()).toEqual({ result: 0, errmsg: 'OK', recorded: 2 });
    const after = await h.p.db.selectFrom('messages').select(['id', 'status', 'reason']).where('workspaceId', '=', w.id).orderBy('id').execute();
    expect(after[1]).toMatchObject({ status: 'failed', reason: 'tencent_sms_MK:0001: 空号' });
    const other = await newWorkspace(h);
    const wrong = (await expectOk(await other.api.post('/v1/providers', webhookBody()))).json();
    expect((await h.app.inject({ method: 'POST', url: `/v1/callbacks/tencent-sms/${wrong.id}`, headers: { 'content-type': 'application/json' }, payload: '[]' })).statusCode).toBe(404);
  });

  it('a signed one-click link unsubscribes the user from its channel; a forged one is refused', async () => {
    const w = await newWorkspace(h);
    await expectOk(await w.api.post('/v1/users', { users: [{ externalId: 'ann', email: 'ann@example.com' }] }));
    const url = channels.unsubscribeUrl(h.p, { workspaceId: w.id, externalId: 'ann', channel: 'email', messageId: '42' });
    expect(url.startsWith('https://ml.test/u?t=')).toBe(true);
    const path = url.slice('https://ml.test'.length);
    expect((await h.app.inject({ method: 'GET', url: path })).body).toContain('<form method="post">');
    const res = await h.app.inject({ method: 'POST', url: path, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'List-Unsubscribe=One-Click' });
    expect(res.statusCode).toBe(200);
    expect((await expectOk(await w.api.get('/v1/users/ann/unsubscribes'))).json().channels).toEqual(['email']);
    const token = path.slice('/u?t='.length);
    const forged = `${Buffer.from(JSON.stringify({ w: w.id, e: 'bob', c: 'email', m: '42' })).toString('base64url')}.${token.split('.')[1]}`;
    expect((await h.app.inject({ method: 'POST', url: `/u?t=${forged}`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'List-Unsubscribe=One-Click' })).statusCode).toBe(404);
  });
});
