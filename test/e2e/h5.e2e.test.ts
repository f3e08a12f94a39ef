import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient } from './support/api.ts';
import type { RunningServer } from './support/server.ts';
import { resultsDir, startWorld, type E2EWorld } from './support/world.ts';

/**
 * The H5 reward pages on a phone, against the real server (`marketloop start`): a lottery and
 * a coupon template made through the API, the user's signed short links, the pages opened in
 * Chromium at a phone's size, a draw whose landing cell and result are the prize the API
 * recorded for that draw, a claimed coupon whose code the API knows as this user's. Nothing
 * expected is written down here: it is read back from the API. Screenshots go to test-results/.
 */
const WAIT = { timeout: 60_000, interval: 250 };
const hour = 3_600_000;

interface Link { url: string; shortUrl: string; token: string }
interface LotteryStats { draws: number; prizes: { key: string; won: number }[] }

describe('H5 pages on a phone', () => {
  let server: RunningServer;
  let world: E2EWorld;
  let page: Page;
  let api: ApiClient;
  let pageErrors: string[];
  const externalId = 'phone-user-1';

  beforeAll(async () => {
    // An iPhone 12/13-sized screen with touch, in Chinese (the pages' default audience).
    world = await startWorld({ slugPrefix: 'h5', name: (slug) => `H5 ${slug}`, context: { locale: 'zh-CN', viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true } });
    ({ server, api, page, pageErrors } = world);
    await api.post('/v1/users', { users: [{ externalId, phone: '13800000001' }] });

  });

  afterAll(async () => {
    await world?.close();
  });

  const fail = () => world.reportFailure('h5-failure.png');

  it('opens the lottery link, draws, and lands on the prize the API recorded for that draw', async () => {
    fail();
    const now = Date.now();
    const prizes = [{ key: 'tea', name: '龙井茶 Tea', weight: 3, stock: 50 }, { key: 'cup', name: '茶杯 Cup', weight: 1, stock: 50 }];
    const lottery = await api.post<{ id: string }>('/v1/lotteries', {
      name: '双十一抽奖', startAt: new Date(now - hour).toISOString(), endAt: new Date(now + 24 * hour).toISOString(), prizes, pointsPerChance: 5,
    });
    await api.post(`/v1/points/${externalId}/credit`, { amount: 5, reason: 'e2e', refId: 'e2e-points-1' });
    const granted = await api.post<{ chances: number }>(`/v1/lotteries/${lottery.id}/chances`, { externalId, amount: 2, reason: 'e2e' });
    expect(granted.chances).toBe(2);
    const link = await api.post<Link>('/v1/h5/links', { externalId, lotteryId: lottery.id });

    await page.goto(link.shortUrl);
    await page.waitForURL((u) => u.pathname === `/h5/lottery/${lottery.id}`);
    await page.getByTestId('grid').waitFor();
    // The prize table shows each prize's probability from the weights sent above.
    const total = prizes.reduce((s, p) => s + p.weight, 0);
    const odds = await page.getByTestId('odds').locator('tr').allTextContents();
    for (const p of prizes) expect(odds.some((row) => row.includes(p.name) && row.includes(`${(100 * p.weight) / total}%`))).toBe(true);
    await expect.poll(() => page.getByTestId('chances').getAttribute('data-chances'), WAIT).toBe(String(granted.chances));
    await page.screenshot({ path: join(resultsDir, 'h5-lottery-before.png'), fullPage: true });

    // The user's 5 points buy one more chance at the lottery's rate; the API's balances agree.
    await page.getByTestId('exchange').tap();
    await page.getByTestId('toast').getByRole('button').tap();
    const points = await api.get<{ balance: number }>(`/v1/points/${externalId}`);
    expect(points.balance).toBe(0);
    const exchanged = await fetch(`${server.baseUrl}/v1/h5/lottery/${lottery.id}`, { headers: { 'x-h5-token': link.token } }).then((r) => r.json() as Promise<{ chances: number }>);
    expect(exchanged.chances).toBe(granted.chances + 1);
    await expect.poll(() => page.getByTestId('chances').getAttribute('data-chances'), WAIT).toBe(String(exchanged.chances));

    await page.getByTestId('draw').tap();
    const result = page.getByTestId('draw-result');
    await result.waitFor({ timeout: 30_000 });
    const drawId = await result.getAttribute('data-draw-id');
    const shownKey = await result.getAttribute('data-prize-key');

    // What the lottery recorded: one draw, won by the prize the page shows (or none).
    const stats = await api.get<LotteryStats>(`/v1/lotteries/${lottery.id}/stats`);
    expect(stats.draws).toBe(1);
    const wonKeys = stats.prizes.filter((p) => p.won === 1).map((p) => p.key);
    expect(wonKeys).toEqual(shownKey ? [shownKey] : []);
    // …and the draw ledger has this very draw, for this user, with this prize.
    const draws = await api.get<{ items: { drawId: string; externalId: string; prizeKey: string | null }[] }>(`/v1/lotteries/${lottery.id}/draws`);
    expect(draws.items.map((d) => [d.drawId, d.externalId, d.prizeKey])).toEqual([[drawId, externalId, shownKey || null]]);
    // The highlight stopped on that prize's cell, and the result names it.
    const landed = page.locator('[data-testid="grid-cell"][data-active="true"]');
    expect(await landed.count()).toBe(1);
    expect(await landed.getAttribute('data-key')).toBe(shownKey ?? '');
    if (shownKey) expect(await result.textContent()).toContain(prizes.find((p) => p.key === shownKey)!.name);
    // The remaining chances: the page says what the API says.
    const after = await fetch(`${server.baseUrl}/v1/h5/lottery/${lottery.id}`, { headers: { 'x-h5-token': link.token } }).then((r) => r.json() as Promise<{ chances: number }>);
    expect(after.chances).toBe(exchanged.chances - 1);
    await expect.poll(() => page.getByTestId('chances').getAttribute('data-chances'), WAIT).toBe(String(after.chances));
    if (shownKey) await expect.poll(() => page.getByTestId('my-prizes').locator(`[data-draw-id="${drawId}"]`).count(), WAIT).toBe(1);
    await page.screenshot({ path: join(resultsDir, 'h5-lottery.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  });

  it('opens the coupon link in English, claims, and shows the code the API granted to this user', async () => {
    fail();
    const now = Date.now();
    const tpl = await api.post<{ id: string; name: string }>('/v1/coupon-templates', {
      name: 'Autumn tea 20 off', type: 'threshold', value: 2000, minSpend: 10000, totalStock: 100,
      claimStart: new Date(now - hour).toISOString(), claimEnd: new Date(now + 24 * hour).toISOString(), validity: { days: 7 },
    });
    const link = await api.post<Link>('/v1/h5/links', { externalId, couponTemplateId: tpl.id });
    await page.goto(`${link.url}&lang=en-US`);
    await page.getByTestId('offer').waitFor();
    expect(await page.locator('h1').textContent()).toBe(tpl.name);
    await page.getByTestId('claim').tap();
    const code = (await page.getByTestId('coupon-code').textContent())?.trim() ?? '';
    const coupon = await api.get<{ externalId: string; templateId: string; source: string; status: string }>(`/v1/coupons/${code}`);
    expect(coupon).toMatchObject({ externalId, templateId: tpl.id, source: 'h5', status: 'granted' });
    await expect.poll(() => page.getByTestId('my-coupons').textContent(), WAIT).toContain(code);
    await page.screenshot({ path: join(resultsDir, 'h5-coupon.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  });
});
