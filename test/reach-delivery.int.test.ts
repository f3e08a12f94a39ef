import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, newWorkspace, type Client, type Harness } from './support/harness.ts';
import { expectOk } from './support/fixtures.ts';
import { failOnce } from './support/faults.ts';
import { moveToNextLocal } from './support/time.ts';
import { startPeer, json } from '../src/channels/test-peer.ts';

/**
 * Delivery (issue 4): push with tokens on the profile (an invalid-token receipt removes the
 * token), provider failures retried with exponential backoff then failed, task coupons granted
 * before rendering (a refused grant fails the message and the report adds up).
 */
let h: Harness;
let peer: Awaited<ReturnType<typeof startPeer>>;
let failFirst = 0; // the receiver answers 503 to this many requests, then 200
beforeAll(async () => {
  h = await createHarness({ MARKETLOOP_SECRET_KEY: 'test-secret-key-0123456789', ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}) });
  peer = await startPeer((_r, res) => {
    if (failFirst > 0) { failFirst--; return json(res, 503, { error: 'busy' }); }
    return json(res, 200, {});
  });
});
afterAll(async () => { await peer.close(); await h.close(); });

async function campaignWith(api: Client, task: Record<string, unknown>) {
  const now = h.clock.now();
  const c = (await expectOk(await api.post('/v1/campaigns', { name: 'C', goal: 'activation', startAt: new Date(now.getTime() - 3_600_000).toISOString(), endAt: new Date(now.getTime() + 30 * 86_400_000).toISOString() }))).json();
  const t = (await expectOk(await api.post(`/v1/campaigns/${c.id}/tasks`, { name: 'T', schedule: { type: 'now' }, ...task }))).json();
  await expectOk(await api.post(`/v1/campaigns/${c.id}/submit`));
  await expectOk(await api.post(`/v1/campaigns/${c.id}/approve`));
  await h.drain();
  return { campaignId: c.id as string, taskId: t.id as string };
}
async function segmentOf(api: Client, city: string) {
  const s = (await expectOk(await api.post('/v1/segments', { name: city, refresh: 'manual', definition: { attr: 'city', op: 'eq', value: city } }))).json();
  await h.drain();
  return s.id as string;
}
// The HTTP report's `retrying` (waiting for the next attempt, inside `queued`), checked against the messages themselves.
const report = async (api: Client, taskId: string) => {
  const r = (await api.get(`/v1/tasks/${taskId}/report`)).json();
  const rows = (await h.p.db.selectFrom('messages').select('id').where('taskId', '=', taskId).where('status', '=', 'retrying').execute()).length;
  expect(r.retrying).toBe(rows);
  return r;
};
function addsUp(r: { targeted: number; suppressed: Record<string, number>; deferred: number; queued: number; sent: number; failedBeforeSend: number }) {
  expect(Object.values(r.suppressed).reduce((a, b) => a + b, 0) + r.deferred + r.queued + r.sent + r.failedBeforeSend).toBe(r.targeted);
}

describe('push', () => {
  it('sends title, body, platform and link to the profile token; an invalid-token receipt removes the token', async () => {
    moveToNextLocal(h.clock, 12);
    const ws = await newWorkspace(h);
    await expectOk(await ws.api.post('/v1/users', { users: [
      { externalId: 'ios', pushToken: 'tok-ios-1', platform: 'ios', attributes: { city: 'P' } },
      { externalId: 'droid', pushToken: 'tok-droid-1', platform: 'android', attributes: { city: 'P' } },
      { externalId: 'none', attributes: { city: 'P' } },
    ] }));
    const segmentId = await segmentOf(ws.api, 'P');
    const bad = await ws.api.post('/v1/templates', { name: 'p', channel: 'push', content: { title: 't', body: 'b', deepLink: 'app://x', h5Url: 'https://x' } });
    expect([bad.statusCode, bad.json().error.details[0].path]).toEqual([400, 'content.h5Url']);
    const tpl = (await expectOk(await ws.api.post('/v1/templates', { name: 'p', channel: 'push', content: { title: 'Hi {{ user.externalId }}', body: 'Sale', platform: 'both', deepLink: 'app://sale/{{ user.externalId }}' } }))).json();
    const { taskId } = await campaignWith(ws.api, { channel: 'push', templateId: tpl.id, audience: { segmentId } });
    const items = (await ws.api.get('/v1/sandbox/outbox?channel=push')).json().items as { messageId: string; externalId: string; to: string; rendered: Record<string, string> }[];
    const byUser = new Map(items.map((m) => [m.externalId, m]));
    expect([...byUser.keys()].sort()).toEqual(['droid', 'ios']);
    expect(byUser.get('ios')).toMatchObject({ to: 'tok-ios-1', rendered: { title: 'Hi ios', body: 'Sale', platform: 'ios', deepLink: 'app://sale/ios' } });
    expect(byUser.get('droid')!.rendered.platform).toBe('android');
    expect(await report(ws.api, taskId)).toMatchObject({ targeted: 3, sent: 2, suppressed: { noAddress: 1 } });
    // The carrier says the iOS token is dead: it leaves the profile; the android one stays.
    await expectOk(await ws.api.post('/v1/sandbox/receipts', { messageId: byUser.get('ios')!.messageId, status: 'failed', reason: 'invalid_token' }));
    await expectOk(await ws.api.post('/v1/sandbox/receipts', { messageId: byUser.get('droid')!.messageId, status: 'failed', reason: 'device offline' }));
    expect((await ws.api.get('/v1/users/ios')).json().pushToken).toBeNull();
    expect((await ws.api.get('/v1/users/droid')).json().pushToken).toBe('tok-droid-1');
    // Next send: the iOS user has no address for push any more.
    const second = await campaignWith(ws.api, { channel: 'push', templateId: tpl.id, audience: { segmentId } });
    expect(await report(ws.api, second.taskId)).toMatchObject({ targeted: 3, sent: 1, suppressed: { noAddress: 2 } });
  });
});

describe('provider failures', () => {
  async function webhookWorld(api: Client, n: number) {
    await expectOk(await api.post('/v1/users', { users: Array.from({ length: n }, (_, i) => ({ externalId: `w-${i}`, attributes: { city: 'W' } })) }));
    const segmentId = await segmentOf(api, 'W');
    await expectOk(await api.post('/v1/providers', { channel: 'webhook', type: 'webhook', name: 'hook', credentials: { secret: 'whsec_retry_0123456789' }, settings: { maxAttempts: 1, backoffMs: 0, allowPrivateNetworks: true } }));
    const tpl = (await expectOk(await api.post('/v1/templates', { name: 'w', channel: 'webhook', content: { url: `${peer.base}/hook`, body: '{"user":"{{ user.externalId }}"}' } }))).json();
    await expectOk(await api.put('/v1/policies/delivery', { retries: { maxAttempts: 3, delaySeconds: 60 } }));
    return { segmentId, templateId: tpl.id as string };
  }

  it('retries with exponential backoff (60 s, 120 s), then fails with the reason', async () => {
    moveToNextLocal(h.clock, 12);
    const ws = await newWorkspace(h);
    const w = await webhookWorld(ws.api, 1);
    const before = peer.requests.length;
    failFirst = 1000;
    const { taskId } = await campaignWith(ws.api, { channel: 'webhook', templateId: w.templateId, audience: { segmentId: w.segmentId } });
    const hits = () => peer.requests.length - before;
    expect(hits()).toBe(1);
    let r = await report(ws.api, taskId);
    expect(r).toMatchObject({ targeted: 1, queued: 1, retrying: 1, sent: 0, failed: 0 });
    addsUp(r);
    h.clock.advance(59_000); await h.drain();
    expect(hits()).toBe(1);
    h.clock.advance(2_000); await h.drain();
    expect(hits()).toBe(2);
    h.clock.advance(119_000); await h.drain();
    expect(hits()).toBe(2); // the second delay is doubled
    h.clock.advance(2_000); await h.drain();
    expect(hits()).toBe(3);
    r = await report(ws.api, taskId);
    expect(r).toMatchObject({ targeted: 1, queued: 0, retrying: 0, failed: 1, failedBeforeSend: 1 });
    addsUp(r);
    const m = (await ws.api.get('/v1/users/w-0/messages')).json().items[0];
    expect(m).toMatchObject({ status: 'failed' });
    expect(m.reason).toMatch(/503.*attempt 3 of 3/);
    h.clock.advance(3_600_000); await h.drain();
    expect(hits()).toBe(3);
    failFirst = 0;
  });

  it('a send whose outcome was never recorded (the process died between the two) is not sent again: failed as interrupted', async () => {
    moveToNextLocal(h.clock, 12);
    const ws = await newWorkspace(h);
    const w = await webhookWorld(ws.api, 3);
    const before = peer.requests.length;
    // A real fault: the transaction that records the receiver's answers fails, once.
    const heal = await failOnce(h.p.db, ws.id, 'messages', 'update', "old.status = 'sending' and new.status <> 'failed'");
    try {
      const { taskId } = await campaignWith(ws.api, { channel: 'webhook', templateId: w.templateId, audience: { segmentId: w.segmentId } });
      expect(peer.requests.length - before).toBe(3);
      let r = await report(ws.api, taskId);
      expect(r).toMatchObject({ targeted: 3, queued: 3, sent: 0 }); // sending: in flight as far as the database knows
      addsUp(r);
      h.clock.advance(3_600_000); await h.drain(); // the batch's job runs again
      expect(peer.requests.length - before).toBe(3); // nobody is sent twice
      r = await report(ws.api, taskId);
      expect(r).toMatchObject({ targeted: 3, queued: 0, sent: 0, failed: 3 });
      addsUp(r);
      const m = (await ws.api.get('/v1/users/w-0/messages')).json().items[0];
      expect(m).toMatchObject({ status: 'failed' });
      expect(m.reason).toMatch(/^interrupted/);
    } finally {
      await heal();
    }
  });

  it('a retry that succeeds is sent; the failed attempt gave its cap back (1 per day still lets it through)', async () => {
    moveToNextLocal(h.clock, 12);
    const ws = await newWorkspace(h);
    const w = await webhookWorld(ws.api, 2);
    failFirst = 2; // both first attempts fail
    const { taskId } = await campaignWith(ws.api, { channel: 'webhook', templateId: w.templateId, audience: { segmentId: w.segmentId }, frequency: { maxPerUser: 1, perDays: 1 } });
    expect(await report(ws.api, taskId)).toMatchObject({ retrying: 2, sent: 0 });
    h.clock.advance(61_000); await h.drain();
    const r = await report(ws.api, taskId);
    expect(r).toMatchObject({ targeted: 2, retrying: 0, sent: 2, failed: 0, suppressed: { frequency: 0 } });
    addsUp(r);
  });
});

describe('task coupons', () => {
  it('grants a coupon per recipient before rendering; a refused grant fails the message and the report adds up', async () => {
    moveToNextLocal(h.clock, 12);
    const ws = await newWorkspace(h);
    await expectOk(await ws.api.post('/v1/users', { users: Array.from({ length: 4 }, (_, i) => ({ externalId: `c-${i}`, phone: `1390000000${i}`, attributes: { city: 'C' } })) }));
    const segmentId = await segmentOf(ws.api, 'C');
    const now = h.clock.now();
    const ct = (await expectOk(await ws.api.post('/v1/coupon-templates', {
      name: '10 off', type: 'direct', value: 1000, totalStock: 3, claimStart: new Date(now.getTime() - 3_600_000).toISOString(), claimEnd: new Date(now.getTime() + 86_400_000).toISOString(), validity: { days: 7 },
    }))).json();
    const tpl = (await expectOk(await ws.api.post('/v1/templates', { name: 's', channel: 'sms', content: { signature: 'B', body: 'Your code {{ coupon.code }}' } }))).json();
    const other = await newWorkspace(h);
    const foreign = (await expectOk(await other.api.post('/v1/coupon-templates', { name: 'x', type: 'direct', value: 1, totalStock: 1, claimStart: new Date(now.getTime() - 3_600_000).toISOString(), claimEnd: new Date(now.getTime() + 86_400_000).toISOString(), validity: { days: 1 } }))).json();
    const cx = (await expectOk(await ws.api.post('/v1/campaigns', { name: 'C', goal: 'activation', startAt: now.toISOString(), endAt: new Date(now.getTime() + 86_400_000).toISOString() }))).json();
    const badCoupon = await ws.api.post(`/v1/campaigns/${cx.id}/tasks`, { name: 'T', channel: 'sms', templateId: tpl.id, audience: { segmentId }, schedule: { type: 'now' }, couponTemplateId: foreign.id });
    expect([badCoupon.statusCode, badCoupon.json().error.details[0].path]).toEqual([400, 'couponTemplateId']);
    const { taskId } = await campaignWith(ws.api, { channel: 'sms', templateId: tpl.id, audience: { segmentId }, couponTemplateId: ct.id });
    const r = await report(ws.api, taskId);
    expect(r).toMatchObject({ targeted: 4, sent: 3, failed: 1, failedBeforeSend: 1 });
    addsUp(r);
    const texts = ((await ws.api.get('/v1/sandbox/outbox')).json().items as { rendered: { text: string } }[]).map((m) => /code (\S+)/.exec(m.rendered.text)![1]!);
    expect(new Set(texts).size).toBe(3);
    // Each code is a real coupon of that template, owned by the user it was sent to.
    const stats = (await ws.api.get(`/v1/coupon-templates/${ct.id}/stats`)).json();
    expect(stats).toMatchObject({ granted: 3, remaining: 0 });
    const failedMsg = (await h.p.db.selectFrom('messages').select(['reason', 'couponCode']).where('taskId', '=', taskId).where('status', '=', 'failed').executeTakeFirstOrThrow());
    expect(failedMsg.reason).toMatch(/^coupon_out_of_stock/);
    const sentCodes = (await h.p.db.selectFrom('messages').select('couponCode').where('taskId', '=', taskId).where('status', 'in', ['sent', 'delivered']).execute()).map((m) => m.couponCode).sort();
    expect(sentCodes).toEqual([...texts].sort());
  });
});

describe('a batch that fails after granting its coupons', () => {
  it('gets the same coupons back when it runs again: one coupon per recipient', async () => {
    moveToNextLocal(h.clock, 12);
    const ws = await newWorkspace(h);
    await expectOk(await ws.api.post('/v1/users', { users: Array.from({ length: 5 }, (_, i) => ({ externalId: `r-${i}`, phone: `1370000000${i}`, attributes: { city: 'R' } })) }));
    const segmentId = await segmentOf(ws.api, 'R');
    const now = h.clock.now();
    const ct = (await expectOk(await ws.api.post('/v1/coupon-templates', {
      name: '5 off', type: 'direct', value: 500, totalStock: 100, claimStart: new Date(now.getTime() - 3_600_000).toISOString(), claimEnd: new Date(now.getTime() + 86_400_000).toISOString(), validity: { days: 7 },
    }))).json();
    const tpl = (await expectOk(await ws.api.post('/v1/templates', { name: 's', channel: 'sms', content: { signature: 'B', body: 'Code {{ coupon.code }}' } }))).json();
    // A real fault in the database: the batch's first outbox write fails once, after every
    // coupon of the batch was granted.
    const heal = await failOnce(h.p.db, ws.id, 'sandbox_outbox', 'insert');
    try {
      const { taskId } = await campaignWith(ws.api, { channel: 'sms', templateId: tpl.id, audience: { segmentId }, couponTemplateId: ct.id });
      expect((await report(ws.api, taskId)).sent).toBe(0); // the batch rolled back and waits for its retry
      // The retry may itself meet a transient error (CI once saw it not send, cause unknown): then
      // it is tried again later, like any job. Whatever it met is printed, and it must still end
      // with one message and one coupon per recipient.
      for (let round = 1; round <= 3; round++) {
        h.clock.advance(3_600_000);
        await h.drain();
        const batches = (await h.queuedJobs()).filter((j) => j.task === 'delivery.batch');
        if (!batches.length) break;
        console.warn(`the batch's retry did not finish in round ${round}:`, batches);
      }
      const r = await report(ws.api, taskId);
      expect(r).toMatchObject({ targeted: 5, sent: 5, failed: 0 });
      expect((await ws.api.get(`/v1/coupon-templates/${ct.id}/stats`)).json()).toMatchObject({ granted: 5 });
      const codes = await h.p.db.selectFrom('messages').select('couponCode').where('taskId', '=', taskId).execute();
      expect(new Set(codes.map((c) => c.couponCode)).size).toBe(5);
    } finally {
      await heal();
    }
  });
});

describe('receipts', () => {
  it('a repeated receipt changes nothing and records its event once', async () => {
    moveToNextLocal(h.clock, 12);
    const ws = await newWorkspace(h);
    await expectOk(await ws.api.post('/v1/users', { users: [{ externalId: 'rc', phone: '13600000000', attributes: { city: 'RC' } }] }));
    const segmentId = await segmentOf(ws.api, 'RC');
    const tpl = (await expectOk(await ws.api.post('/v1/templates', { name: 's', channel: 'sms', content: { signature: 'B', body: 'Hi' } }))).json();
    await campaignWith(ws.api, { channel: 'sms', templateId: tpl.id, audience: { segmentId } });
    const [m] = (await ws.api.get('/v1/sandbox/outbox')).json().items as { messageId: string }[];
    const events = async (name: string) => Number((await h.p.db.selectFrom('events').select((eb) => eb.fn.countAll<string>().as('n')).where('workspaceId', '=', ws.id).where('name', '=', name).executeTakeFirstOrThrow()).n);
    expect([await events('$message_sent'), await events('$message_delivered')]).toEqual([1, 1]);
    await expectOk(await ws.api.post('/v1/sandbox/receipts', { messageId: m!.messageId, status: 'delivered' }));
    expect(await events('$message_delivered')).toBe(1);
    await expectOk(await ws.api.post('/v1/sandbox/receipts', { messageId: m!.messageId, status: 'failed', reason: 'expired' }));
    await expectOk(await ws.api.post('/v1/sandbox/receipts', { messageId: m!.messageId, status: 'failed', reason: 'expired' }));
    expect(await events('$message_failed')).toBe(1);
    const row = await h.p.db.selectFrom('messages').select(['status', 'reason']).where('id', '=', m!.messageId).executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'failed', reason: 'expired' });
  });
});

describe('waiting messages when the campaign ends', () => {
  it('deferred (quiet hours) messages of an ended campaign are never sent: suppressed campaignEnded', async () => {
    moveToNextLocal(h.clock, 22);
    const ws = await newWorkspace(h);
    await expectOk(await ws.api.post('/v1/users', { users: [{ externalId: 'q-0', phone: '13500000000', attributes: { city: 'Q' } }, { externalId: 'q-1', phone: '13500000001', attributes: { city: 'Q' } }] }));
    const segmentId = await segmentOf(ws.api, 'Q');
    await expectOk(await ws.api.put('/v1/policies/delivery', { quietHours: { start: '21:00', end: '09:00' } }));
    const tpl = (await expectOk(await ws.api.post('/v1/templates', { name: 's', channel: 'sms', content: { signature: 'B', body: 'Hi' } }))).json();
    const { campaignId, taskId } = await campaignWith(ws.api, { channel: 'sms', templateId: tpl.id, audience: { segmentId } });
    expect(await report(ws.api, taskId)).toMatchObject({ targeted: 2, deferred: 2, sent: 0 });
    await expectOk(await ws.api.post(`/v1/campaigns/${campaignId}/end`));
    await h.drain();
    moveToNextLocal(h.clock, 9, 1);
    await h.drain();
    const r = await report(ws.api, taskId);
    expect(r).toMatchObject({ targeted: 2, deferred: 0, sent: 0, suppressed: { campaignEnded: 2 } });
    addsUp(r);
    expect((await ws.api.get('/v1/sandbox/outbox')).json().items).toEqual([]);
    expect((await ws.api.get(`/v1/tasks/${taskId}`)).json().status).toBe('completed');
  });
});
