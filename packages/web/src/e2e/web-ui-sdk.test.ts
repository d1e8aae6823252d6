import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestPlumb } from '../../../server/src/testing/test-plumb.js';
import { type Browser, openBrowser, screenshot, signIn, visit as visitPage } from './browser.js';
import type { Filled } from './fill.js';
import { startUiServer, type UiServer } from './ui-server.js';

/** More versions than one page of the model page shows, and a week of hourly windows. */
const SCALE = { versions: 60, hours: 7 * 24 };
const VERSIONS = SCALE.versions;

// The web UI in Debian's chromium against a listening server filled through the SDK with what the
// demo's loop does not make: a promotion waiting for an approver, a model with more versions than
// a page, two versions of a dataset to compare, hourly windows, a canary and a shadow. Every page
// must load without a console error, a failed request or an error answer.
describe('web UI on data filled through the SDK', { timeout: 120_000 }, () => {
  let server: UiServer;
  let t: TestPlumb;
  let url: string;
  let browser: Browser;
  let page: Page;
  let filled: Filled;
  let keys: UiServer['keys'];
  const timings: Record<string, number> = {};

  beforeAll(async () => {
    server = await startUiServer(SCALE);
    ({ t, url, filled, keys } = server);
    browser = await openBrowser();
    page = browser.page;
  }, 240_000);

  afterAll(async () => {
    console.log(`filled in ${Math.round(server?.fillMs ?? 0)} ms; time to first render (ms):`, timings);
    await browser?.close();
    await t?.dispose();
  });

  async function visit(name: string, path: string, ready: string) {
    timings[name] = await visitPage(browser, `${url}${path}`, `sdk-${name}`, ready);
  }

  async function expectClean() {
    expect(await browser.takeProblems()).toEqual([]);
  }

  it('signs in as an approver', async () => {
    await signIn(page, url, keys.approver);
    await expectClean();
  });

  it('lists every model in the inventory, filters and sorts it', async () => {
    await visit('inventory', '/', '[data-testid=inventory] tbody tr');
    const table = page.getByTestId('inventory');
    await expect.poll(() => table.locator('tbody tr').count()).toBe(2);
    await expect.poll(() => table.innerText()).toContain('weather@v1');
    await expect.poll(() => table.innerText()).toContain(`ranker@v${VERSIONS}`);
    await page.getByLabel('filter models').fill('rank');
    await expect.poll(() => table.locator('tbody tr').count()).toBe(1);
    await page.getByLabel('filter models').fill('');
    await table.getByRole('button', { name: 'Versions' }).click();
    await expect.poll(() => table.locator('tbody tr').first().innerText()).toContain('weather');
    await expectClean();
  });

  it('approves a pending promotion on the model page and shows the alias move', async () => {
    await visit('model', `/models/${filled.model}`, '[data-testid=versions] tbody tr');
    await expect.poll(() => page.getByTestId('aliases').innerText()).toContain('weather@v1');
    await expect.poll(() => page.getByTestId('eval-slices').innerText()).toContain('rain');
    await page.getByTestId('lineage').locator('.react-flow__node').first().waitFor();
    await page.getByLabel('decision comment').fill('looks good on every slice');
    await page.getByRole('button', { name: 'Approve' }).click();
    await expect.poll(() => page.getByTestId('aliases').innerText()).toContain('weather@v2');
    await expect.poll(() => page.getByTestId('promotion-requests').innerText()).toContain('approved');
    await expect.poll(() => page.getByTestId('alias-history').innerText()).toContain('v1 → v2');
    await screenshot(page, 'sdk-model-approved');
    expect((await t.call('GET', `/api/v1/models/${filled.model}`)).json().aliases.champion).toBe(
      'weather@v2',
    );
    await expectClean();
  });

  it(`opens a model with ${VERSIONS} versions a page at a time`, async () => {
    await visit('model-many-versions', `/models/${filled.bigModel}`, '[data-testid=versions] tbody tr');
    await expect.poll(() => page.getByTestId('versions').locator('tbody tr').count()).toBe(50);
    await page.getByRole('button', { name: 'Show more versions' }).click();
    await expect.poll(() => page.getByTestId('versions').locator('tbody tr').count()).toBe(VERSIONS);
    await expectClean();
  });

  it('shows datasets, a version profile, validation, the diff and rows', async () => {
    await visit('datasets', '/datasets', '[data-testid=datasets] tbody tr');
    await visit('dataset', `/datasets/${filled.dataset}`, '[data-testid=profile-temp_max]');
    await expect.poll(() => page.getByTestId('validation').innerText()).toContain('not_null');
    await expect.poll(() => page.getByTestId('diff-shift').innerText()).toContain('temp_max');
    await expect.poll(() => page.getByTestId('rows').locator('tbody tr').count()).toBe(25);
    await expect.poll(() => page.getByTestId('profile-weather').innerText()).toContain('rain');
    await expectClean();
  });

  it('draws drift over hourly windows with the threshold, traffic, performance and the open alert', async () => {
    await visit(
      'endpoint-drift',
      `/endpoints/${filled.endpoint}?range=7d`,
      '[data-testid=drift-chart] canvas',
    );
    await page.getByLabel('drift feature').selectOption('temp_max');
    await page.locator('[data-testid=drift-chart] canvas').waitFor();
    await expect.poll(() => page.getByTestId('drift-features').innerText()).toContain('temp_max');
    await expect.poll(() => page.getByTestId('alerts').innerText()).toContain('weather-drift');
    await page.getByTestId('chart-Requests').locator('canvas').waitFor();
    await screenshot(page, 'sdk-endpoint-drift');
    await expectClean();
  });
});
