import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { onTestFailed } from 'vitest';
import { apiClient, type ApiClient } from './api.ts';
import { launchChromium } from './browser.ts';
import { ensureConsoleBuilt, repoRoot, startServer, type RunningServer } from './server.ts';

/** Screenshots and the campaign report image land here (a CI artifact). */
export const resultsDir = join(repoRoot, 'test-results');

/**
 * One browser test file's world: the real server (`npm start`'s code on a fresh embedded
 * PostgreSQL), a new workspace with its admin key, and a Chromium page that collects the
 * page's errors. Each file seeds its own data through `api`.
 */
export interface E2EWorld {
  server: RunningServer;
  api: ApiClient;
  workspace: { apiKey: string; slug: string; name: string; timezone: string };
  browser: Browser;
  context: BrowserContext;
  page: Page;
  pageErrors: string[];
  /** Inside a test: on failure, save a screenshot as `test-results/<file>` and print the server's output and page errors. */
  reportFailure(file: string): void;
  close(): Promise<void>;
}

export async function startWorld(o: { slugPrefix: string; name: (slug: string) => string; context: BrowserContextOptions }): Promise<E2EWorld> {
  mkdirSync(resultsDir, { recursive: true });
  await ensureConsoleBuilt();
  const server = await startServer();
  let browser: Browser | undefined;
  try {
    const slug = `${o.slugPrefix}-${Date.now().toString(36)}`;
    const name = o.name(slug);
    const ws = await apiClient(server.baseUrl, server.rootKey).post<{ apiKey: string; timezone: string }>('/v1/workspaces', { name, slug });
    browser = await launchChromium();
    const context = await browser.newContext(o.context);
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    const pageErrors: string[] = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));
    const b = browser;
    return {
      server, api: apiClient(server.baseUrl, ws.apiKey), workspace: { apiKey: ws.apiKey, slug, name, timezone: ws.timezone },
      browser: b, context, page, pageErrors,
      reportFailure: (file) => onTestFailed(async () => {
        await page.screenshot({ path: join(resultsDir, file), fullPage: true }).catch(() => undefined);
        process.stderr.write(`\nServer output:\n${server.output()}\nPage errors:\n${pageErrors.join('\n')}\n`);
      }),
      close: async () => {
        await context.close();
        await b.close();
        await server.stop();
      },
    };
  } catch (err) {
    await browser?.close();
    await server.stop();
    throw err;
  }
}

/** A console user of the world's workspace, its invitation accepted over HTTP (the invite page has its own test in console.e2e). */
export async function createConsoleUser(world: E2EWorld, u: { email: string; password: string; role: string }): Promise<void> {
  const invite = await world.api.post<{ inviteToken: string }>('/v1/console-users/invite', { email: u.email, role: u.role });
  const accepted = await fetch(`${world.server.baseUrl}/v1/auth/accept-invite`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: invite.inviteToken, password: u.password }) });
  if (!accepted.ok) throw new Error(`accept-invite: ${accepted.status} ${await accepted.text()}`);
}

/** Signs in on `page` through the login form and waits for the console's shell. */
export async function signIn(page: Page, baseUrl: string, u: { email: string; password: string }): Promise<void> {
  await page.goto(`${baseUrl}/login`);
  await submitLogin(page, u);
}

/** On the login page already (reached some other way): fills the form, submits, waits for the console's shell. */
export async function submitLogin(page: Page, u: { email: string; password: string }): Promise<void> {
  await page.getByTestId('login-email').fill(u.email);
  await page.getByTestId('login-password').fill(u.password);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('workspace-name').waitFor();
}
