import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, newWorkspace, type Client, type Harness } from './support/harness.ts';
import { expectOk } from './support/fixtures.ts';
import { moveToNextLocal } from './support/time.ts';

/**
 * Template versions and review (issue 4): review required blocks unapproved versions, a running
 * task keeps the version it launched with; SMS opt-out, segments and cost; schedule preview.
 */
let h: Harness;
beforeAll(async () => { h = await createHarness(); });
afterAll(async () => { await h.close(); });

async function world(api: Client, n = 3) {
  const users = Array.from({ length: n }, (_, i) => ({ externalId: `u-${i}`, phone: `1370000${String(i).padStart(4, '0')}`, attributes: { city: 'SZ' } }));
  await expectOk(await api.post('/v1/users', { users }));
  const segment = (await expectOk(await api.post('/v1/segments', { name: 'SZ', refresh: 'manual', definition: { attr: 'city', op: 'eq', value: 'SZ' } }))).json();
  await h.drain();
  return { segment };
}
async function campaign(api: Client) {
  const now = h.clock.now();
  return (await expectOk(await api.post('/v1/campaigns', { name: 'C', goal: 'activation', startAt: new Date(now.getTime() - 3_600_000).toISOString(), endAt: new Date(now.getTime() + 60 * 86_400_000).toISOString() }))).json();
}
const outboxTexts = async (api: Client) => ((await api.get('/v1/sandbox/outbox?limit=1000')).json().items as { rendered: { text: string }; taskId: string }[]);

describe('template versions and review', () => {
  it('versions in draft, review flow with a second person, versions listed', async () => {
    const ws = await newWorkspace(h, { requireTemplateReview: true });
    const t = (await expectOk(await ws.api.post('/v1/templates', { name: 'n', channel: 'sms', content: { signature: 'B', body: 'v1' } }))).json();
    expect(t).toMatchObject({ version: 1, status: 'draft', approvedVersion: null, reviewNote: null });
    expect((await ws.api.post(`/v1/templates/${t.id}/approve`)).json().error.code).toBe('invalid_state');
    expect((await expectOk(await ws.api.post(`/v1/templates/${t.id}/submit`))).json()).toMatchObject({ status: 'pending_review' });
    // The submitter cannot approve their own version; an operator may not review at all here.
    const self = await ws.api.post(`/v1/templates/${t.id}/approve`);
    expect([self.statusCode, self.json().error.code]).toEqual([409, 'approver_required']);
    const operator = await ws.as('operator');
    expect((await operator.post(`/v1/templates/${t.id}/approve`)).json().error.code).toBe('forbidden');
    const approver = await ws.as('approver');
    const rejected = (await expectOk(await approver.post(`/v1/templates/${t.id}/reject`, { reason: 'Too pushy' }))).json();
    expect(rejected).toMatchObject({ status: 'rejected', reviewNote: 'Too pushy', approvedVersion: null });
    await expectOk(await ws.api.post(`/v1/templates/${t.id}/submit`));
    expect((await expectOk(await approver.post(`/v1/templates/${t.id}/approve`))).json()).toMatchObject({ status: 'approved', approvedVersion: 1, version: 1 });
    const v2 = (await expectOk(await ws.api.patch(`/v1/templates/${t.id}`, { content: { signature: 'B', body: 'v2' } }))).json();
    expect(v2).toMatchObject({ version: 2, status: 'draft', approvedVersion: 1 });
    const renamed = (await expectOk(await ws.api.patch(`/v1/templates/${t.id}`, { name: 'renamed' }))).json();
    expect(renamed.version).toBe(2);
    const versions = (await ws.api.get(`/v1/templates/${t.id}/versions`)).json().items;
    expect(versions.map((v: { version: number; status: string }) => [v.version, v.status])).toEqual([[2, 'draft'], [1, 'approved']]);
    expect(versions[1].content.body).toBe('v1');
    expect(versions[1].reviewedBy).toMatch(/^key:/);
  });

  it('with review required, a task may use only an approved version, and keeps the version it launched with', async () => {
    moveToNextLocal(h.clock, 12);
    const ws = await newWorkspace(h, { requireTemplateReview: true });
    const { segment } = await world(ws.api);
    const t = (await expectOk(await ws.api.post('/v1/templates', { name: 'n', channel: 'sms', content: { signature: 'B', body: 'first {{ user.externalId }}' } }))).json();
    const c = await campaign(ws.api);
    const task = { name: 'T', channel: 'sms', templateId: t.id, audience: { segmentId: segment.id }, schedule: { type: 'recurring', cron: '0 10 * * *' } };
    const blocked = await ws.api.post(`/v1/campaigns/${c.id}/tasks`, task);
    expect([blocked.statusCode, blocked.json().error.code]).toEqual([409, 'template_not_approved']);
    await expectOk(await ws.api.post(`/v1/templates/${t.id}/submit`));
    await expectOk(await (await ws.as('approver')).post(`/v1/templates/${t.id}/approve`));
    const created = (await expectOk(await ws.api.post(`/v1/campaigns/${c.id}/tasks`, task))).json();
    expect(created.templateVersions).toBeNull();
    // Version 2 is written (not approved) before launch; the campaign launches with version 1.
    await expectOk(await ws.api.patch(`/v1/templates/${t.id}`, { content: { signature: 'B', body: 'second {{ user.externalId }}' } }));
    await expectOk(await ws.api.post(`/v1/campaigns/${c.id}/submit`));
    await expectOk(await (await ws.as('approver')).post(`/v1/campaigns/${c.id}/approve`));
    expect((await ws.api.get(`/v1/tasks/${created.id}`)).json().templateVersions).toEqual({ [t.id]: 1 });
    moveToNextLocal(h.clock, 10, 1);
    await h.drain();
    // Version 2 approved while the task runs: the running task still sends version 1.
    await expectOk(await ws.api.post(`/v1/templates/${t.id}/submit`));
    await expectOk(await (await ws.as('approver')).post(`/v1/templates/${t.id}/approve`));
    moveToNextLocal(h.clock, 10, 1);
    await h.drain();
    const texts = (await outboxTexts(ws.api)).map((m) => m.rendered.text);
    expect(texts.length).toBe(6);
    expect(texts.every((x) => x.startsWith('【B】first '))).toBe(true);
    // A new task pins the newly approved version.
    const c2 = await campaign(ws.api);
    const t2 = (await expectOk(await ws.api.post(`/v1/campaigns/${c2.id}/tasks`, { ...task, schedule: { type: 'now' } }))).json();
    await expectOk(await ws.api.post(`/v1/campaigns/${c2.id}/submit`));
    await expectOk(await (await ws.as('approver')).post(`/v1/campaigns/${c2.id}/approve`));
    await h.drain();
    expect((await ws.api.get(`/v1/tasks/${t2.id}`)).json().templateVersions).toEqual({ [t.id]: 2 });
    const second = (await outboxTexts(ws.api)).filter((m) => m.taskId === t2.id).map((m) => m.rendered.text);
    expect(second.length).toBe(3);
    expect(second.every((x) => x.startsWith('【B】second '))).toBe(true);
  });

  it('without review, any version may be used and the task pins the latest at launch', async () => {
    const ws = await newWorkspace(h);
    const { segment } = await world(ws.api, 1);
    const t = (await expectOk(await ws.api.post('/v1/templates', { name: 'n', channel: 'sms', content: { signature: 'B', body: 'one' } }))).json();
    const c = await campaign(ws.api);
    const task = (await expectOk(await ws.api.post(`/v1/campaigns/${c.id}/tasks`, { name: 'T', channel: 'sms', templateId: t.id, audience: { segmentId: segment.id }, schedule: { type: 'now' } }))).json();
    await expectOk(await ws.api.post(`/v1/campaigns/${c.id}/submit`));
    await expectOk(await ws.api.post(`/v1/campaigns/${c.id}/approve`));
    expect((await ws.api.get(`/v1/tasks/${task.id}`)).json().templateVersions).toEqual({ [t.id]: 1 });
  });
});

describe('SMS opt-out, segments and cost', () => {
  it('appends the opt-out line to marketing SMS when missing, counts segments after shortening, prices them', async () => {
    moveToNextLocal(h.clock, 12);
    const ws = await newWorkspace(h);
    const { segment } = await world(ws.api, 1);
    await expectOk(await ws.api.post('/v1/providers', { channel: 'sms', type: 'sandbox', name: 'priced sandbox', settings: { unitPrice: 4 } }));
    const body = `${'好'.repeat(40)} {{ "https://shop.example/a-very-long-path/that/is/longer/than/a/short/link?with=query" | track }}`;
    const t = (await expectOk(await ws.api.post('/v1/templates', { name: 'n', channel: 'sms', content: { signature: 'Brand', body } }))).json();
    const r = (await expectOk(await ws.api.post(`/v1/templates/${t.id}/render`, { externalId: 'u-0' }))).json();
    const text: string = r.rendered.text;
    expect(text.endsWith(' 拒收请回复R')).toBe(true);
    expect(text).toContain('https://ml.test/l/');
    expect(text).not.toContain('shop.example');
    // UCS-2 (Chinese): 70 per single message, 67 per part of a long one.
    const chars = [...text].length;
    expect(r.smsCharacters).toBe(chars);
    const segments = chars <= 70 ? 1 : Math.ceil(chars / 67);
    expect(r).toMatchObject({ smsEncoding: 'UCS-2', smsSegments: segments, smsCost: { unitPrice: 4, segments, total: segments * 4, currency: 'CNY' } });
    // Already carrying it: not appended twice. Transactional: none.
    const carried = (await expectOk(await ws.api.post('/v1/templates', { name: 'n', channel: 'sms', content: { signature: 'Brand', body: 'Sale! 拒收请回复R' } }))).json();
    expect((await ws.api.post(`/v1/templates/${carried.id}/render`, { externalId: 'u-0' })).json().rendered.text).toBe('【Brand】Sale! 拒收请回复R');
    const otp = (await expectOk(await ws.api.post('/v1/templates', { name: 'n', channel: 'sms', content: { signature: 'Brand', body: 'Code 1234', kind: 'transactional' } }))).json();
    expect((await ws.api.post(`/v1/templates/${otp.id}/render`, { externalId: 'u-0' })).json().rendered.text).toBe('【Brand】Code 1234');
    // The workspace's own line (delivery policy) is what delivery appends.
    await expectOk(await ws.api.put('/v1/policies/delivery', { smsOptOut: '回T退订' }));
    const c = await campaign(ws.api);
    const plain = (await expectOk(await ws.api.post('/v1/templates', { name: 'n', channel: 'sms', content: { signature: 'Brand', body: 'Hi' } }))).json();
    const task = (await expectOk(await ws.api.post(`/v1/campaigns/${c.id}/tasks`, { name: 'T', channel: 'sms', templateId: plain.id, audience: { segmentId: segment.id }, schedule: { type: 'now' } }))).json();
    const est = (await expectOk(await ws.api.get(`/v1/tasks/${task.id}/estimate`))).json();
    expect(est).toMatchObject({ audience: 1, segmentsPerMessage: 1, unitPrice: 4, total: 4, currency: 'CNY' });
    await expectOk(await ws.api.post(`/v1/campaigns/${c.id}/submit`));
    await expectOk(await ws.api.post(`/v1/campaigns/${c.id}/approve`));
    await h.drain();
    expect((await outboxTexts(ws.api)).map((m) => m.rendered.text)).toEqual(['【Brand】Hi 回T退订']);
  });
});

describe('schedule preview', () => {
  it('summarises in English and Chinese with the next three runs in the workspace timezone', async () => {
    const ws = await newWorkspace(h);
    const r = (await expectOk(await ws.api.post('/v1/schedules/preview', { schedule: { type: 'recurring', cron: '0 9 * * 1' } }))).json();
    expect(r.summary).toBe('every Monday 09:00 (Asia/Shanghai)');
    expect(r.summaryZh).toBe('每周一 09:00（Asia/Shanghai）');
    expect(r.nextRuns).toHaveLength(3);
    const now = h.clock.now().getTime();
    let prev = now;
    for (const iso of r.nextRuns as string[]) {
      const d = new Date(iso);
      expect(d.getTime()).toBeGreaterThanOrEqual(prev);
      // 09:00 Monday in Shanghai is 01:00 Monday UTC.
      expect([d.getUTCDay(), d.getUTCHours(), d.getUTCMinutes()]).toEqual([1, 1, 0]);
      expect(iso).toMatch(/\+08:00$/);
      prev = d.getTime() + 1;
    }
    expect(new Date(r.nextRuns[1]).getTime() - new Date(r.nextRuns[0]).getTime()).toBe(7 * 86_400_000);
    expect((await ws.api.post('/v1/schedules/preview', { schedule: { type: 'recurring', cron: '30 8 * * 1-5' } })).json().summary).toBe('every weekday (Monday to Friday) 08:30 (Asia/Shanghai)');
    expect((await ws.api.post('/v1/schedules/preview', { schedule: { type: 'trigger', event: 'register', delayMinutes: 30 } })).json()).toMatchObject({ summary: 'when a user does "register", 30 minutes later', nextRuns: [] });
    const bad = await ws.api.post('/v1/schedules/preview', { schedule: { type: 'recurring', cron: '0 9 * *' } });
    expect([bad.statusCode, bad.json().error.details[0].path]).toEqual([400, 'schedule.cron']);
  });
});

describe('isolation and roles on the new routes', () => {
  it('another workspace gets 404 for review, versions and estimate; a viewer cannot submit', async () => {
    const a = await newWorkspace(h);
    const b = await newWorkspace(h);
    const { segment } = await world(a.api, 1);
    const t = (await expectOk(await a.api.post('/v1/templates', { name: 'n', channel: 'sms', content: { signature: 'B', body: 'x' } }))).json();
    const c = await campaign(a.api);
    const task = (await expectOk(await a.api.post(`/v1/campaigns/${c.id}/tasks`, { name: 'T', channel: 'sms', templateId: t.id, audience: { segmentId: segment.id }, schedule: { type: 'now' } }))).json();
    for (const r of [
      await b.api.post(`/v1/templates/${t.id}/submit`), await b.api.post(`/v1/templates/${t.id}/approve`),
      await b.api.post(`/v1/templates/${t.id}/reject`, { reason: 'x' }), await b.api.get(`/v1/templates/${t.id}/versions`),
      await b.api.get(`/v1/tasks/${task.id}/estimate`),
    ]) expect([r.statusCode, r.json().error.code]).toEqual([404, 'not_found']);
    const viewer = await a.as('viewer');
    expect((await viewer.post(`/v1/templates/${t.id}/submit`)).statusCode).toBe(403);
    expect((await viewer.post('/v1/schedules/preview', { schedule: { type: 'now' } })).statusCode).toBe(200);
    expect((await a.api.post(`/v1/templates/${t.id}/reject`, {})).statusCode).toBe(400);
    expect((await a.api.get(`/v1/templates/${t.id}/versions`)).json().items).toHaveLength(1);
  });
});
