import { cumulativeStdNormalProbability } from 'simple-statistics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, newWorkspace, type Harness } from './support/harness.ts';
import { expectOk } from './support/fixtures.ts';
import { moveToNextLocal } from './support/time.ts';

/** A/B variants and a control group (issue 4): deterministic per (task, user), stable across runs, byVariant in the report. */
let h: Harness;
// Caps go through whichever Counters adapter the configuration picks: Redis when REDIS_URL is set.
beforeAll(async () => { h = await createHarness(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}); });
afterAll(async () => { await h.close(); });

const toNextLocal = (hour: number, minute = 0): void => moveToNextLocal(h.clock, hour, minute);

describe('A/B variants and control group', () => {
  it('splits by weight, holds out the control group, keeps each user in one group across runs', async () => {
    toNextLocal(8);
    const ws = await newWorkspace(h);
    const api = ws.api;
    const n = 200;
    await expectOk(await api.post('/v1/users', { users: Array.from({ length: n }, (_, i) => ({ externalId: `u-${i}`, phone: `1370000${String(i).padStart(4, '0')}`, attributes: { city: 'SZ' } })) }));
    const segment = (await expectOk(await api.post('/v1/segments', { name: 'SZ', refresh: 'manual', definition: { attr: 'city', op: 'eq', value: 'SZ' } }))).json();
    await h.drain();
    const tpl = async (body: string) => (await expectOk(await api.post('/v1/templates', { name: body, channel: 'sms', content: { signature: 'Brand', body } }))).json().id as string;
    const [tA, tB] = [await tpl('Variant A'), await tpl('Variant B')];
    const now = h.clock.now();
    const c = (await expectOk(await api.post('/v1/campaigns', { name: 'AB', goal: 'repurchase', startAt: new Date(now.getTime() - 3_600_000).toISOString(), endAt: new Date(now.getTime() + 30 * 86_400_000).toISOString() }))).json();
    const bad = await api.post(`/v1/campaigns/${c.id}/tasks`, { name: 'x', channel: 'sms', templateId: tA, audience: { segmentId: segment.id }, schedule: { type: 'now' }, variants: [{ name: 'control', templateId: tA, weight: 1 }], controlPercent: 101 });
    expect(bad.statusCode, bad.body).toBe(400);
    expect(bad.json().error.details.map((d: { path: string }) => d.path)).toEqual(expect.arrayContaining(['variants[0].name', 'controlPercent']));
    const task = (await expectOk(await api.post(`/v1/campaigns/${c.id}/tasks`, {
      name: 'AB', channel: 'sms', templateId: tA, audience: { segmentId: segment.id }, schedule: { type: 'recurring', cron: '0 9 * * *' },
      variants: [{ name: 'A', templateId: tA, weight: 3 }, { name: 'B', templateId: tB, weight: 1 }], controlPercent: 10,
    }))).json();
    expect(task).toMatchObject({ controlPercent: 10, variants: [{ name: 'A' }, { name: 'B' }] });
    await expectOk(await api.post(`/v1/campaigns/${c.id}/submit`));
    await expectOk(await api.post(`/v1/campaigns/${c.id}/approve`));
    toNextLocal(9);
    await h.drain();

    const first = (await api.get('/v1/sandbox/outbox?limit=1000')).json().items as { externalId: string; rendered: { text: string } }[];
    let r = (await api.get(`/v1/tasks/${task.id}/report`)).json();
    const control = r.suppressed.control as number;
    expect(control).toBeGreaterThan(5);
    expect(control).toBeLessThan(40);
    expect(r).toMatchObject({ targeted: n, sent: n - control });
    const by = Object.fromEntries((r.byVariant as { name: string; targeted: number; sent: number }[]).map((v) => [v.name, v]));
    expect(by.A!.sent + by.B!.sent).toBe(n - control);
    expect(by.control).toMatchObject({ targeted: control, sent: 0 });
    expect(by.A!.sent).toBeGreaterThan(by.B!.sent);
    expect(first.filter((m) => m.rendered.text.includes('Variant B')).length).toBe(by.B!.sent);

    // A conversion by a variant-A user and by a control user counts in each group.
    const aUser = first.find((m) => m.rendered.text.includes('Variant A'))!.externalId;
    const sentTo = new Set(first.map((m) => m.externalId));
    const controlUser = Array.from({ length: n }, (_, i) => `u-${i}`).find((id) => !sentTo.has(id))!;
    h.clock.advance(3_600_000);
    await expectOk(await api.post('/v1/events', { events: [aUser, controlUser].map((id, i) => ({ externalId: id, name: 'order_paid', timestamp: h.clock.now().toISOString(), properties: { orderId: `o-${i}`, amount: 1000 } })) }));

    // The next run puts every user in the same group again.
    toNextLocal(9);
    await h.drain();
    const all = (await api.get('/v1/sandbox/outbox?limit=1000')).json().items as { externalId: string; rendered: { text: string } }[];
    expect(all.length).toBe(2 * (n - control));
    const texts = new Map<string, Set<string>>();
    for (const m of all) texts.set(m.externalId, (texts.get(m.externalId) ?? new Set()).add(m.rendered.text));
    expect([...texts.values()].every((s) => s.size === 1)).toBe(true);
    expect(texts.has(controlUser)).toBe(false);
    r = (await api.get(`/v1/tasks/${task.id}/report`)).json();
    expect(r.suppressed.control).toBe(2 * control);
    type Line = { name: string; targeted: number; users: number; converted: number; conversionRate: number; lift: number | null; pValue: number | null };
    const by2 = Object.fromEntries((r.byVariant as Line[]).map((v) => [v.name, v]));
    expect(by2.A!.converted).toBe(1);
    expect(by2.control!.converted).toBe(1);
    expect(by2.B!.converted).toBe(0);
    // Rates are over touched users, not messages: two runs sent each user twice, users count once.
    expect([by2.A!.users, by2.B!.users, by2.control!.users]).toEqual([by.A!.sent, by.B!.sent, control]);
    expect(by2.A!.targeted).toBe(2 * by.A!.sent);
    const rate = (x: number, nUsers: number) => Math.round((x / nUsers) * 10_000) / 10_000;
    expect(by2.A!.conversionRate).toBe(rate(1, by.A!.sent));
    expect(by2.control!.conversionRate).toBe(rate(1, control));
    // Lift against control: A's rate relative to control's; B never converted (-100 %); control has none.
    expect(by2.A!.lift).toBe(Math.round(((1 / by.A!.sent - 1 / control) / (1 / control)) * 10_000) / 10_000);
    expect(by2.B!.lift).toBe(-1);
    expect([by2.control!.lift, by2.control!.pValue]).toEqual([null, null]);
    // The p-value of A against control, from the group sizes this run drew (the split is a hash of
    // the random task id), by a z table rather than the error function the report uses.
    const [nA, nC] = [by.A!.sent, control];
    const pooled = 2 / (nA + nC);
    const z = Math.abs(1 / nA - 1 / nC) / Math.sqrt(pooled * (1 - pooled) * (1 / nA + 1 / nC));
    expect(by2.A!.pValue).toBeCloseTo(2 * (1 - cumulativeStdNormalProbability(z)), 2);
  });

  it('a lift from a real difference is significant: 1 in 2 of the variant converts, 1 in 20 of control', async () => {
    toNextLocal(8);
    const ws = await newWorkspace(h);
    const api = ws.api;
    const n = 400;
    await expectOk(await api.post('/v1/users', { users: Array.from({ length: n }, (_, i) => ({ externalId: `l-${i}`, phone: `1360000${String(i).padStart(4, '0')}`, attributes: { city: 'L' } })) }));
    const segment = (await expectOk(await api.post('/v1/segments', { name: 'L', refresh: 'manual', definition: { attr: 'city', op: 'eq', value: 'L' } }))).json();
    await h.drain();
    const tpl = (await expectOk(await api.post('/v1/templates', { name: 'l', channel: 'sms', content: { signature: 'Brand', body: 'Sale' } }))).json();
    const now = h.clock.now();
    const c = (await expectOk(await api.post('/v1/campaigns', { name: 'Lift', goal: 'repurchase', startAt: new Date(now.getTime() - 3_600_000).toISOString(), endAt: new Date(now.getTime() + 30 * 86_400_000).toISOString() }))).json();
    const task = (await expectOk(await api.post(`/v1/campaigns/${c.id}/tasks`, { name: 'L', channel: 'sms', templateId: tpl.id, audience: { segmentId: segment.id }, schedule: { type: 'now' }, controlPercent: 25 }))).json();
    await expectOk(await api.post(`/v1/campaigns/${c.id}/submit`));
    await expectOk(await api.post(`/v1/campaigns/${c.id}/approve`));
    await h.drain();
    const sentTo = new Set(((await api.get('/v1/sandbox/outbox?limit=1000')).json().items as { externalId: string }[]).map((m) => m.externalId));
    const all = Array.from({ length: n }, (_, i) => `l-${i}`);
    const [treated, held] = [all.filter((u) => sentTo.has(u)), all.filter((u) => !sentTo.has(u))];
    const buyers = [...treated.filter((_, i) => i % 2 === 0), ...held.filter((_, i) => i % 20 === 0)];
    h.clock.advance(3_600_000);
    await expectOk(await api.post('/v1/events', { events: buyers.map((u) => ({ externalId: u, name: 'order_paid', timestamp: h.clock.now().toISOString(), properties: { orderId: `lo-${u}`, amount: 1000 } })) }));
    const lines = (await api.get(`/v1/tasks/${task.id}/report`)).json().byVariant as { name: string; users: number; converted: number; lift: number; pValue: number }[];
    const [variant, control] = [lines.find((l) => l.name === '')!, lines.find((l) => l.name === 'control')!];
    const [x1, n1, x2, n2] = [Math.ceil(treated.length / 2), treated.length, Math.ceil(held.length / 20), held.length];
    expect([variant.users, variant.converted, control.users, control.converted]).toEqual([n1, x1, n2, x2]);
    expect(variant.lift).toBe(Math.round(((x1 / n1 - x2 / n2) / (x2 / n2)) * 10_000) / 10_000);
    expect(variant.pValue).toBeLessThan(0.001);
  });
});
