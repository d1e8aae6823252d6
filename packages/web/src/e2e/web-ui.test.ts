import { writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { PlumbClient } from '@plumb/sdk';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPlumb, type TestPlumb } from '../../../server/src/testing/test-plumb.js';
import { type Browser, ensureBuilt, openBrowser, openPage, SCREENSHOTS, screenshot } from './browser.js';
import { type Filled, fill } from './fill.js';

const VERSIONS = 1000;

// The web UI in Debian's chromium against a real listening server filled through the SDK. Every
// page must load without a console error, a failed request or an error answer.
describe('web UI in a browser', () => {
  let t: TestPlumb;
  let url: string;
  let browser: Browser;
  let page: Page;
  let filled: Filled;
  let keys: { approver: string; viewer: string };
  const timings: Record<string, number> = {};

  beforeAll(async () => {
    ensureBuilt();
    t = await createTestPlumb();
    await t.plumb.app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(t.plumb.app.server.address() as AddressInfo).port}`;
    t.plumb.worker.start();
    keys = { approver: await t.keyFor('approver'), viewer: await t.keyFor('viewer') };
    const admin = new PlumbClient({ url, apiKey: t.adminSecret });
    const started = performance.now();
    filled = await fill(admin, new PlumbClient({ url, apiKey: keys.approver }), VERSIONS);
    console.log(`filled through the SDK in ${Math.round(performance.now() - started)} ms`);
    browser = await openBrowser();
    page = browser.page;
  }, 180_000);

  afterAll(async () => {
    writeFileSync(join(SCREENSHOTS, 'timings.json'), `${JSON.stringify(timings, null, 2)}\n`);
    console.log('time to first render (ms):', timings);
    await browser?.close();
    await t?.dispose();
  });

  async function visit(name: string, path: string, ready: string) {
    await browser.settle();
    timings[name] = Math.round(await openPage(page, `${url}${path}`, ready));
    await browser.settle();
    await screenshot(page, name);
  }

  async function expectClean() {
    expect(await browser.takeProblems()).toEqual([]);
  }

  async function signIn(key: string) {
    await page.goto(url);
    await page.getByLabel('API key').fill(key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('nav').getByText('Sign out').waitFor();
  }

  it('signs in with a key kept in session storage, never in a cookie', async () => {
    await page.goto(url);
    await page.getByLabel('API key').waitFor();
    await screenshot(page, 'sign-in');
    await signIn(keys.approver);
    expect(await page.evaluate(() => sessionStorage.getItem('plumb.apiKey'))).toBe(keys.approver);
    expect(await page.evaluate(() => localStorage.length)).toBe(0);
    expect(await page.evaluate(() => document.cookie)).toBe('');
    expect(await browser.context.cookies()).toEqual([]);
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
    await visit('model', `/models/${filled.model}`, '[data-testid=promotion-requests]');
    await expect.poll(() => page.getByTestId('aliases').innerText()).toContain('weather@v1');
    await expect.poll(() => page.getByTestId('eval-slices').innerText()).toContain('rain');
    await page.getByTestId('lineage').locator('.react-flow__node').first().waitFor();
    await page.getByLabel('decision comment').fill('looks good on every slice');
    await page.getByRole('button', { name: 'Approve' }).click();
    await expect.poll(() => page.getByTestId('aliases').innerText()).toContain('weather@v2');
    await expect.poll(() => page.getByTestId('promotion-requests').innerText()).toContain('approved');
    await expect.poll(() => page.getByTestId('alias-history').innerText()).toContain('v1 → v2');
    await screenshot(page, 'model-approved');
    expect((await t.call('GET', `/api/v1/models/${filled.model}`)).json().aliases.champion).toBe(
      'weather@v2',
    );
    await expectClean();
  });

  it(`opens a model with ${VERSIONS} versions a page at a time`, async () => {
    await visit('model-many-versions', `/models/${filled.bigModel}`, '[data-testid=versions] tbody tr');
    await expect.poll(() => page.getByTestId('versions').locator('tbody tr').count()).toBe(50);
    await page.getByRole('button', { name: 'Show more versions' }).click();
    await expect.poll(() => page.getByTestId('versions').locator('tbody tr').count()).toBe(100);
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

  it('follows lineage from an endpoint back to its dataset', async () => {
    await visit('endpoints', '/endpoints', '[data-testid=endpoints] tbody tr');
    await visit('endpoint', `/endpoints/${filled.endpoint}`, '[data-testid=lineage] .react-flow__node');
    await expect.poll(() => page.getByTestId('events').locator('tbody tr').count()).toBe(25);
    await expect.poll(() => page.getByTestId('shadows').innerText()).toContain('weather@v2');
    await page
      .getByTestId('lineage')
      .locator('.react-flow__node', { hasText: 'weather@v1' })
      .filter({ hasText: 'dataset' })
      .click();
    await page.waitForURL(/\/datasets\/weather\?v=1$/);
    await page.getByTestId('profile-temp_max').waitFor();
    await screenshot(page, 'lineage-to-dataset');
    await expectClean();
  });

  it('shows the audit chain, verified', async () => {
    await visit('audit', '/audit', '[data-testid=audit-verified]');
    await expect.poll(() => page.getByTestId('audit-verified').innerText()).toContain('intact');
    await page.getByLabel('action').fill('promotion.approve');
    await page.getByLabel('action').press('Enter');
    await expectClean();
  });

  it('offers a viewer nothing it may not do', async () => {
    await browser.settle();
    await page.getByText('Sign out').click();
    await signIn(keys.viewer);
    await page.goto(`${url}/models/${filled.model}?v=1`);
    await page.getByTestId('versions').waitFor();
    await expect.poll(() => page.getByRole('button', { name: 'Promote to champion' }).count()).toBe(0);
    await browser.settle();
    await page.goto(`${url}/audit`);
    await page.getByTestId('audit').waitFor();
    await expect.poll(() => page.getByText('Chain verification').count()).toBe(0);
    await expectClean();
  });
});
