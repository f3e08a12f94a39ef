import { chromium, type Browser, type Locator, type Page } from 'playwright-core';

/** Debian's Chromium, headless; never a downloaded browser. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** Opens an antd Select and picks the option whose text is exactly `label`. */
export async function chooseOption(page: Page, select: Locator, label: string): Promise<void> {
  await select.click();
  const option = page.locator('.ant-select-dropdown .ant-select-item-option:visible').filter({ hasText: new RegExp(`^${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) });
  await option.first().click();
  await page.locator('.ant-select-dropdown .ant-select-item-option:visible').first().waitFor({ state: 'hidden' });
}

/** The number an antd Statistic inside `scope` shows ("1,234" → 1234; "—" → NaN). */
export async function statisticNumber(scope: Locator): Promise<number> {
  const text = (await scope.locator('.ant-statistic-content-value').first().textContent()) ?? '';
  return Number(text.replace(/[,\s]/g, ''));
}
