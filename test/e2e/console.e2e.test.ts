import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient } from './support/api.ts';
import { chooseOption, statisticNumber } from './support/browser.ts';
import type { RunningServer } from './support/server.ts';
import { resultsDir, startWorld, type E2EWorld } from './support/world.ts';

/**
 * The console end to end, against the real server: an invited operator signs in, builds a
 * segment (live count = the API's preview), writes an SMS template with a tracked link (preview
 * = the API's render), launches a campaign task and watches its report reach the real send and
 * click numbers. Every expected number is read from the API, never written down here.
 */
const WAIT = { timeout: 90_000, interval: 500 };

interface Preview { count: number; sample: string[] }
interface Render { rendered: { text: string }; smsSegments: number; smsEncoding: string; smsCharacters: number }
interface TaskReport { targeted: number; sent: number; clicked: number; suppressed: Record<string, number> }
interface OutboxItem { messageId: string; externalId: string; to: string; rendered: { text: string }; taskId: string }

describe('console', () => {
  let server: RunningServer;
  let world: E2EWorld;
  let page: Page;
  let api: ApiClient;
  let workspaceName: string;
  let inviteUrl: string;
  let pageErrors: string[];
  const email = 'ops@e2e.example';
  const password = 'correct-horse-42';

  beforeAll(async () => {
    world = await startWorld({ slugPrefix: 'e2e', name: (slug) => `E2E Shop ${slug.slice(4)}`, context: { locale: 'en-US', viewport: { width: 1440, height: 960 } } });
    ({ server, api, page, pageErrors } = world);
    const ws = world.workspace;
    workspaceName = ws.name;

    // 14 in Hangzhou (12 with a phone), 6 in Shanghai; one Hangzhou buyer paid two days ago.
    const users = [
      ...Array.from({ length: 14 }, (_, i) => ({
        externalId: `hz-${String(i).padStart(2, '0')}`,
        ...(i < 12 ? { phone: `1380013${String(i).padStart(4, '0')}` } : {}),
        attributes: { city: 'Hangzhou', name: `Li ${i}`, tier: i % 3 },
      })),
      ...Array.from({ length: 6 }, (_, i) => ({ externalId: `sh-${String(i).padStart(2, '0')}`, phone: `1390021${String(i).padStart(4, '0')}`, attributes: { city: 'Shanghai', name: `Wang ${i}` } })),
    ];
    expect(await api.post('/v1/users', { users })).toEqual({ upserted: users.length });
    const twoDaysAgo = new Date(Date.now() - 2 * 86_400_000).toISOString();
    await api.post('/v1/events', { events: [
      { externalId: 'hz-01', name: 'order_paid', timestamp: twoDaysAgo, properties: { orderId: 'e2e-1', amount: 12900 } },
      { externalId: 'hz-00', name: 'page_view', properties: { url: '/sale' } },
    ] });

    const invite = await api.post<{ inviteUrl: string }>('/v1/console-users/invite', { email, role: 'admin', name: 'Ops' });
    inviteUrl = invite.inviteUrl;

  });

  afterAll(async () => {
    await world?.close();
  });

  it('accepts the invite, builds a segment, previews a template, launches a task and reports sends and clicks', async () => {
    world.reportFailure('failure.png');

    // ---- the served console: SPA fallback, then accept the invitation in the page
    expect(inviteUrl.startsWith(`${server.baseUrl}/accept-invite?token=`)).toBe(true);
    await page.goto(inviteUrl);
    await page.getByTestId('invite-password').fill(password);
    await page.getByTestId('invite-confirm').fill(password);
    await page.getByTestId('invite-submit').click();
    await page.getByTestId('go-login').click();
    await page.waitForURL(/\/login$/);

    // ---- a wrong password shows the API's message and stays on /login
    await page.getByTestId('login-email').fill(email);
    await page.getByTestId('login-password').fill('not-the-password');
    await page.getByTestId('login-submit').click();
    await expect.poll(() => page.getByTestId('error-alert').textContent(), WAIT).toContain('Wrong email or password');

    await page.getByTestId('login-password').fill(password);
    await page.getByTestId('login-submit').click();
    await expect.poll(() => page.getByTestId('workspace-name').textContent(), WAIT).toBe(workspaceName);

    // ---- home: the counts of GET /v1/overview
    const overview = await api.get<{ users: number }>('/v1/overview');
    await expect.poll(() => statisticNumber(page.getByTestId('stat-users')), WAIT).toBe(overview.users);

    // ---- segment builder with a live count equal to the API's preview
    await page.getByTestId('side-menu').getByText('Segments', { exact: true }).click();
    await page.getByTestId('new-segment').click();
    await page.getByTestId('segment-name').fill('Hangzhou, no order in 30 days');
    await page.getByTestId('cond-0-attr').locator('input').fill('city');
    await page.getByTestId('cond-0-value').fill('Hangzhou');
    const cityOnly = { all: [{ attr: 'city', op: 'eq', value: 'Hangzhou' }] };
    const cityCount = (await api.post<Preview>('/v1/segments/preview', { definition: cityOnly })).count;
    const liveCount = async () => {
      const el = page.getByTestId('live-count');
      return (await el.getAttribute('data-state')) === 'ready' ? statisticNumber(el) : NaN;
    };
    await expect.poll(liveCount, WAIT).toBe(cityCount);

    await page.getByTestId('add-event').click();
    await page.getByTestId('cond-1-event').locator('input').fill('order_paid');
    await page.keyboard.press('Escape');
    await chooseOption(page, page.getByTestId('cond-1-mode').locator('.ant-select'), 'did not');
    await page.getByTestId('cond-1-days').fill('30');
    const definition = { all: [...cityOnly.all, { event: 'order_paid', window: { lastDays: 30 }, count: { op: 'eq', value: 0 } }] };
    const expectedCount = (await api.post<Preview>('/v1/segments/preview', { definition })).count;
    expect(expectedCount).toBeLessThan(cityCount); // the buyer drops out, so the edit is visible
    await expect.poll(liveCount, WAIT).toBe(expectedCount);
    await page.screenshot({ path: join(resultsDir, 'segment-builder.png'), fullPage: true });

    await page.getByTestId('segment-save').click();
    await page.waitForURL(/\/segments\/(?!new$)[^/]+$/);
    const segmentId = page.url().split('/').pop() ?? '';
    const segmentCount = page.getByTestId('segment-count');
    await expect.poll(async () => ((await segmentCount.getAttribute('data-status')) === 'ready' ? statisticNumber(segmentCount) : NaN), WAIT).toBe(expectedCount);
    const members = (await api.get<{ items: string[] }>(`/v1/segments/${segmentId}/members?limit=1000`)).items;
    expect(members).toHaveLength(expectedCount);
    await expect.poll(() => page.getByTestId('segment-member').count(), WAIT).toBe(members.length);
    const profiles = await Promise.all(members.map((id) => api.get<{ phone: string | null }>(`/v1/users/${encodeURIComponent(id)}`)));
    const withPhone = profiles.filter((u) => u.phone).length;

    // ---- SMS template: a Liquid error lands on the body field; then a tracked link and its preview
    await page.getByTestId('side-menu').getByText('Templates', { exact: true }).click();
    await page.getByTestId('new-template').click();
    await page.getByTestId('template-name').fill('Autumn sale SMS');
    await page.getByTestId('template-signature').fill('E2E Shop');
    await page.getByTestId('template-body').fill('Hi {{ user.name ');
    await page.getByTestId('template-save').click();
    await expect.poll(() => page.locator('.ant-form-item-has-error').filter({ has: page.getByTestId('template-body') }).count(), WAIT).toBe(1);
    await page.getByTestId('template-body').fill('Hi {{ user.name }}, autumn sale 20% off: {{ "https://shop.example/sale?src=sms" | track }}');
    await page.getByTestId('template-save').click();
    await page.waitForURL(/\/templates\/(?!new$)[^/]+$/);
    const templateId = page.url().split('/').pop() ?? '';
    await page.getByTestId('preview-user').locator('input').fill(members[0]!);
    await page.getByTestId('preview-user').locator('input').press('Enter');
    const render = await api.post<Render>(`/v1/templates/${templateId}/render`, { externalId: members[0] });
    await expect.poll(() => page.getByTestId('rendered-text').textContent(), WAIT).toBe(render.rendered.text);
    expect(render.rendered.text).toMatch(/\/l\/\w+/);
    expect(Number(await page.getByTestId('sms-segments').textContent())).toBe(render.smsSegments);
    expect(await page.getByTestId('sms-encoding').textContent()).toBe(render.smsEncoding);
    expect(Number(await page.getByTestId('sms-characters').textContent())).toBe(render.smsCharacters);
    await page.screenshot({ path: join(resultsDir, 'template-preview.png'), fullPage: true });

    // ---- campaign with a "now" task, submitted and approved in the page
    await page.getByTestId('side-menu').getByText('Campaigns', { exact: true }).click();
    await page.getByTestId('new-campaign').click();
    await page.getByTestId('campaign-name').fill('Autumn sale');
    await page.getByTestId('campaign-save').click();
    await page.waitForURL(/\/campaigns\/(?!new$)[^/]+$/);
    const campaignUrl = page.url();
    const status = () => page.getByTestId('campaign-status').getAttribute('data-status');
    await expect.poll(status, WAIT).toBe('draft');

    // the task wizard: channel (SMS by default) → template → audience → schedule (now) → caps → create
    await page.getByTestId('add-task').click();
    await page.waitForURL(/\/tasks\/new$/);
    await page.getByTestId('task-name').fill('SMS blast');
    await page.getByTestId('wizard-next').click();
    await chooseOption(page, page.locator('[data-step="template"]').getByTestId('task-template'), 'Autumn sale SMS (v1)');
    await page.getByTestId('wizard-next').click();
    await chooseOption(page, page.locator('[data-step="audience"]').getByTestId('task-segment'), `Hangzhou, no order in 30 days (${expectedCount})`);
    await expect.poll(() => statisticNumber(page.getByTestId('audience-count')), WAIT).toBe(expectedCount);
    await page.getByTestId('wizard-next').click();
    await page.getByTestId('wizard-next').click();
    await page.getByTestId('task-create').click();
    await page.waitForURL(campaignUrl);
    const report = page.getByTestId('task-report');
    await expect.poll(() => report.count(), WAIT).toBe(1);
    const taskId = (await report.getAttribute('data-task-id')) ?? '';

    await page.getByTestId('action-submit').click();
    await expect.poll(status, WAIT).toBe('pending_approval');
    await page.getByTestId('action-approve').click();
    await expect.poll(status, WAIT).toMatch(/^(approved|running)$/);

    // ---- the report follows the worker: sent = members with a phone
    const metric = (name: string) => statisticNumber(report.locator(`[data-metric="${name}"]`));
    await expect.poll(() => metric('sent'), WAIT).toBe(withPhone);
    const apiReport = await api.get<TaskReport>(`/v1/tasks/${taskId}/report`);
    expect(apiReport.sent).toBe(withPhone);
    await expect.poll(() => metric('targeted'), WAIT).toBe(apiReport.targeted);
    expect(await metric('suppressed')).toBe(Object.values(apiReport.suppressed).reduce((a, b) => a + b, 0));
    expect(await metric('clicked')).toBe(0);

    // ---- one recipient follows the short link: clicked = 1
    const outbox = (await api.get<{ items: OutboxItem[] }>(`/v1/sandbox/outbox?taskId=${taskId}&limit=1000`)).items;
    expect(outbox).toHaveLength(withPhone);
    const link = /(https?:\/\/\S+\/l\/\w+)/.exec(outbox[0]!.rendered.text)?.[1];
    expect(link).toBeDefined();
    const click = await fetch(link!, { redirect: 'manual' });
    expect(click.status).toBe(302);
    expect(click.headers.get('location')).toMatch(/^https:\/\/shop\.example\/sale\?src=sms/);
    await expect.poll(() => metric('clicked'), WAIT).toBe(1);
    expect((await api.get<TaskReport>(`/v1/tasks/${taskId}/report`)).clicked).toBe(1);
    await page.screenshot({ path: join(resultsDir, 'campaign-report.png'), fullPage: true });

    // ---- users: prefix search and the clicked recipient's profile, message and timeline
    await page.getByTestId('side-menu').getByText('Users', { exact: true }).click();
    await page.getByTestId('users-search').locator('input').fill('hz-0');
    await page.getByTestId('users-search').locator('input').press('Enter');
    const found = (await api.get<{ items: unknown[] }>('/v1/users?q=hz-0')).items.length;
    expect(found).toBeGreaterThan(1);
    await expect.poll(() => page.locator('.ant-table-tbody tr.ant-table-row').count(), WAIT).toBe(found);
    const clicker = outbox[0]!.externalId;
    await page.goto(`${server.baseUrl}/users/${encodeURIComponent(clicker)}`);
    const profile = await api.get<{ orderCount: number }>(`/v1/users/${encodeURIComponent(clicker)}`);
    await expect.poll(() => page.getByTestId('profile-order-count').textContent(), WAIT).toBe(String(profile.orderCount));
    const events = (await api.get<{ items: { name: string }[] }>(`/v1/users/${encodeURIComponent(clicker)}/events?limit=100`)).items;
    expect(events.map((e) => e.name)).toContain('$link_clicked');
    await expect.poll(() => page.locator('.ant-timeline-item').count(), WAIT).toBe(events.length);
    await page.getByRole('tab', { name: 'Messages' }).click();
    const messages = (await api.get<{ items: unknown[] }>(`/v1/users/${encodeURIComponent(clicker)}/messages`)).items;
    expect(messages).toHaveLength(1);
    await expect.poll(() => page.locator('.ant-table-tbody tr.ant-table-row:visible').count(), WAIT).toBe(messages.length);

    // ---- settings: console users and a new invitation link
    await page.getByTestId('side-menu').getByText('Settings', { exact: true }).click();
    await expect.poll(() => page.locator('.ant-table-tbody tr.ant-table-row').filter({ hasText: email }).count(), WAIT).toBe(1);
    await page.getByTestId('invite-email').fill('analyst@e2e.example');
    await page.getByTestId('invite-send').click();
    await expect.poll(() => page.getByTestId('invite-url').textContent(), WAIT).toMatch(new RegExp(`^${server.baseUrl}/accept-invite\\?token=\\w+`));
    const consoleUsers = (await api.get<{ items: { email: string }[] }>('/v1/console-users')).items.map((u) => u.email);
    expect(consoleUsers).toContain('analyst@e2e.example');
    await expect.poll(() => page.locator('.ant-table-tbody tr.ant-table-row').count(), WAIT).toBe(consoleUsers.length);
    await page.goto(campaignUrl);

    // ---- language switch: zh-CN labels in the menu and the report
    await chooseOption(page, page.getByTestId('lang-switch'), '简体中文');
    await expect.poll(() => page.getByTestId('side-menu').getByText('用户分群', { exact: true }).count(), WAIT).toBe(1);
    await expect.poll(() => report.locator('[data-metric="sent"] .ant-statistic-title').textContent(), WAIT).toBe('已发送');
    expect(await metric('sent')).toBe(withPhone);
    await page.screenshot({ path: join(resultsDir, 'campaign-report-zh.png'), fullPage: true });

    // ---- logout ends the session: any page then leads to /login
    await page.getByTestId('logout').click();
    await page.waitForURL(/\/login$/);
    await page.goto(`${server.baseUrl}/segments`);
    await page.waitForURL(/\/login$/);

    expect(pageErrors).toEqual([]);
  });
});
