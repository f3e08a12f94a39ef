import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient } from './support/api.ts';
import { chooseOption } from './support/browser.ts';
import type { RunningServer } from './support/server.ts';
import { createConsoleUser, resultsDir, signIn, startWorld, type E2EWorld } from './support/world.ts';

/**
 * A campaign's results panel end to end, against the real server: an SMS task with a coupon
 * targets five users and reaches four (one is blacklisted); three click; two buy within the
 * window — a first order ever that redeems its coupon, and a repeat buyer's two orders — while
 * an order by a user the campaign never touched must not count. Every expected figure below is
 * what this file set up, written down by hand: nothing is read back from the report endpoint
 * the panel shows, so a panel (or report) with wrong numbers fails here.
 */
const WAIT = { timeout: 60_000, interval: 500 };
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

interface OutboxItem { externalId: string; rendered: { text: string } }
interface TaskReport { targeted: number; sent: number; clicked: number }

describe('campaign results', () => {
  let server: RunningServer;
  let world: E2EWorld;
  let page: Page;
  let api: ApiClient;
  let pageErrors: string[];
  let campaignId: string;
  let taskId: string;
  const email = 'results@e2e.example';
  const password = 'correct-horse-44';
  const buyers = ['s0', 's1', 's2', 's3', 's4'];

  beforeAll(async () => {
    world = await startWorld({ slugPrefix: 'results', name: (slug) => `Results ${slug}`, context: { locale: 'en-US', viewport: { width: 1440, height: 1000 }, acceptDownloads: true } });
    ({ server, api, page, pageErrors } = world);
    const now = Date.now();
    const at = (ms: number) => new Date(now + ms).toISOString();

    // Five in the segment (s4 blacklisted: targeted, never reached); `never` is outside it.
    await api.post('/v1/users', { users: [
      ...buyers.map((externalId, i) => ({ externalId, phone: `1380000100${i}`, attributes: { group: 'spring' } })),
      { externalId: 'never', phone: '13900001000', attributes: { group: 'other' } },
    ] });
    // s1 paid a month ago, so its orders in the window are a repeat buyer's.
    await api.post('/v1/events', { events: [{ externalId: 's1', name: 'order_paid', timestamp: at(-30 * DAY), properties: { orderId: 'before-s1', amount: 1000 } }] });
    await api.post('/v1/blacklist', { externalIds: ['s4'] });
    const segment = await api.post<{ id: string }>('/v1/segments', { name: 'Spring', refresh: 'manual', definition: { attr: 'group', op: 'eq', value: 'spring' } });
    // expect.poll works only inside a test: wait for the segment by hand.
    for (let i = 0; (await api.get<{ status: string }>(`/v1/segments/${segment.id}`)).status !== 'ready'; i++) {
      if (i > 240) throw new Error('segment not ready after 60 s');
      await new Promise((r) => setTimeout(r, 250));
    }

    const campaign = await api.post<{ id: string }>('/v1/campaigns', {
      name: 'Spring sale', goal: 'repurchase', startAt: at(-HOUR), endAt: at(30 * DAY), budget: { amount: 100_000 }, conversion: { event: 'order_paid', windowDays: 7 },
    });
    campaignId = campaign.id;
    const coupon = await api.post<{ id: string }>('/v1/coupon-templates', {
      name: 'Spring 20 off', type: 'direct', value: 2000, totalStock: 100, claimStart: at(-HOUR), claimEnd: at(30 * DAY), validity: { days: 7 }, campaignId,
    });
    const template = await api.post<{ id: string }>('/v1/templates', { name: 'Spring SMS', channel: 'sms', content: { signature: 'Shop', body: 'Code {{ coupon.code }} {{ "https://shop.example/spring" | track }}' } });
    const task = await api.post<{ id: string }>(`/v1/campaigns/${campaignId}/tasks`, {
      name: 'Spring SMS', channel: 'sms', templateId: template.id, audience: { segmentId: segment.id }, schedule: { type: 'now' }, couponTemplateId: coupon.id,
    });
    taskId = task.id;

    await createConsoleUser(world, { email, password, role: 'admin' });
  }, 600_000); // a console build and a server start on a shared 2-core machine can take minutes

  afterAll(async () => {
    await world?.close();
  });

  /** Clicks a download button and reads the CSV the browser saved, one object per row. */
  async function downloadCsv(button: Locator): Promise<{ filename: string; rows: Record<string, string>[] }> {
    const [file] = await Promise.all([page.waitForEvent('download'), button.click()]);
    const text = await readFile(await file.path(), 'utf8');
    return { filename: file.suggestedFilename(), rows: parse(text, { columns: true }) as Record<string, string>[] };
  }

  it('shows the funnel, the orders and GMV it earned, its coupon and ROI, and downloads the conversions CSV', async () => {
    world.reportFailure('campaign-results-failure.png');
    await signIn(page, server.baseUrl, { email, password });

    // ---- launch; wait (on the task report, not the campaign report) until the send is done
    await api.post(`/v1/campaigns/${campaignId}/submit`);
    await api.post(`/v1/campaigns/${campaignId}/approve`);
    await expect.poll(async () => {
      const r = await api.get<TaskReport>(`/v1/tasks/${taskId}/report`);
      return [r.targeted, r.sent];
    }, WAIT).toEqual([5, 4]);

    // ---- the panel loads with the page: sent, nobody opened or bought yet, no discount → ROI "—"
    await page.goto(`${server.baseUrl}/campaigns/${campaignId}`);
    const results = page.getByTestId('campaign-results');
    /** A funnel step as the page shows it: its count, then " · " and the rate against the step before. */
    const funnel = () => Promise.all(['targeted', 'reached', 'opened', 'converted'].map(async (k) => (await results.getByTestId(`funnel-${k}`).locator('strong').textContent())?.trim()));
    const figure = async (name: string) => (await results.locator(`[data-metric="${name}"] .ant-statistic-content-value`).textContent())?.trim();
    await expect.poll(funnel, WAIT).toEqual(['5', '4 · 80%', '0 · 0%', '0']);
    expect(await results.getByTestId('results-rule').textContent()).toBe('order_paid within 7 days of the first touch');
    expect(await figure('gmv')).toBe('¥0.00');
    expect(await figure('roi')).toBe('—');

    // ---- s0, s1 and s2 follow their links; s0 buys for the first time with its coupon, s1 buys
    // twice, and `never` (untouched) buys too
    const outbox = (await api.get<{ items: OutboxItem[] }>(`/v1/sandbox/outbox?taskId=${taskId}&limit=100`)).items;
    expect(outbox.map((m) => m.externalId).sort()).toEqual(['s0', 's1', 's2', 's3']);
    const sms = (id: string) => outbox.find((m) => m.externalId === id)!.rendered.text;
    for (const id of ['s0', 's1', 's2']) {
      const link = /(https?:\/\/\S+\/l\/\w+)/.exec(sms(id))?.[1];
      expect(link, sms(id)).toBeDefined();
      expect((await fetch(link!, { redirect: 'manual' })).status).toBe(302);
    }
    const s0Coupon = /Code (\S+)/.exec(sms('s0'))![1]!;
    expect(await api.post(`/v1/coupons/${s0Coupon}/redeem`, { externalId: 's0', orderId: 'o-s0', orderAmount: 12_000 })).toEqual({ discount: 2000, payable: 10_000 });
    await api.post('/v1/events', { events: [
      { externalId: 's0', name: 'order_paid', properties: { orderId: 'o-s0', amount: 10_000, couponCode: s0Coupon } },
      { externalId: 's1', name: 'order_paid', properties: { orderId: 'o-s1a', amount: 3000 } },
      { externalId: 's1', name: 'order_paid', properties: { orderId: 'o-s1b', amount: 4000 } },
      { externalId: 'never', name: 'order_paid', properties: { orderId: 'o-never', amount: 70_000 } },
    ] });
    // Clicks are recorded from a queue: wait for them before asking the panel again.
    await expect.poll(async () => (await api.get<TaskReport>(`/v1/tasks/${taskId}/report`)).clicked, WAIT).toBe(3);

    // ---- Refresh: 3 opened, 2 converted; GMV 100 + 30 + 40 = ¥170.00, discount ¥20.00, ROI 170 / 20
    await results.getByTestId('results-refresh').click();
    await expect.poll(funnel, WAIT).toEqual(['5', '4 · 80%', '3 · 75%', '2 · 66.67%']);
    const figures = ['payers', 'orders', 'gmv', 'couponDiscount', 'roi', 'firstOrderUsers', 'firstOrderGmv', 'repeatUsers', 'repeatGmv'];
    expect(Object.fromEntries(await Promise.all(figures.map(async (f) => [f, await figure(f)])))).toEqual({
      payers: '2', orders: '3', gmv: '¥170.00', couponDiscount: '¥20.00', roi: '8.50',
      firstOrderUsers: '1', firstOrderGmv: '¥100.00', repeatUsers: '1', repeatGmv: '¥70.00',
    });
    // The coupon: granted to the four reached, redeemed once on a ¥120.00 order.
    await expect.poll(() => results.getByTestId('results-coupons').locator('tbody tr.ant-table-row td').allTextContents(), WAIT)
      .toEqual(['Spring 20 off', '4', '1', '25%', '¥120.00', '¥20.00']);
    await results.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(resultsDir, 'campaign-results.png'), fullPage: true });

    // ---- the downloads: the attributed orders (not the untouched user's), and every message
    const conversions = await downloadCsv(results.getByTestId('export-conversions'));
    expect(conversions.filename).toBe(`campaign-${campaignId}-conversions.csv`);
    expect(conversions.rows.map((r) => [r.orderId, r.externalId, r.amount, r.firstOrder, r.couponCode]).sort()).toEqual([
      ['o-s0', 's0', '10000', 'true', s0Coupon], ['o-s1a', 's1', '3000', 'false', ''], ['o-s1b', 's1', '4000', 'false', ''],
    ]);
    const messages = await downloadCsv(results.getByTestId('export-messages'));
    expect(messages.rows.map((r) => r.externalId).sort()).toEqual(buyers);
    expect(messages.rows.find((r) => r.externalId === 's4')).toMatchObject({ status: 'suppressed', reason: 'blacklisted' });

    // ---- zh-CN: the panel's labels and rule switch language, the figures stay
    await chooseOption(page, page.getByTestId('lang-switch'), '简体中文');
    await expect.poll(() => results.getByTestId('results-rule').textContent(), WAIT).toBe('首次触达后 7 天内发生 order_paid');
    expect(await results.locator('[data-metric="gmv"] .ant-statistic-title').textContent()).toBe('GMV');
    expect(await results.locator('[data-metric="repeatUsers"] .ant-statistic-title').textContent()).toBe('复购用户');
    expect(await figure('gmv')).toBe('¥170.00');

    expect(pageErrors).toEqual([]);
  });

  it("shows a task's conversion rate against its control group, the lift, its p-value and whether it is significant", async () => {
    world.reportFailure('campaign-lift-failure.png');
    // 60 users, half held out as control (by hash: the split is whatever it is, read back from the outbox).
    const ids = Array.from({ length: 60 }, (_, i) => `ab${i}`);
    await api.post('/v1/users', { users: ids.map((externalId, i) => ({ externalId, phone: `1370002${String(i).padStart(4, '0')}`, attributes: { group: 'ab' } })) });
    const segment = await api.post<{ id: string }>('/v1/segments', { name: 'AB', refresh: 'manual', definition: { attr: 'group', op: 'eq', value: 'ab' } });
    await expect.poll(async () => (await api.get<{ status: string }>(`/v1/segments/${segment.id}`)).status, WAIT).toBe('ready');
    const now = Date.now();
    const template = await api.post<{ id: string }>('/v1/templates', { name: 'AB SMS', channel: 'sms', content: { signature: 'Shop', body: 'Come back' } });
    const campaign = await api.post<{ id: string }>('/v1/campaigns', { name: 'Holdout test', goal: 'retention', startAt: new Date(now - HOUR).toISOString(), endAt: new Date(now + 30 * DAY).toISOString() });
    const task = await api.post<{ id: string }>(`/v1/campaigns/${campaign.id}/tasks`, {
      name: 'With control', channel: 'sms', templateId: template.id, audience: { segmentId: segment.id }, schedule: { type: 'now' }, controlPercent: 50,
    });
    await api.post(`/v1/campaigns/${campaign.id}/submit`);
    await api.post(`/v1/campaigns/${campaign.id}/approve`);
    await expect.poll(async () => { const r = await api.get<TaskReport & { queued: number }>(`/v1/tasks/${task.id}/report`); return r.targeted === 60 && r.queued === 0; }, WAIT).toBe(true);
    const sentTo = new Set((await api.get<{ items: OutboxItem[] }>(`/v1/sandbox/outbox?taskId=${task.id}&limit=100`)).items.map((m) => m.externalId));
    const [treated, held] = [ids.filter((u) => sentTo.has(u)), ids.filter((u) => !sentTo.has(u))];
    expect(treated.length).toBeGreaterThan(5);
    expect(held.length).toBeGreaterThan(5);
    // Every other treated user buys; one held-out user does.
    const buyersNow = [...treated.filter((_, i) => i % 2 === 0), held[0]!];
    await api.post('/v1/events', { events: buyersNow.map((u) => ({ externalId: u, name: 'order_paid', properties: { orderId: `ab-${u}`, amount: 5000 } })) });

    // The expected figures, from this setup alone.
    const [x1, n1, x2, n2] = [Math.ceil(treated.length / 2), treated.length, 1, held.length];
    const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
    const lift = (x1 / n1 - x2 / n2) / (x2 / n2);

    await page.goto(`${server.baseUrl}/campaigns/${campaign.id}`);
    // The test before left the console in Chinese.
    if ((await page.getByTestId('lang-switch').textContent())?.includes('简体中文')) await chooseOption(page, page.getByTestId('lang-switch'), 'English');
    const card = page.getByTestId('task-report');
    await card.getByText('Variants').click();
    const rowOf = (name: string) => card.getByTestId('variant-table').locator('tbody tr.ant-table-row').filter({ has: page.getByText(name, { exact: true }) });
    const cells = async (name: string) => (await rowOf(name).locator('td').allTextContents()).map((c) => c.trim());
    // Columns: variant, weight, targeted, sent, delivered, clicked, users, converted, rate, lift.
    await expect.poll(async () => (await cells('—')).slice(6, 9), WAIT).toEqual([String(n1), String(x1), pct(x1 / n1)]);
    expect((await cells('Control')).slice(6, 10)).toEqual([String(n2), '1', pct(1 / n2), '—']);
    const liftCell = rowOf('—').locator('[data-lift]');
    expect(Number(await liftCell.getAttribute('data-lift'))).toBeCloseTo(lift, 3);
    expect(await liftCell.textContent()).toContain(`+${pct(Math.round(lift * 10_000) / 10_000)}`);
    // About half against one in n2: far from chance at these sizes, so marked significant.
    expect(Number(await liftCell.getAttribute('data-p'))).toBeLessThan(0.05);
    expect(await liftCell.textContent()).toContain('significant');
    await page.screenshot({ path: join(resultsDir, 'campaign-lift.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  });
});
