import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient } from './support/api.ts';
import { chooseOption, statisticNumber } from './support/browser.ts';
import type { RunningServer } from './support/server.ts';
import { createConsoleUser, resultsDir, signIn, startWorld, type E2EWorld } from './support/world.ts';

/**
 * The reach console end to end: an operator builds a recurring SMS task in the task wizard
 * (channel → template → audience with its count → "every Monday 09:00" from the cron presets)
 * and sees its summary and next three run times, which must be exactly what
 * POST /v1/schedules/preview answers for the same schedule; the task the wizard creates carries
 * that schedule, and its card on the campaign page shows the same runs. Nothing expected is
 * written down here: every number and time is read from the API.
 */
const WAIT = { timeout: 60_000, interval: 250 };

interface Preview { summary: string; summaryZh?: string; nextRuns: string[] }

/** `YYYY-MM-DD HH:mm` on the wall clock of `timeZone`, computed here independently of the console. */
function wallClock(iso: string, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(new Date(iso));
  const get = (type: string) => parts.find((x) => x.type === type)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}`;
}

describe('reach console', () => {
  let server: RunningServer;
  let world: E2EWorld;
  let page: Page;
  let api: ApiClient;
  let timezone: string;
  let campaignId: string;
  let segmentName: string;
  let segmentCount: number;
  let pageErrors: string[];
  const email = 'reach@e2e.example';
  const password = 'correct-horse-43';

  beforeAll(async () => {
    world = await startWorld({ slugPrefix: 'reach', name: (slug) => `Reach ${slug}`, context: { locale: 'en-US', viewport: { width: 1440, height: 1000 } } });
    ({ server, api, page, pageErrors } = world);
    const ws = world.workspace;
    timezone = ws.timezone;

    const users = Array.from({ length: 9 }, (_, i) => ({ externalId: `r-${i}`, phone: `1370000${String(i).padStart(4, '0')}`, attributes: { city: i < 6 ? 'Suzhou' : 'Wuxi', name: `Chen ${i}` } }));
    await api.post('/v1/users', { users });
    segmentName = 'Suzhou';
    const seg = await api.post<{ id: string }>('/v1/segments', { name: segmentName, definition: { all: [{ attr: 'city', op: 'eq', value: 'Suzhou' }] }, refresh: 'daily' });
    // expect.poll works only inside a test: wait for the segment by hand.
    for (let i = 0; (await api.get<{ status: string }>(`/v1/segments/${seg.id}`)).status !== 'ready'; i++) {
      if (i > 240) throw new Error('segment not ready after 60 s');
      await new Promise((r) => setTimeout(r, 250));
    }
    segmentCount = (await api.get<{ count: number }>(`/v1/segments/${seg.id}`)).count;
    await api.post('/v1/templates', { name: 'Weekly digest', channel: 'sms', content: { signature: 'Reach Shop', body: 'Hi {{ user.name }}, this week: {{ "https://shop.example/week" | track }}' } });
    const now = Date.now();
    const campaign = await api.post<{ id: string }>('/v1/campaigns', { name: 'Weekly', goal: 'retention', startAt: new Date(now).toISOString(), endAt: new Date(now + 60 * 86_400_000).toISOString() });
    campaignId = campaign.id;

    await createConsoleUser(world, { email, password, role: 'admin' });

  }, 600_000); // a console build and a server start on a shared 2-core machine can take minutes

  afterAll(async () => {
    await world?.close();
  });

  it('creates a recurring SMS task in the wizard and shows the next three runs the server computes', async () => {
    world.reportFailure('reach-failure.png');

    await signIn(page, server.baseUrl, { email, password });

    // ---- the wizard, step by step
    await page.goto(`${server.baseUrl}/campaigns/${campaignId}`);
    await page.getByTestId('add-task').click();
    await page.waitForURL(/\/tasks\/new$/);
    await page.getByTestId('task-name').fill('Monday digest');
    await page.getByTestId('wizard-next').click();

    const step = (name: string) => page.locator(`[data-step="${name}"]`);
    await chooseOption(page, step('template').getByTestId('task-template'), 'Weekly digest (v1)');
    await page.getByTestId('wizard-next').click();

    await chooseOption(page, step('audience').getByTestId('task-segment'), `${segmentName} (${segmentCount})`);
    await expect.poll(() => statisticNumber(page.getByTestId('audience-count')), WAIT).toBe(segmentCount);
    await page.getByTestId('wizard-next').click();

    await page.getByTestId('schedule-type').getByText('Recurring', { exact: true }).click();
    await page.getByTestId('cron-preset-monday9').click();
    await expect.poll(() => page.getByTestId('cron-input').inputValue(), WAIT).toBe('0 9 * * 1');

    // ---- what the wizard shows = what the server answers for the same schedule
    const schedule = { type: 'recurring', cron: '0 9 * * 1' };
    const expected = await api.post<Preview>('/v1/schedules/preview', { schedule });
    expect(expected.nextRuns).toHaveLength(3);
    const shownRuns = () => page.locator('[data-step="schedule"] [data-testid="next-run"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-iso')));
    await expect.poll(shownRuns, WAIT).toEqual(expected.nextRuns);
    const shownText = await page.locator('[data-step="schedule"] [data-testid="next-run"]').allTextContents();
    expect(shownText.map((s) => s.trim())).toEqual(expected.nextRuns.map((iso) => wallClock(iso, timezone)));
    expect(await page.locator('[data-step="schedule"]').getByTestId('schedule-summary').textContent()).toBe(expected.summary);
    // Each run is a Monday at 09:00 on the workspace's wall clock, a week apart, in the future.
    for (const iso of expected.nextRuns) {
      const weekday = new Intl.DateTimeFormat('en-US', { timeZone: timezone, weekday: 'short' }).format(new Date(iso));
      expect(`${weekday} ${wallClock(iso, timezone).slice(11)}`).toBe('Mon 09:00');
      expect(new Date(iso).getTime()).toBeGreaterThan(Date.now());
    }
    await page.screenshot({ path: join(resultsDir, 'reach-wizard-schedule.png'), fullPage: true });

    // ---- the builder writes other crons too: every day 08:30 (server preview again)
    await page.getByTestId('cron-input').fill('30 8 * * *');
    const daily = await api.post<Preview>('/v1/schedules/preview', { schedule: { type: 'recurring', cron: '30 8 * * *' } });
    await expect.poll(shownRuns, WAIT).toEqual(daily.nextRuns);
    await page.getByTestId('cron-preset-monday9').click();
    await expect.poll(shownRuns, WAIT).toEqual(expected.nextRuns);

    await page.getByTestId('wizard-next').click();
    await page.getByTestId('task-create').click();
    await page.waitForURL(new RegExp(`/campaigns/${campaignId}$`));

    // ---- the created task carries the schedule, and its card shows the same runs
    const campaign = await api.get<{ tasks: { id: string; name: string; channel: string; schedule: unknown; audience: { segmentId: string } }[] }>(`/v1/campaigns/${campaignId}`);
    expect(campaign.tasks).toHaveLength(1);
    expect(campaign.tasks[0]).toMatchObject({ name: 'Monday digest', channel: 'sms', schedule });
    const card = page.locator(`[data-testid="task-report"][data-task-id="${campaign.tasks[0]!.id}"]`);
    const again = await api.post<Preview>('/v1/schedules/preview', { schedule: campaign.tasks[0]!.schedule });
    await expect.poll(() => card.getByTestId('next-run').evaluateAll((els) => els.map((e) => e.getAttribute('data-iso'))), WAIT).toEqual(again.nextRuns);
    expect(await card.getByTestId('schedule-summary').textContent()).toBe(again.summary);
    await page.screenshot({ path: join(resultsDir, 'reach-task-card.png'), fullPage: true });

    expect(pageErrors).toEqual([]);
  });

  it('message log with reasons, SMS preview with cost and opt-out, review by a second person, delivery policy and providers', async () => {
    world.reportFailure('reach-failure-2.png');

    // ---- a "now" task through the API; r-1 is blacklisted, so its message is suppressed with that reason
    await api.post('/v1/blacklist', { externalIds: ['r-1'] });
    const templates = (await api.get<{ items: { id: string; name: string }[] }>('/v1/templates?channel=sms')).items;
    const digest = templates.find((x) => x.name === 'Weekly digest')!;
    const segments = (await api.get<{ items: { id: string; name: string }[] }>('/v1/segments')).items;
    const now = Date.now();
    const blast = await api.post<{ id: string }>('/v1/campaigns', { name: 'Blast', goal: 'activation', startAt: new Date(now).toISOString(), endAt: new Date(now + 7 * 86_400_000).toISOString() });
    const task = await api.post<{ id: string }>(`/v1/campaigns/${blast.id}/tasks`, { name: 'Now', channel: 'sms', templateId: digest.id, audience: { segmentId: segments.find((x) => x.name === segmentName)!.id }, schedule: { type: 'now' } });
    await api.post(`/v1/campaigns/${blast.id}/submit`);
    await api.post(`/v1/campaigns/${blast.id}/approve`);
    await expect.poll(async () => { const r = await api.get<{ targeted: number; sent: number; suppressed: Record<string, number> }>(`/v1/tasks/${task.id}/report`); return r.targeted > 0 && r.sent + r.suppressed.blacklisted === r.targeted; }, WAIT).toBe(true);
    const logOf = async (id: string) => (await api.get<{ items: { status: string; reason: string | null }[] }>(`/v1/users/${id}/messages`)).items;
    const r1 = await logOf('r-1');
    expect(r1).toEqual([expect.objectContaining({ status: 'suppressed', reason: 'blacklisted' })]);

    await page.getByTestId('side-menu').getByText('Message log', { exact: true }).click();
    await page.getByTestId('messages-search').locator('input').fill('r-1');
    await page.getByTestId('messages-search').locator('input').press('Enter');
    await expect.poll(() => page.getByTestId('messages-table').locator('tr.ant-table-row').count(), WAIT).toBe(r1.length);
    expect(await page.getByTestId('message-reason').first().textContent()).toBe('Blacklisted');
    await page.getByTestId('messages-search').locator('input').fill('r-0');
    await page.getByTestId('messages-search').locator('input').press('Enter');
    const r0 = await logOf('r-0');
    await expect.poll(() => page.getByTestId('messages-table').locator('tr.ant-table-row [data-status]').evaluateAll((els) => els.map((e) => e.getAttribute('data-status'))), WAIT).toEqual(r0.map((m) => m.status));
    await page.screenshot({ path: join(resultsDir, 'reach-message-log.png'), fullPage: true });

    // ---- providers: a sandbox SMS provider with a unit price; credentials and prices read back from the API
    await page.goto(`${server.baseUrl}/settings?tab=providers`);
    await page.getByTestId('provider-add').click();
    const modal = page.locator('.ant-modal:visible');
    await modal.getByTestId('provider-name').fill('SMS sandbox priced');
    await modal.getByTestId('provider-unit-price').fill('5');
    await modal.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.getByTestId('providers').locator('tr.ant-table-row').count(), WAIT).toBe(1);
    const providers = (await api.get<{ items: { name: string; channel: string; type: string; settings: { unitPrice?: number } }[] }>('/v1/providers')).items;
    expect(providers).toEqual([expect.objectContaining({ name: 'SMS sandbox priced', channel: 'sms', type: 'sandbox', settings: { unitPrice: 5 } })]);

    // ---- delivery policy: what the page saves is what the API reads back
    await page.goto(`${server.baseUrl}/settings?tab=delivery`);
    await page.getByTestId('cap-global-max').fill('3');
    await page.getByTestId('cap-global-days').fill('7');
    await page.getByTestId('cap-sms-max').fill('1');
    await page.getByTestId('cap-sms-days').fill('1');
    await page.getByTestId('quiet-on').click();
    await page.getByTestId('policy-save').click();
    await expect.poll(async () => (await api.get<{ updatedAt: string | null }>('/v1/policies/delivery')).updatedAt, WAIT).not.toBeNull();
    const policy = await api.get<{ global: unknown; channels: unknown; quietHours: unknown }>('/v1/policies/delivery');
    expect(policy).toMatchObject({ global: { maxPerUser: 3, perDays: 7 }, channels: { sms: { maxPerUser: 1, perDays: 1 } }, quietHours: { start: '21:00', end: '09:00' } });
    await page.screenshot({ path: join(resultsDir, 'reach-delivery-policy.png'), fullPage: true });

    // ---- template review on: an SMS template written in the editor, previewed with its cost
    await api.patch('/v1/workspace', { requireTemplateReview: true });
    await page.goto(`${server.baseUrl}/templates/new?channel=sms`);
    await page.getByTestId('template-name').fill('Review me');
    await page.getByTestId('template-signature').fill('Reach Shop');
    await page.getByTestId('template-body').fill('Hi {{ user.name }}, new arrivals: {{ "https://shop.example/new" | track }}');
    await page.getByTestId('template-save').click();
    await page.waitForURL(/\/templates\/(?!new)[^/?]+$/);
    const templateId = page.url().split('/').pop() ?? '';
    await page.getByTestId('preview-user').locator('input').fill('r-0');
    await page.getByTestId('preview-user').locator('input').press('Enter');
    const render = await api.post<{ rendered: { text: string }; smsSegments: number; smsCost: { total: number; unitPrice: number } }>(`/v1/templates/${templateId}/render`, { externalId: 'r-0' });
    const optOut = (await api.get<{ smsOptOut: string }>('/v1/policies/delivery')).smsOptOut;
    expect(render.rendered.text).toContain(optOut);
    expect(render.smsCost.unitPrice).toBe(5);
    expect(render.smsCost.total).toBe(render.smsSegments * 5);
    await expect.poll(() => page.getByTestId('rendered-text').textContent(), WAIT).toBe(render.rendered.text);
    expect(Number(await page.getByTestId('sms-cost').getAttribute('data-total'))).toBe(render.smsCost.total);
    expect(Number(await page.getByTestId('sms-segments').textContent())).toBe(render.smsSegments);

    const reviewStatus = () => page.getByTestId('template-review-status').getAttribute('data-status');
    await expect.poll(reviewStatus, WAIT).toBe('draft');
    await page.getByTestId('template-submit').click();
    await expect.poll(reviewStatus, WAIT).toBe('pending_review');
    await page.screenshot({ path: join(resultsDir, 'reach-template-review.png'), fullPage: true });

    // ---- a second person (approver) approves in their own session
    const approverEmail = 'approver@e2e.example';
    await createConsoleUser(world, { email: approverEmail, password, role: 'approver' });
    const approverContext = await world.browser.newContext({ locale: 'en-US', viewport: { width: 1440, height: 1000 } });
    try {
      const ap = await approverContext.newPage();
      ap.setDefaultTimeout(20_000);
      ap.on('pageerror', (err) => pageErrors.push(err.message));
      await signIn(ap, server.baseUrl, { email: approverEmail, password });
      await ap.goto(`${server.baseUrl}/templates/${templateId}`);
      await ap.getByTestId('template-approve').click();
      await expect.poll(() => ap.getByTestId('template-review-status').getAttribute('data-status'), WAIT).toBe('approved');
      const approved = await api.get<{ status: string; version: number; approvedVersion: number | null }>(`/v1/templates/${templateId}`);
      expect(approved).toMatchObject({ status: 'approved', approvedVersion: approved.version });
      expect(await ap.getByTestId('approved-version').textContent()).toBe(`v${approved.version}`);

      // a new version goes back to draft; submitted and rejected with a reason, the approved version stays
      await page.reload();
      await page.getByTestId('template-body').fill('Hi {{ user.name }}, last call: {{ "https://shop.example/new" | track }}');
      await page.getByTestId('template-save').click();
      await expect.poll(reviewStatus, WAIT).toBe('draft');
      await page.getByTestId('template-submit').click();
      await expect.poll(reviewStatus, WAIT).toBe('pending_review');
      await ap.reload();
      await ap.getByTestId('template-reject').click();
      await ap.getByTestId('template-reject-reason').fill('Too pushy');
      await ap.locator('.ant-modal:visible').getByRole('button', { name: 'Reject' }).click();
      await expect.poll(() => ap.getByTestId('template-review-status').getAttribute('data-status'), WAIT).toBe('rejected');
      const rejected = await api.get<{ status: string; version: number; approvedVersion: number | null; reviewNote: string | null }>(`/v1/templates/${templateId}`);
      expect(rejected).toMatchObject({ status: 'rejected', version: approved.version + 1, approvedVersion: approved.version, reviewNote: 'Too pushy' });
      expect(await ap.getByTestId('review-note').textContent()).toBe('Too pushy');
      const versions = (await api.get<{ items: unknown[] }>(`/v1/templates/${templateId}/versions`)).items;
      await expect.poll(() => ap.getByTestId('template-versions').locator('tr.ant-table-row').count(), WAIT).toBe(versions.length);
      await ap.screenshot({ path: join(resultsDir, 'reach-template-rejected.png'), fullPage: true });
    } finally {
      await approverContext.close();
    }

    expect(pageErrors).toEqual([]);
  });
});
