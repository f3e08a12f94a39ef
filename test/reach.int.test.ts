import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, newWorkspace, type Client, type Harness } from './support/harness.ts';
import { expectOk } from './support/fixtures.ts';
import { moveToNextLocal } from './support/time.ts';

/**
 * Anti-disturbance in delivery (issue 4): the order of checks, caps on the Counters port at
 * day boundaries, priority between tasks, quiet hours across midnight in Asia/Shanghai.
 */
let h: Harness;
// Caps go through whichever Counters adapter the configuration picks: Redis when REDIS_URL is set.
beforeAll(async () => { h = await createHarness(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}); });
afterAll(async () => { await h.close(); });

it('runs on the configured counters adapter', () => { expect(h.p.counters.kind).toBe(process.env.REDIS_URL ? 'redis' : 'postgres'); });

const toNextLocal = (hour: number, minute = 0): void => moveToNextLocal(h.clock, hour, minute);

async function world(api: Client, n: number, extra: Record<string, unknown>[] = []) {
  const users = [...Array.from({ length: n }, (_, i) => ({ externalId: `u-${i}`, phone: `1370000${String(i).padStart(4, '0')}`, attributes: { city: 'SZ' } })), ...extra];
  await expectOk(await api.post('/v1/users', { users }));
  const segment = (await expectOk(await api.post('/v1/segments', { name: 'SZ', refresh: 'manual', definition: { attr: 'city', op: 'eq', value: 'SZ' } }))).json();
  await h.drain();
  const template = (await expectOk(await api.post('/v1/templates', { name: 'sms', channel: 'sms', content: { signature: 'Brand', body: 'Hi {{ user.externalId }}' } }))).json();
  return { segment, template };
}

async function campaignWith(api: Client, w: { segment: { id: string }; template: { id: string } }, tasks: Record<string, unknown>[]) {
  const now = h.clock.now();
  const c = (await expectOk(await api.post('/v1/campaigns', {
    name: 'C', goal: 'activation', startAt: new Date(now.getTime() - 3_600_000).toISOString(), endAt: new Date(now.getTime() + 60 * 86_400_000).toISOString(),
  }))).json();
  const ids: string[] = [];
  for (const t of tasks) {
    ids.push((await expectOk(await api.post(`/v1/campaigns/${c.id}/tasks`, { name: 'T', channel: 'sms', templateId: w.template.id, audience: { segmentId: w.segment.id }, schedule: { type: 'now' }, ...t }))).json().id);
  }
  return { id: c.id as string, tasks: ids };
}

async function approve(api: Client, campaignId: string) {
  await expectOk(await api.post(`/v1/campaigns/${campaignId}/submit`));
  await expectOk(await api.post(`/v1/campaigns/${campaignId}/approve`));
}

const report = async (api: Client, taskId: string) => (await api.get(`/v1/tasks/${taskId}/report`)).json();
const outbox = async (api: Client) => (await api.get('/v1/sandbox/outbox?limit=1000')).json().items as { externalId: string; taskId: string }[];
function bucketsAddUp(r: { targeted: number; suppressed: Record<string, number>; deferred: number; queued: number; sent: number; failedBeforeSend: number }) {
  const sum = Object.values(r.suppressed).reduce((a, b) => a + b, 0) + r.deferred + r.queued + r.sent + r.failedBeforeSend;
  expect(sum).toBe(r.targeted);
}

describe('anti-disturbance', () => {
  it('suppresses blacklisted, unsubscribed (channel or all) and address-less users, in that order', async () => {
    toNextLocal(12);
    const ws = await newWorkspace(h);
    const api = ws.api;
    const w = await world(api, 6, [{ externalId: 'nophone', attributes: { city: 'SZ' } }]);
    await expectOk(await api.post('/v1/blacklist', { externalIds: ['u-0', 'u-1'] }));
    await expectOk(await api.post('/v1/users/u-1/unsubscribe', {})); // blacklisted wins over unsubscribed
    await expectOk(await api.post('/v1/users/u-2/unsubscribe', { channel: 'sms' }));
    await expectOk(await api.post('/v1/users/u-3/unsubscribe', {}));
    await expectOk(await api.post('/v1/users/u-4/unsubscribe', { channel: 'email' })); // another channel: still reached
    await expectOk(await api.post('/v1/users/nophone/unsubscribe', {})); // unsubscribed wins over noAddress
    const c = await campaignWith(api, w, [{}]);
    await approve(api, c.id);
    await h.drain();
    const r = await report(api, c.tasks[0]!);
    expect(r).toMatchObject({ targeted: 7, sent: 2, deferred: 0, suppressed: { blacklisted: 2, unsubscribed: 3, noAddress: 0, frequency: 0, control: 0 } });
    bucketsAddUp(r);
    expect((await outbox(api)).map((m) => m.externalId).sort()).toEqual(['u-4', 'u-5']);
    const timeline = (await api.get('/v1/users/u-0/messages')).json();
    if (timeline.items) expect(timeline.items[0]).toMatchObject({ status: 'suppressed', reason: 'blacklisted' });
  });

  it('sends through the channel provider of the workspace (inbox: the inbox store)', async () => {
    toNextLocal(12);
    const ws = await newWorkspace(h);
    const api = ws.api;
    const w = await world(api, 2);
    const inbox = (await expectOk(await api.post('/v1/templates', { name: 'in', channel: 'inbox', content: { title: 'Hello', body: 'Hi {{ user.externalId }}' } }))).json();
    await expectOk(await api.post('/v1/users/u-1/unsubscribe', { channel: 'inbox' }));
    const c = await campaignWith(api, { segment: w.segment, template: inbox }, [{ channel: 'inbox' }]);
    await approve(api, c.id);
    await h.drain();
    expect((await api.get('/v1/inbox/u-0')).json()).toMatchObject({ unread: 1, items: [{ title: 'Hello', body: 'Hi u-0' }] });
    expect((await api.get('/v1/inbox/u-1')).json().items).toHaveLength(0);
    // Lists take ?limit= up to 1000 (API.md).
    expect([(await api.get('/v1/inbox/u-0?limit=1000')).statusCode, (await api.get('/v1/inbox/u-0?limit=1001')).statusCode]).toEqual([200, 400]);
    expect(await report(api, c.tasks[0]!)).toMatchObject({ sent: 1, suppressed: { unsubscribed: 1 } });
  });

  it('caps per task, per channel and globally in workspace-local days, counted at the day boundary', async () => {
    toNextLocal(23, 59); // 23:59 in Shanghai
    const ws = await newWorkspace(h);
    const api = ws.api;
    const w = await world(api, 3);
    await expectOk(await api.put('/v1/policies/delivery', { channels: { sms: { maxPerUser: 1, perDays: 1 } }, global: { maxPerUser: 2, perDays: 2 } }));
    const first = await campaignWith(api, w, [{}, {}]);
    await approve(api, first.id);
    await h.drain();
    const [a, b] = [await report(api, first.tasks[0]!), await report(api, first.tasks[1]!)];
    // One SMS per local day: of the two tasks, every user gets exactly one.
    expect(a.sent + b.sent).toBe(3);
    expect(a.suppressed.frequency + b.suppressed.frequency).toBe(3);
    bucketsAddUp(a); bucketsAddUp(b);

    h.clock.advance(60_000); // 00:00 the next local day: the daily SMS cap has room again, the 2-in-2-days global cap has one more
    const second = await campaignWith(api, w, [{}]);
    await approve(api, second.id);
    await h.drain();
    expect(await report(api, second.tasks[0]!)).toMatchObject({ sent: 3, suppressed: { frequency: 0 } });

    h.clock.advance(3_600_000); // the daily SMS cap is used; a new day is needed
    const third = await campaignWith(api, w, [{}]);
    await approve(api, third.id);
    await h.drain();
    expect(await report(api, third.tasks[0]!)).toMatchObject({ sent: 0, suppressed: { frequency: 3 } });

    toNextLocal(10); // next day: SMS cap free, but the global 2-in-2-days still counts yesterday's send
    const fourth = await campaignWith(api, w, [{ frequency: { maxPerUser: 1, perDays: 7 } }]);
    await approve(api, fourth.id);
    await h.drain();
    expect(await report(api, fourth.tasks[0]!)).toMatchObject({ sent: 0, suppressed: { frequency: 3 } });
    expect((await outbox(api)).length).toBe(6);
  });

  it('a task frequency cap counts across runs of that task only', async () => {
    toNextLocal(10);
    const ws = await newWorkspace(h);
    const api = ws.api;
    const w = await world(api, 2);
    const c = await campaignWith(api, w, [{ frequency: { maxPerUser: 1, perDays: 7 } }, { frequency: { maxPerUser: 1, perDays: 7 }, schedule: { type: 'at', at: new Date(h.clock.now().getTime() + 86_400_000).toISOString() } }]);
    await approve(api, c.id);
    await h.drain();
    h.clock.advance(86_400_000);
    await h.drain();
    expect((await report(api, c.tasks[0]!)).sent).toBe(2);
    expect((await report(api, c.tasks[1]!)).sent).toBe(2);
  });

  for (const order of ['low first', 'high first'] as const) {
    it(`the higher priority wins when the caps allow only one task (${order})`, async () => {
      toNextLocal(10);
      const ws = await newWorkspace(h);
      const api = ws.api;
      const w = await world(api, 5);
      await expectOk(await api.put('/v1/policies/delivery', { global: { maxPerUser: 1, perDays: 1 } }));
      const specs = order === 'low first' ? [{ priority: 1 }, { priority: 5 }] : [{ priority: 5 }, { priority: 1 }];
      // Two campaigns approved one after the other: the low one's jobs are queued first in 'low first'.
      const c1 = await campaignWith(api, w, [specs[0]!]);
      const c2 = await campaignWith(api, w, [specs[1]!]);
      await approve(api, c1.id);
      await approve(api, c2.id);
      await h.drain();
      const high = order === 'low first' ? c2.tasks[0]! : c1.tasks[0]!;
      const low = order === 'low first' ? c1.tasks[0]! : c2.tasks[0]!;
      expect(await report(api, high)).toMatchObject({ sent: 5, suppressed: { frequency: 0 } });
      expect(await report(api, low)).toMatchObject({ sent: 0, suppressed: { frequency: 5 } });
      expect(new Set((await outbox(api)).map((m) => m.taskId))).toEqual(new Set([high]));
    });
  }

  it('defers in quiet hours across midnight (Asia/Shanghai) and sends at their end, once', async () => {
    toNextLocal(22, 30);
    const ws = await newWorkspace(h);
    const api = ws.api;
    const w = await world(api, 4);
    await expectOk(await api.put('/v1/policies/delivery', { quietHours: { start: '21:00', end: '09:00' }, channels: { sms: { maxPerUser: 1, perDays: 1 } } }));
    await expectOk(await api.post('/v1/blacklist', { externalIds: ['u-3'] }));
    const c = await campaignWith(api, w, [{}]);
    await approve(api, c.id);
    await h.drain();
    let r = await report(api, c.tasks[0]!);
    expect(r).toMatchObject({ targeted: 4, deferred: 3, sent: 0, suppressed: { blacklisted: 1 } });
    bucketsAddUp(r);
    expect(await outbox(api)).toHaveLength(0);

    toNextLocal(1); // 01:00, after midnight: still quiet
    await h.drain();
    expect((await report(api, c.tasks[0]!)).deferred).toBe(3);
    await expectOk(await api.post('/v1/users/u-2/unsubscribe', {})); // rules are checked again at the end of quiet hours

    toNextLocal(8, 59);
    await h.drain();
    expect(await outbox(api)).toHaveLength(0);
    toNextLocal(9, 0);
    await h.drain();
    r = await report(api, c.tasks[0]!);
    expect(r).toMatchObject({ targeted: 4, deferred: 0, sent: 2, suppressed: { blacklisted: 1, unsubscribed: 1 } });
    bucketsAddUp(r);
    expect((await api.get(`/v1/campaigns/${c.id}`)).json().tasks[0].status).toBe('completed');
    // Re-running the queue sends nobody twice.
    await h.drain();
    h.clock.advance(3_600_000);
    await h.drain();
    expect((await outbox(api)).map((m) => m.externalId).sort()).toEqual(['u-0', 'u-1']);
  });
});
