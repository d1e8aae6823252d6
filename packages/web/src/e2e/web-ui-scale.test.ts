import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, openBrowser, openPage, screenshot } from './browser.js';
import { startUiServer, type UiServer } from './ui-server.js';

// Time to first render of each page with 1,000 versions of one model and a year of hourly
// windows on the endpoint. Filling takes minutes on a busy machine, so it runs when asked:
// PLUMB_WEB_SCALE=1 npx vitest run packages/web/src/e2e/web-ui-scale.test.ts
const SCALE = { versions: 1000, hours: 365 * 24 };

describe.skipIf(!process.env.PLUMB_WEB_SCALE)('web UI at scale', () => {
  let server: UiServer;
  let browser: Browser;
  let page: Page;
  const timings: Record<string, number> = {};

  beforeAll(async () => {
    server = await startUiServer(SCALE);
    browser = await openBrowser();
    page = browser.page;
    // A year of windows is merged on the first read: allow it more than the default 30 s.
    page.setDefaultTimeout(120_000);
    await page.goto(server.url);
    await page.getByLabel('API key').fill(server.keys.approver);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('nav').getByText('Sign out').waitFor();
  }, 900_000);

  afterAll(async () => {
    console.log(`filled in ${Math.round(server?.fillMs ?? 0)} ms; time to first render (ms):`, timings);
    await browser?.close();
    await server?.t.dispose();
  });

  const PAGES: [name: string, path: string, ready: string][] = [
    ['inventory', '/', '[data-testid=inventory] tbody tr'],
    ['model-1000-versions', '/models/ranker', '[data-testid=versions] tbody tr'],
    ['model', '/models/weather', '[data-testid=versions] tbody tr'],
    ['datasets', '/datasets', '[data-testid=datasets] tbody tr'],
    ['dataset', '/datasets/weather', '[data-testid=profile-temp_max]'],
    ['endpoints', '/endpoints', '[data-testid=endpoints] tbody tr'],
    ['endpoint', '/endpoints/weather-api', '.split-bar'],
    ['endpoint-drift-year', '/endpoints/weather-api?range=1y', '[data-testid=drift-chart] canvas'],
    ['audit', '/audit', '[data-testid=audit] tbody tr'],
  ];

  for (const [name, path, ready] of PAGES) {
    it(`renders ${name}`, async () => {
      await browser.settle();
      timings[name] = Math.round(await openPage(page, `${server.url}${path}`, ready));
      await browser.settle();
      await screenshot(page, `scale-${name}`);
      expect(await browser.takeProblems()).toEqual([]);
    }, 240_000);
  }
});
