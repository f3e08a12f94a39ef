import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient } from './support/api.ts';
import { statisticNumber } from './support/browser.ts';
import type { RunningServer } from './support/server.ts';
import { resultsDir, startWorld, submitLogin, type E2EWorld } from './support/world.ts';

/**
 * The rewards console end to end against the real server: an admin creates a coupon template
 * in the page (what the API stored = what was typed), watches its funnel reach the API's grant
 * and redemption counts, reads a lottery's prize table (each probability = the API's), stops
 * the lottery with its kill switch (the API lists it, a draw answers `killed`), and tops up a
 * campaign budget (the API's remaining moves by the amount), and reads a user's referral tree
 * (the API's downline). Expected numbers come from the API.
 */
const WAIT = { timeout: 60_000, interval: 500 };
const hour = 3_600_000;

interface Template { id: string; name: string; type: string; value: number; minSpend: number; totalStock: number }
interface Stats { granted: number; redeemed: number; remaining: number }
interface Lottery { id: string; prizes: { key: string; probability: number }[]; noPrizeProbability: number }
interface Budget { amount: number; remaining: number; toppedUp: number }

describe('rewards console', () => {
  let server: RunningServer;
  let world: E2EWorld;
  let page: Page;
  let api: ApiClient;
  let inviteUrl: string;
  let pageErrors: string[];
  const email = 'rewards@e2e.example';
  const password = 'correct-horse-42';

  beforeAll(async () => {
    world = await startWorld({ slugPrefix: 'rw', name: (slug) => `Rewards ${slug}`, context: { locale: 'en-US', viewport: { width: 1440, height: 960 } } });
    ({ server, api, page, pageErrors } = world);
    await api.post('/v1/users', { users: ['r1', 'r2', 'r3'].map((externalId) => ({ externalId })) });
    inviteUrl = (await api.post<{ inviteUrl: string }>('/v1/console-users/invite', { email, role: 'admin', name: 'Ops' })).inviteUrl;
  });

  afterAll(async () => {
    await world?.close();
  });

  /** An antd InputNumber's <input>, wherever its data-testid landed (the input or a wrapper). */
  const numberInput = (id: string) => page.locator(`input[data-testid="${id}"], [data-testid="${id}"] input`).first();

  it('creates a coupon template, follows its funnel, reads a lottery\'s odds, kills it, tops up a budget', async () => {
    world.reportFailure('rewards-failure.png');
    await page.goto(inviteUrl);
    await page.getByTestId('invite-password').fill(password);
    await page.getByTestId('invite-confirm').fill(password);
    await page.getByTestId('invite-submit').click();
    await page.getByTestId('go-login').click();
    await page.waitForURL(/\/login$/);
    await submitLogin(page, { email, password });

    // ---- a coupon template typed in the form is what the API stores (yuan → fen)
    await page.goto(`${server.baseUrl}/rewards/coupons`);
    await page.getByTestId('new-coupon-template').click();
    await page.getByTestId('coupon-name').fill('Autumn 20 off 100');
    await numberInput('coupon-value').fill('20');
    await numberInput('coupon-min-spend').fill('100');
    await numberInput('coupon-stock').fill('50');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(/\/rewards\/coupons\/[^/]+$/);
    const templateId = page.url().split('/').pop()!;
    const tpl = await api.get<Template>(`/v1/coupon-templates/${templateId}`);
    expect(tpl).toMatchObject({ name: 'Autumn 20 off 100', type: 'threshold', value: 2000, minSpend: 10000, totalStock: 50 });

    // ---- grants and a redemption through the API show up in the live funnel
    const codes: string[] = [];
    for (const u of ['r1', 'r2', 'r3']) codes.push((await api.post<{ code: string }>(`/v1/coupon-templates/${templateId}/grant`, { externalId: u })).code);
    await api.post(`/v1/coupons/${codes[0]}/redeem`, { externalId: 'r1', orderId: 'e2e-order-1', orderAmount: 15000 });
    const stats = await api.get<Stats>(`/v1/coupon-templates/${templateId}/stats`);
    await expect.poll(() => statisticNumber(page.getByTestId('stat-granted')), WAIT).toBe(stats.granted);
    await expect.poll(() => statisticNumber(page.getByTestId('stat-redeemed')), WAIT).toBe(stats.redeemed);
    expect(await statisticNumber(page.getByTestId('stat-remaining'))).toBe(stats.remaining);
    expect(await page.getByTestId('funnel-redeemed').getAttribute('data-value')).toBe(String(stats.redeemed));
    await page.screenshot({ path: join(resultsDir, 'rewards-coupon.png'), fullPage: true });

    // ---- a stock top-up typed in the page raises the API's stock and what remains by as much
    await page.getByTestId('coupon-stock-topup').click();
    await numberInput('coupon-stock-topup-amount').fill('25');
    await page.getByTestId('coupon-stock-topup-submit').click();
    await expect.poll(async () => (await api.get<Template>(`/v1/coupon-templates/${templateId}`)).totalStock, WAIT).toBe(tpl.totalStock + 25);
    const toppedUp = await api.get<Stats>(`/v1/coupon-templates/${templateId}/stats`);
    expect(toppedUp.remaining).toBe(stats.remaining + 25);
    await expect.poll(() => statisticNumber(page.getByTestId('stat-remaining')), WAIT).toBe(toppedUp.remaining);

    // ---- a lottery typed in the form (two prizes, a no-prize weight) is what the API stores
    await page.goto(`${server.baseUrl}/rewards/lotteries`);
    await page.getByTestId('new-lottery').click();
    await page.getByTestId('lottery-name').fill('Typed lottery');
    const dialog = page.locator('.ant-modal');
    await dialog.getByPlaceholder('Name', { exact: true }).first().fill('Tea');
    await dialog.getByRole('button', { name: 'Add prize' }).click();
    await dialog.getByPlaceholder('Name', { exact: true }).nth(1).fill('Cup');
    await dialog.getByPlaceholder('Weight').nth(0).fill('3');
    await dialog.getByPlaceholder('Weight').nth(1).fill('1');
    await expect.poll(() => dialog.getByTestId('prize-odds').allTextContents(), WAIT).toEqual(['75%', '25%']);
    await dialog.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(/\/rewards\/lotteries\/[^/]+$/);
    const typed = await api.get<Omit<Lottery, 'prizes'> & { name: string; prizes: { key: string; name: string; weight: number; probability: number }[] }>(`/v1/lotteries/${page.url().split('/').pop()}`);
    expect(typed.name).toBe('Typed lottery');
    expect(typed.prizes.map((p) => [p.name, p.weight, p.probability])).toEqual([['Tea', 3, 0.75], ['Cup', 1, 0.25]]);

    // ---- a lottery's prize table: every probability as the API computes it
    const now = Date.now();
    const lottery = await api.post<Lottery>('/v1/lotteries', {
      name: 'Spin and win', startAt: new Date(now - hour).toISOString(), endAt: new Date(now + 24 * hour).toISOString(), noPrizeWeight: 5,
      prizes: [{ key: 'tea', name: 'Tea', weight: 3, stock: 10 }, { key: 'cup', name: 'Cup', weight: 2, stock: null }],
    });
    await page.goto(`${server.baseUrl}/rewards/lotteries/${lottery.id}`);
    await page.getByTestId('prize-table').waitFor();
    const shown = await page.getByTestId('prize-probability').allTextContents();
    expect(shown).toEqual(lottery.prizes.map((p) => `${Number((p.probability * 100).toFixed(2))}%`));
    expect(await page.getByTestId('no-prize-probability').textContent()).toBe(`${Number((lottery.noPrizeProbability * 100).toFixed(2))}%`);
    await page.screenshot({ path: join(resultsDir, 'rewards-lottery.png'), fullPage: true });

    // ---- an H5 link issued from the page is the API's link for that user and lottery
    await page.getByTestId('h5-external-id').fill('r2');
    await page.getByTestId('h5-issue').click();
    const shortUrl = (await page.getByTestId('h5-short-url').textContent()) ?? '';
    const issued = await api.get<{ items: { shortUrl: string; externalId: string; pageId: string }[] }>(`/v1/h5/links?page=lottery&pageId=${lottery.id}`);
    expect(issued.items.map((l) => [l.shortUrl, l.externalId])).toEqual([[shortUrl, 'r2']]);

    // ---- the kill switch stops it: the API lists the switch and refuses a draw
    await page.getByTestId('kill-switch').click();
    await page.locator('.ant-popconfirm').getByRole('button', { name: /^(OK|Yes|确定)$/ }).click();
    await expect.poll(async () => (await api.get<{ items: { type: string; id: string }[] }>('/v1/kill-switches')).items.some((k) => k.type === 'lottery' && k.id === lottery.id), WAIT).toBe(true);
    await api.post(`/v1/lotteries/${lottery.id}/chances`, { externalId: 'r1', amount: 1, reason: 'e2e' });
    const refused = await api.post(`/v1/lotteries/${lottery.id}/draw`, { externalId: 'r1' }).then(() => 'drawn', (e: Error) => e.message);
    expect(refused).toContain('"code":"killed"');
    await page.goto(`${server.baseUrl}/rewards/alerts`);
    await expect.poll(() => page.getByTestId('kill-table').textContent(), WAIT).toContain(lottery.id);

    // ---- H5 page: the issued link is listed; the limits typed are the API's
    await page.goto(`${server.baseUrl}/rewards/h5`);
    await expect.poll(() => page.getByTestId('h5-links').textContent(), WAIT).toContain(shortUrl);
    await numberInput('h5-per-device').fill('7');
    await page.getByTestId('h5-settings-save').click();
    await expect.poll(async () => (await api.get<{ perDevicePerMinute: number }>('/v1/h5/settings')).perDevicePerMinute, WAIT).toBe(7);

    // ---- a budget top-up by the admin moves the API's remaining by the amount
    const campaign = await api.post<{ id: string }>('/v1/campaigns', {
      name: 'Budgeted', goal: 'activation', startAt: new Date(now - hour).toISOString(), endAt: new Date(now + 24 * hour).toISOString(), budget: { amount: 100000 },
    });
    const before = await api.get<Budget>(`/v1/campaigns/${campaign.id}/budget`);
    await page.goto(`${server.baseUrl}/rewards/budgets?campaign=${campaign.id}`);
    await numberInput('topup-amount').fill('250.50');
    await page.getByTestId('topup-reason').fill('Double 11 traffic');
    await page.getByTestId('topup-submit').click();
    await expect.poll(async () => (await api.get<Budget>(`/v1/campaigns/${campaign.id}/budget`)).remaining, WAIT).toBe(before.remaining + 25050);
    await expect.poll(() => page.getByTestId('budget-ledger').textContent(), WAIT).toContain('Double 11 traffic');
    await page.screenshot({ path: join(resultsDir, 'rewards-budget.png'), fullPage: true });

    // ---- referrals: r1 invited r2 who invited r3; the page's tree is the API's downline
    const code1 = (await api.post<{ code: string }>('/v1/referrals/codes', { externalId: 'r1' })).code;
    const code2 = (await api.post<{ code: string }>('/v1/referrals/codes', { externalId: 'r2' })).code;
    await api.post('/v1/referrals/bind', { externalId: 'r2', code: code1 });
    await api.post('/v1/referrals/bind', { externalId: 'r3', code: code2 });
    const downline = await api.get<{ count: number; items: { externalId: string }[] }>('/v1/referrals/r1/downline?depth=3');
    await page.goto(`${server.baseUrl}/rewards/referrals?externalId=r1`);
    const tree = page.getByTestId('downline-tree');
    await tree.waitFor();
    for (const it of downline.items) await expect.poll(() => tree.textContent(), WAIT).toContain(it.externalId);
    expect(downline.count).toBe(2);
    const top = await api.get<{ items: { externalId: string; invitees: number }[] }>('/v1/referrals/top');
    await expect.poll(() => page.getByTestId('top-inviters').locator('tbody tr').count(), WAIT).toBe(top.items.length);
    expect(pageErrors).toEqual([]);
  });
});
