import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, newWorkspace, type Harness } from '../../test/support/harness.ts';

/** Delivery policy, unsubscribes and blacklist routes: validation, roles, isolation. */
let h: Harness;
beforeAll(async () => { h = await createHarness(); });
afterAll(async () => { await h.close(); });

describe('delivery policy', () => {
  it('is empty by default, replaced by PUT, read back in the workspace timezone', async () => {
    const ws = await newWorkspace(h);
    expect((await ws.api.get('/v1/policies/delivery')).json()).toEqual({ global: null, channels: {}, quietHours: null, smsOptOut: '拒收请回复R', retries: { maxAttempts: 3, delaySeconds: 60 }, timezone: 'Asia/Shanghai', updatedAt: null });
    const body = { global: { maxPerUser: 3, perDays: 7 }, channels: { sms: { maxPerUser: 1, perDays: 1 } }, quietHours: { start: '21:00', end: '09:00' } };
    const put = await ws.api.put('/v1/policies/delivery', body);
    expect(put.statusCode, put.body).toBe(200);
    expect(put.json()).toMatchObject(body);
    expect((await ws.api.get('/v1/policies/delivery')).json()).toMatchObject({ ...body, timezone: 'Asia/Shanghai' });
    // PUT replaces: what is absent is off.
    expect((await ws.api.put('/v1/policies/delivery', { channels: { email: { maxPerUser: 2, perDays: 30 } } })).json())
      .toMatchObject({ global: null, channels: { email: { maxPerUser: 2, perDays: 30 } }, quietHours: null });
  });

  it('rejects unknown fields, bad times and bad caps with one detail each', async () => {
    const ws = await newWorkspace(h);
    const r = await ws.api.put('/v1/policies/delivery', { global: { maxPerUser: 0, perDays: 7 }, quietHours: { start: '25:00', end: '09:00' }, channels: { fax: { maxPerUser: 1, perDays: 1 } }, extra: 1 });
    expect(r.statusCode).toBe(400);
    const paths = r.json().error.details.map((d: { path: string }) => d.path);
    expect(paths).toEqual(expect.arrayContaining(['extra', 'global.maxPerUser', 'quietHours.start', 'channels.fax']));
    const same = await ws.api.put('/v1/policies/delivery', { quietHours: { start: '09:00', end: '09:00' } });
    expect(same.statusCode).toBe(400);
    expect(same.json().error.details[0].path).toBe('quietHours.end');
  });

  it('needs write to change; viewers read', async () => {
    const ws = await newWorkspace(h);
    const viewer = await ws.as('viewer');
    expect((await viewer.get('/v1/policies/delivery')).statusCode).toBe(200);
    expect((await viewer.put('/v1/policies/delivery', {})).statusCode).toBe(403);
    expect((await viewer.post('/v1/blacklist', { externalIds: ['x'] })).statusCode).toBe(403);
  });
});

describe('unsubscribes and blacklist', () => {
  it('unsubscribes per channel or from all, records $unsubscribed, resubscribes', async () => {
    const ws = await newWorkspace(h);
    await ws.api.post('/v1/users', { users: [{ externalId: 'a', phone: '13800000000' }] });
    expect((await ws.api.post('/v1/users/a/unsubscribe', { channel: 'sms' })).json()).toEqual({ externalId: 'a', channels: ['sms'] });
    expect((await ws.api.post('/v1/users/a/unsubscribe', {})).json()).toEqual({ externalId: 'a', channels: ['*', 'sms'] });
    expect((await ws.api.post('/v1/users/a/unsubscribe', { channel: 'sms' })).json().channels).toEqual(['*', 'sms']);
    const events = (await ws.api.get('/v1/users/a/events?name=%24unsubscribed')).json();
    expect(events.items).toHaveLength(3);
    expect((await ws.api.post('/v1/users/a/resubscribe', { channel: 'sms' })).json().channels).toEqual(['*']);
    expect((await ws.api.post('/v1/users/a/resubscribe', {})).json().channels).toEqual([]);
    expect((await ws.api.post('/v1/users/nobody/unsubscribe', {})).statusCode).toBe(404);
    const bad = await ws.api.post('/v1/users/a/unsubscribe', { channel: 'fax', why: 1 });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details.map((d: { path: string }) => d.path)).toEqual(expect.arrayContaining(['channel', 'why']));
  });

  it('blacklists externalIds (known or not), lists and removes them; workspaces are apart', async () => {
    const ws = await newWorkspace(h);
    const other = await newWorkspace(h);
    await ws.api.post('/v1/users', { users: [{ externalId: 'a' }] });
    expect((await ws.api.post('/v1/blacklist', { externalIds: ['a', 'b', 'a'] })).json()).toEqual({ added: 2 });
    expect((await ws.api.get('/v1/blacklist')).json().items.map((i: { externalId: string }) => i.externalId)).toEqual(['a', 'b']);
    expect((await other.api.get('/v1/blacklist')).json().items).toEqual([]);
    expect((await other.api.post('/v1/users/a/unsubscribe', {})).statusCode).toBe(404);
    const page = (await ws.api.get('/v1/blacklist?limit=1')).json();
    expect(page).toMatchObject({ items: [{ externalId: 'a' }], nextCursor: 'a' });
    expect((await ws.api.get('/v1/blacklist?limit=1&cursor=a')).json().items[0].externalId).toBe('b');
    expect((await ws.api.del('/v1/blacklist/b')).json()).toEqual({ removed: 1 });
    expect((await ws.api.raw('DELETE', '/v1/blacklist', { externalIds: ['a', 'zz'] })).json()).toEqual({ removed: 1 });
    expect((await ws.api.post('/v1/blacklist', { externalIds: [] })).statusCode).toBe(400);
  });
});
