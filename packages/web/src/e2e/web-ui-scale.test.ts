import { monitorEventLoopDelay } from 'node:perf_hooks';
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
  /** Per page: API requests made until it rendered and settled, and the slowest of them. */
  const requests: Record<string, string> = {};
  /** The server answers on this process's event loop: its longest stall while each page loaded. */
  const stalls: Record<string, number> = {};
  const loop = monitorEventLoopDelay({ resolution: 10 });

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
    console.log('API requests per page (count; slowest, ms):', requests);
    console.log("longest stall of the server's event loop per page (ms):", stalls);
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
      await quietLoop(loop);
      browser.takeRequests();
      loop.reset();
      loop.enable();
      timings[name] = Math.round(await openPage(page, `${server.url}${path}`, ready));
      await browser.settle();
      loop.disable();
      stalls[name] = Math.round(loop.max / 1e6);
      const api = browser.takeRequests().filter((r) => new URL(r.url).pathname.startsWith('/api/'));
      const slowest = [...api].sort((a, b) => b.ms - a.ms).slice(0, 3);
      requests[name] =
        `${api.length}; ${slowest.map((r) => `${Math.round(r.ms)} ${r.method} ${new URL(r.url).pathname}${new URL(r.url).search}`).join(' | ')}`;
      await screenshot(page, `scale-${name}`);
      expect(await browser.takeProblems()).toEqual([]);
    }, 240_000);
  }
});

/**
 * Waits (at most 10 s) until the event loop has not stalled for half a second: jobs the fill left
 * queued run on this loop in the test (a served Plumb runs them in a worker thread), and a page
 * is timed on its own requests, not on theirs.
 */
async function quietLoop(loop: ReturnType<typeof monitorEventLoopDelay>): Promise<void> {
  for (let i = 0; i < 20; i++) {
    loop.reset();
    loop.enable();
    await new Promise((resolve) => setTimeout(resolve, 500));
    loop.disable();
    if (loop.max / 1e6 < 50) return;
  }
}
