import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, newWorkspace, type Client, type Harness } from './support/harness.ts';
import { expectOk } from './support/fixtures.ts';
import { moveToNextLocal } from './support/time.ts';

/** Recurring schedules (issue 4): cron in the workspace timezone, fresh snapshots, missed runs once, until, pause. */
let h: Harness;
// Caps go through whichever Counters adapter the configuration picks: Redis when REDIS_URL is set.
beforeAll(async () => { h = await createHarness(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}); });
afterAll(async () => { await h.close(); });

const TZ = 'Asia/Shanghai';
const toNextLocal = (hour: number, minute = 0): void => moveToNextLocal(h.clock, hour, minute);
const DAY = 86_400_000;

async function setup(api: Client, schedule: Record<string, unknown>, endDays = 30) {
  await expectOk(await api.post('/v1/users', { users: [0, 1].map((i) => ({ externalId: `u-${i}`, phone: `1370000000${i}`, attributes: { city: 'SZ' } })) }));
  // A dynamic (daily) segment: each run takes a fresh snapshot.
  const segment = (await expectOk(await api.post('/v1/segments', { name: 'SZ', refresh: 'daily', definition: { attr: 'city', op: 'eq', value: 'SZ' } }))).json();
  await h.drain();
  const template = (await expectOk(await api.post('/v1/templates', { name: 'sms', channel: 'sms', content: { signature: 'Brand', body: 'Hi' } }))).json();
  const now = h.clock.now();
  const c = (await expectOk(await api.post('/v1/campaigns', { name: 'C', goal: 'retention', startAt: new Date(now.getTime() - 3_600_000).toISOString(), endAt: new Date(now.getTime() + endDays * DAY).toISOString() }))).json();
  const t = (await expectOk(await api.post(`/v1/campaigns/${c.id}/tasks`, { name: 'daily', channel: 'sms', templateId: template.id, audience: { segmentId: segment.id }, schedule }))).json();
  await expectOk(await api.post(`/v1/campaigns/${c.id}/submit`));
  await expectOk(await api.post(`/v1/campaigns/${c.id}/approve`));
  return { campaignId: c.id as string, taskId: t.id as string };
}
const runs = async (api: Client, taskId: string) => (await api.get(`/v1/tasks/${taskId}/report`)).json().runs as { status: string; scheduledFor: string; targeted: number | null }[];
const outboxSize = async (api: Client) => (await api.get('/v1/sandbox/outbox?limit=1000')).json().items.length as number;

describe('recurring schedules', () => {
  it('validates the cron and the range', async () => {
    const ws = await newWorkspace(h);
    const c = (await ws.api.post('/v1/campaigns', { name: 'C', goal: 'other', startAt: new Date().toISOString(), endAt: new Date(Date.now() + DAY).toISOString() })).json();
    const r = await ws.api.post(`/v1/campaigns/${c.id}/tasks`, { name: 'x', channel: 'sms', templateId: 'x', audience: { segmentId: 'x' }, schedule: { type: 'recurring', cron: '0 99 * * *', bogus: 1 } });
    expect(r.statusCode).toBe(400);
    expect(r.json().error.details.map((d: { path: string }) => d.path)).toEqual(expect.arrayContaining(['schedule.cron', 'schedule.bogus']));
  });

  it('runs at 09:00 Shanghai time each day on a fresh snapshot; missed runs run once; stops at until', async () => {
    toNextLocal(8, 0);
    const ws = await newWorkspace(h);
    const api = ws.api;
    const start = h.clock.now();
    const { taskId } = await setup(api, { type: 'recurring', cron: '0 9 * * *', until: new Date(start.getTime() + 6 * DAY).toISOString() });
    await h.drain();
    expect(await outboxSize(api)).toBe(0);
    expect(await runs(api, taskId)).toMatchObject([{ status: 'scheduled', scheduledFor: new Date(start.getTime() + 3_600_000).toISOString() }]);

    toNextLocal(9, 0);
    await h.drain();
    expect(await outboxSize(api)).toBe(2);
    // A new user matches before tomorrow's run: the next snapshot includes them.
    await expectOk(await api.post('/v1/users', { users: [{ externalId: 'u-new', phone: '13700000099', attributes: { city: 'SZ' } }] }));
    toNextLocal(9, 0);
    await h.drain();
    expect(await outboxSize(api)).toBe(5);
    let r = await runs(api, taskId);
    expect(r.map((x) => x.status)).toEqual(['done', 'done', 'scheduled']);
    expect(r[1]!.targeted).toBe(3);

    // Down for three days: the missed runs run once, then the schedule goes on from now.
    h.clock.advance(3 * DAY + 3_600_000);
    await h.drain();
    r = await runs(api, taskId);
    expect(r.filter((x) => x.status === 'done')).toHaveLength(3);
    expect(await outboxSize(api)).toBe(8);
    expect(r.at(-1)).toMatchObject({ status: 'scheduled' });
    expect(DateTime.fromISO(r.at(-1)!.scheduledFor, { zone: TZ }).toFormat('HH:mm')).toBe('09:00');

    // Past until: the last run goes, no next one is queued; the task is completed.
    h.clock.advance(2 * DAY);
    await h.drain();
    r = await runs(api, taskId);
    expect(r.every((x) => x.status === 'done')).toBe(true);
    expect((await api.get(`/v1/tasks/${taskId}`)).json().status).toBe('completed');
  });

  it('pausing stops new runs; resuming runs the missed one once; a campaign past endAt stops', async () => {
    toNextLocal(8, 0);
    const ws = await newWorkspace(h);
    const api = ws.api;
    const { campaignId, taskId } = await setup(api, { type: 'recurring', cron: '0 9 * * *' }, 5);
    toNextLocal(9, 0);
    await h.drain();
    expect(await outboxSize(api)).toBe(2);
    await expectOk(await api.post(`/v1/campaigns/${campaignId}/pause`));
    h.clock.advance(2 * DAY);
    await h.drain();
    expect(await outboxSize(api)).toBe(2);
    await expectOk(await api.post(`/v1/campaigns/${campaignId}/resume`));
    await h.drain();
    expect(await outboxSize(api)).toBe(4);
    h.clock.advance(DAY);
    await h.drain();
    expect(await outboxSize(api)).toBe(6); // day 3, 09:00
    h.clock.advance(DAY);
    await h.drain();
    expect(await outboxSize(api)).toBe(8); // day 4, 09:00; endAt is day 5, 08:00: no run after it
    expect((await runs(api, taskId)).every((x) => x.status === 'done')).toBe(true);
    h.clock.advance(DAY);
    await h.drain();
    expect((await api.get(`/v1/campaigns/${campaignId}`)).json().status).toBe('ended');
    expect(await outboxSize(api)).toBe(8);
    expect((await api.get(`/v1/tasks/${taskId}`)).json().status).toBe('completed');
  });
});
