import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, newWorkspace, type Client, type Harness } from './support/harness.ts';
import { expectOk } from './support/fixtures.ts';
import { moveToNextLocal } from './support/time.ts';

/**
 * Trigger tasks (issue 4): evaluated as events arrive through the event hook, `where` with the
 * segment operators, optional delay, the audience checked for that one user at send time, all
 * anti-disturbance rules, exactly once per (task, triggering event), only while the campaign is live.
 */
let h: Harness;
beforeAll(async () => { h = await createHarness(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}); });
afterAll(async () => { await h.close(); });

async function setup(api: Client, schedule: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const users = [
    ...Array.from({ length: 3 }, (_, i) => ({ externalId: `u-${i}`, phone: `1370000000${i}`, attributes: { city: 'SZ' } })),
    { externalId: 'gz', phone: '13800000009', attributes: { city: 'GZ' } },
  ];
  await expectOk(await api.post('/v1/users', { users }));
  const segment = (await expectOk(await api.post('/v1/segments', { name: 'SZ', refresh: 'manual', definition: { attr: 'city', op: 'eq', value: 'SZ' } }))).json();
  await h.drain();
  const template = (await expectOk(await api.post('/v1/templates', { name: 't', channel: 'sms', content: { signature: 'B', body: 'Thanks {{ user.externalId }}', kind: 'transactional' } }))).json();
  const now = h.clock.now();
  const c = (await expectOk(await api.post('/v1/campaigns', { name: 'C', goal: 'repurchase', startAt: new Date(now.getTime() - 3_600_000).toISOString(), endAt: new Date(now.getTime() + 30 * 86_400_000).toISOString() }))).json();
  const task = (await expectOk(await api.post(`/v1/campaigns/${c.id}/tasks`, { name: 'T', channel: 'sms', templateId: template.id, audience: { segmentId: segment.id }, schedule, ...extra }))).json();
  await expectOk(await api.post(`/v1/campaigns/${c.id}/submit`));
  await expectOk(await api.post(`/v1/campaigns/${c.id}/approve`));
  return { campaignId: c.id as string, taskId: task.id as string };
}
const paid = (externalId: string, amount: number, id: string) => ({ externalId, name: 'order_paid', properties: { orderId: id, amount }, messageId: id });
const outbox = async (api: Client) => ((await api.get('/v1/sandbox/outbox?limit=1000')).json().items as { externalId: string; rendered: { text: string } }[]).map((m) => m.externalId).sort();
const report = async (api: Client, taskId: string) => (await api.get(`/v1/tasks/${taskId}/report`)).json();

describe('trigger tasks', () => {
  it('sends after the delay to users whose event matches where, in the audience at send time, once per event', async () => {
    moveToNextLocal(h.clock, 12);
    const ws = await newWorkspace(h);
    const { taskId, campaignId } = await setup(ws.api, { type: 'trigger', event: 'order_paid', where: [{ prop: 'amount', op: 'gte', value: 20000 }], delayMinutes: 30 });
    expect((await ws.api.get(`/v1/tasks/${taskId}`)).json()).toMatchObject({ status: 'running' });
    await expectOk(await ws.api.post('/v1/events', { events: [
      paid('u-0', 30000, 'o1'), paid('u-0', 25000, 'o2'), // two matching events: two messages
      paid('u-1', 100, 'o3'), // below the where: nothing
      paid('gz', 50000, 'o4'), // matches, but not in the audience at send time
      { externalId: 'u-2', name: 'page_view', properties: { url: '/' }, messageId: 'pv' }, // another event
    ] }));
    await h.drain();
    expect(await outbox(ws.api)).toEqual([]); // the delay has not passed
    expect((await report(ws.api, taskId)).queued).toBe(3);
    // The hook job runs again for the same events (a retry after a crash): nothing new.
    const ids = (await h.p.db.selectFrom('events').select('id').where('workspaceId', '=', ws.id).where('name', '=', 'order_paid').execute()).map((e) => String(e.id));
    await h.p.db.transaction().execute((tx) => h.p.jobs.enqueue(tx, 'customers.event-hook', { hook: 'delivery.triggers', workspaceId: ws.id, eventIds: ids }));
    await h.drain();
    expect((await report(ws.api, taskId)).targeted).toBe(3);
    h.clock.advance(29 * 60_000);
    await h.drain();
    expect(await outbox(ws.api)).toEqual([]);
    h.clock.advance(2 * 60_000);
    await h.drain();
    expect(await outbox(ws.api)).toEqual(['u-0', 'u-0']);
    const r = await report(ws.api, taskId);
    expect(r).toMatchObject({ targeted: 3, sent: 2, queued: 0, suppressed: { notInAudience: 1 } });
    // The sends are done: running them again sends nothing.
    await h.p.db.transaction().execute(async (tx) => {
      const run = await tx.selectFrom('taskRuns').select('id').where('taskId', '=', taskId).executeTakeFirstOrThrow();
      await h.p.jobs.enqueue(tx, 'delivery.trigger', { runId: String(run.id) });
    });
    await h.drain();
    expect(await outbox(ws.api)).toEqual(['u-0', 'u-0']);
    // Ended campaign: new events fire nothing.
    await expectOk(await ws.api.post(`/v1/campaigns/${campaignId}/end`));
    await expectOk(await ws.api.post('/v1/events', { events: [paid('u-1', 90000, 'o5')] }));
    await h.drain();
    h.clock.advance(31 * 60_000);
    await h.drain();
    expect((await report(ws.api, taskId)).targeted).toBe(3);
  });

  it('applies caps to triggered sends; while paused nothing fires, delayed messages wait; ending settles them', async () => {
    moveToNextLocal(h.clock, 12);
    const ws = await newWorkspace(h);
    const { taskId, campaignId } = await setup(ws.api, { type: 'trigger', event: 'order_paid', delayMinutes: 10 }, { frequency: { maxPerUser: 1, perDays: 1 } });
    await expectOk(await ws.api.post('/v1/events', { events: [paid('u-0', 1, 'a1'), paid('u-0', 2, 'a2'), paid('u-1', 3, 'a3')] }));
    await h.drain();
    h.clock.advance(11 * 60_000);
    await h.drain();
    expect(await outbox(ws.api)).toEqual(['u-0', 'u-1']);
    expect(await report(ws.api, taskId)).toMatchObject({ targeted: 3, sent: 2, suppressed: { frequency: 1 } });
    // Queued (delayed) when paused: they wait, and go on resume.
    await expectOk(await ws.api.post('/v1/events', { events: [paid('u-2', 4, 'a4')] }));
    await h.drain();
    await expectOk(await ws.api.post(`/v1/campaigns/${campaignId}/pause`));
    h.clock.advance(11 * 60_000);
    await h.drain();
    expect(await outbox(ws.api)).toEqual(['u-0', 'u-1']);
    await expectOk(await ws.api.post(`/v1/campaigns/${campaignId}/resume`));
    await h.drain();
    expect(await outbox(ws.api)).toEqual(['u-0', 'u-1', 'u-2']);
    // Waiting when the campaign ends: never sent, suppressed campaignEnded.
    h.clock.advance(86_400_000);
    await expectOk(await ws.api.post('/v1/events', { events: [paid('u-1', 5, 'a5')] }));
    await h.drain();
    await expectOk(await ws.api.post(`/v1/campaigns/${campaignId}/end`));
    await h.drain();
    h.clock.advance(11 * 60_000);
    await h.drain();
    const r = await report(ws.api, taskId);
    expect(r).toMatchObject({ targeted: 5, sent: 3, queued: 0, suppressed: { frequency: 1, campaignEnded: 1 } });
    expect(await outbox(ws.api)).toEqual(['u-0', 'u-1', 'u-2']);
  });

  it('a trigger task may go without an audience; other schedules may not', async () => {
    const ws = await newWorkspace(h);
    const tpl = (await expectOk(await ws.api.post('/v1/templates', { name: 't', channel: 'inbox', content: { title: 'Hi', body: 'Welcome' } }))).json();
    const now = h.clock.now();
    const c = (await expectOk(await ws.api.post('/v1/campaigns', { name: 'C', goal: 'activation', startAt: new Date(now.getTime() - 3_600_000).toISOString(), endAt: new Date(now.getTime() + 86_400_000).toISOString() }))).json();
    const bad = await ws.api.post(`/v1/campaigns/${c.id}/tasks`, { name: 'T', channel: 'inbox', templateId: tpl.id, schedule: { type: 'now' } });
    expect([bad.statusCode, bad.json().error.details[0].path]).toEqual([400, 'audience']);
    const t = (await expectOk(await ws.api.post(`/v1/campaigns/${c.id}/tasks`, { name: 'T', channel: 'inbox', templateId: tpl.id, schedule: { type: 'trigger', event: 'register' } }))).json();
    expect(t.audience).toBeNull();
    await expectOk(await ws.api.post(`/v1/campaigns/${c.id}/submit`));
    await expectOk(await ws.api.post(`/v1/campaigns/${c.id}/approve`));
    await expectOk(await ws.api.post('/v1/events', { events: [{ externalId: 'new-1', name: 'register', messageId: 'r1' }] }));
    await h.drain();
    expect((await ws.api.get('/v1/inbox/new-1')).json().items.map((m: { title: string }) => m.title)).toEqual(['Hi']);
  });
});
