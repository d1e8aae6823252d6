import { createServer } from 'node:net';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENDPOINT, MODEL } from '../../../server/src/demo/demo-champion.js';
import { connectDemo } from '../../../server/src/demo/demo-context.js';
import { ALERT_RULE } from '../../../server/src/demo/demo-monitoring.js';
import { APPROVAL_STEP, PIPELINE } from '../../../server/src/demo/demo-pipeline.js';
import { QUICK_PLAN } from '../../../server/src/demo/demo-plan.js';
import { type DemoResult, runDemo } from '../../../server/src/demo/run-demo.js';
import { createTestPlumb, type TestPlumb } from '../../../server/src/testing/test-plumb.js';
import {
  type Browser,
  ensureBuilt,
  openBrowser,
  screenshot,
  screenshotOf,
  signIn,
  visit as visitPage,
} from './browser.js';

// The web UI in Debian's chromium against a listening server filled by the demo's loop (its quick
// replay): a champion trained on January–February 2001, four months of replayed traffic with a
// daily monitor and an alert rule, and the retraining pipeline stopped at its approval step.
// Every page must load without a console error, a failed request or an error answer.
describe('web UI on the demo loop', { timeout: 120_000 }, () => {
  let t: TestPlumb;
  let url: string;
  let demo: DemoResult;
  let browser: Browser;
  let page: Page;
  let keys: { approver: string; viewer: string };
  const timings: Record<string, number> = {};

  beforeAll(async () => {
    ensureBuilt();
    // A fixed port, so the pipeline's command steps are told where the API is.
    const port = await freePort();
    t = await createTestPlumb('sqlite', { PLUMB_PORT: String(port) });
    url = await t.plumb.app.listen({ host: '127.0.0.1', port });
    t.plumb.worker.start();
    const lines: string[] = [];
    const ctx = await connectDemo(url, t.adminSecret, t.home, (line) => lines.push(line));
    ctx.flushProfiles = () => t.plumb.services.profileWriter.flush();
    demo = await runDemo(ctx, QUICK_PLAN).catch((error) => {
      throw new Error(`${error.message}\n${lines.join('\n')}`);
    });
    if (!demo.retraining.waitingForApproval) {
      throw new Error(`the retraining run did not reach its approval:\n${lines.join('\n')}`);
    }
    keys = { approver: await t.keyFor('approver'), viewer: await t.keyFor('viewer') };
    browser = await openBrowser();
    page = browser.page;
  }, 300_000);

  afterAll(async () => {
    console.log('time to first render (ms):', timings);
    await browser?.close();
    await t?.dispose();
  });

  async function visit(name: string, path: string, ready: string) {
    timings[name] = await visitPage(browser, `${url}${path}`, name, ready);
  }

  async function expectClean() {
    expect(await browser.takeProblems()).toEqual([]);
  }

  it('signs in with a key kept in session storage, never in a cookie', async () => {
    await page.goto(url);
    await page.getByLabel('API key').waitFor();
    await screenshot(page, 'sign-in');
    await page.getByLabel('API key').fill('plumb_not-a-key');
    browser.expectError(401, /\/api\/v1\/whoami$/);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').count()).toBeGreaterThan(0);
    await signIn(page, url, keys.approver);
    expect(await page.evaluate(() => sessionStorage.getItem('plumb.apiKey'))).toBe(keys.approver);
    expect(await page.evaluate(() => localStorage.length)).toBe(0);
    expect(await page.evaluate(() => document.cookie)).toBe('');
    expect(await browser.context.cookies()).toEqual([]);
    await expectClean();
  });

  it('lists the model in the inventory with its champion, gate and health', async () => {
    await visit('inventory', '/', '[data-testid=inventory] tbody tr');
    const table = page.getByTestId('inventory');
    // Health loads after the table, from the endpoint's monitoring: give a busy machine time.
    const slow = { timeout: 15_000 };
    await expect.poll(() => table.locator('tbody tr').count(), slow).toBe(1);
    await expect.poll(() => table.innerText(), slow).toContain(demo.champion.version.ref);
    await expect.poll(() => page.getByTestId(`health-${MODEL}`).innerText(), slow).toMatch(/drift/);
    await page.getByLabel('filter models').fill('no such model');
    await expect.poll(() => table.locator('tbody tr').count()).toBe(0);
    await page.getByLabel('filter models').fill('');
    await expectClean();
  });

  it('shows the model: versions, aliases, evaluation slices and lineage', async () => {
    await visit('model', `/models/${MODEL}`, '[data-testid=versions] tbody tr');
    await expect.poll(() => page.getByTestId('versions').locator('tbody tr').count()).toBe(2);
    await expect.poll(() => page.getByTestId('aliases').innerText()).toContain(demo.champion.version.ref);
    await expect.poll(() => page.getByTestId('eval-slices').innerText()).toContain('from ORD');
    await page.getByTestId('lineage').locator('.react-flow__node').first().waitFor();
    await screenshot(page, 'model');
    await expectClean();
  });

  it('shows datasets, a version profile, validation and rows', async () => {
    await visit('datasets', '/datasets', '[data-testid=datasets] tbody tr');
    await expect.poll(() => page.getByTestId('datasets').innerText()).toContain('flights-traffic');
    await visit('dataset', '/datasets/flights', '[data-testid=profile-distance]');
    await expect.poll(() => page.getByTestId('validation').innerText()).toContain('passed');
    await expect.poll(() => page.getByTestId('rows').locator('tbody tr').count()).toBe(25);
    await expect.poll(() => page.getByTestId('profile-origin').innerText()).toContain('ORD');
    // Hundreds of airports: the largest slices first, the rest when asked for.
    const slices = page.getByTestId('slice-coverage').locator('li');
    await expect.poll(() => slices.count()).toBe(12);
    await page.getByRole('button', { name: /^Show all \d+ slices$/ }).click();
    await expect.poll(() => slices.count()).toBeGreaterThan(100);
    await expectClean();
  });

  it('follows lineage from the endpoint back to its training dataset', async () => {
    await visit('endpoints', '/endpoints', '[data-testid=endpoints] tbody tr');
    await visit('endpoint', `/endpoints/${ENDPOINT}`, '.split-bar');
    await expect.poll(() => page.getByTestId('shadows').innerText()).toContain(demo.retraining.candidate);
    await expect.poll(() => page.getByTestId('events').locator('tbody tr').count()).toBe(25);
    const train = demo.champion.train.ref;
    const node = page.getByTestId('lineage').locator('.react-flow__node', { hasText: train });
    await node.first().waitFor();
    await screenshotOf(page.getByTestId('lineage'), 'endpoint-lineage');
    await node.filter({ hasText: 'dataset' }).first().click();
    await page.waitForURL(new RegExp(`/datasets/flights\\?v=${train.split('@v')[1]}$`));
    await page.getByTestId('profile-distance').waitFor();
    await screenshot(page, 'lineage-to-dataset');
    await expectClean();
  });

  it('draws a feature drift chart over the replayed months, with the alert the rule opened', async () => {
    await visit('endpoint-drift', `/endpoints/${ENDPOINT}?range=1y`, '[data-testid=drift-chart] canvas');
    await page.getByLabel('drift feature').selectOption('distance');
    await page.locator('[data-testid=drift-chart] canvas').waitFor();
    await expect.poll(() => page.getByTestId('drift-features').innerText()).toContain('origin_rate');
    // Distances drift at or above their threshold (Evidently's rule), as the server judges.
    expect(await page.getByTestId('drift-features').innerText()).toMatch(/wasserstein\s+[\d.]+\s+≥ 0\.1/);
    // The drift alert that started the retraining stays open until someone acknowledges it.
    await expect.poll(() => page.getByTestId('alerts').innerText()).toContain(ALERT_RULE);
    await page.getByTestId('chart-Requests').locator('canvas').waitFor();
    await screenshot(page, 'endpoint-drift');
    await expectClean();
  });

  it("approves the retraining pipeline's approval step and sees the champion move", async () => {
    const { candidate } = demo.retraining;
    await visit('pipelines', '/pipelines', '[data-testid=pipelines] tbody tr');
    await visit('pipeline', `/pipelines/${PIPELINE}`, '[data-testid=pipeline-approval]');
    await page.getByTestId('pipeline-dag').locator('.react-flow__node').first().waitFor();
    await screenshotOf(page.getByTestId('pipeline-dag'), 'pipeline-dag');
    await expect.poll(() => page.getByTestId('pipeline-approval').innerText()).toContain(APPROVAL_STEP);
    await page.getByLabel('approval comment').fill('slices hold against the champion');
    await page.getByRole('button', { name: 'Approve step' }).click();
    await expect
      .poll(() => page.getByTestId('pipeline-steps').innerText(), { timeout: 30_000 })
      .toMatch(/promote\s+promote\s+succeeded/);
    // The log is followed again once the run goes on past its approval.
    await expect
      .poll(() => page.getByTestId('pipeline-logs').innerText(), { timeout: 10_000 })
      .toMatch(/promote\s+attempt 1 succeeded/);
    await screenshot(page, 'pipeline-approved');
    await visit('model-promoted', `/models/${MODEL}`, '[data-testid=versions] tbody tr');
    await expect.poll(() => page.getByTestId('aliases').innerText()).toContain(candidate);
    await expect
      .poll(() => page.getByTestId('alias-history').innerText())
      .toContain(`v${demo.champion.version.version} → v${candidate?.split('@v')[1]}`);
    // The move is the pipeline run's, authorized by the approval just given.
    const history = await page.getByTestId('alias-history').innerText();
    expect(history).toMatch(/pipeline run prun_\w+/);
    expect(history).toContain('approved by');
    expect(history).toContain('slices hold against the champion');
    expect((await t.call('GET', `/api/v1/models/${MODEL}`)).json().aliases.champion).toBe(candidate);
    await expectClean();
  });

  it('shows the audit chain, verified, with the approval in it', async () => {
    await visit('audit', '/audit', '[data-testid=audit] tbody tr');
    await expect.poll(() => page.getByTestId('audit-verified').innerText()).toContain('intact');
    // Who did what reads as the key's name: the demo acts as its own key.
    await expect.poll(() => page.getByTestId('audit').innerText()).toContain('plumb-demo');
    expect(await page.getByTestId('audit').innerText()).not.toMatch(/key_…/);
    await page.getByLabel('action').fill('pipeline.approval.approve');
    await page.getByLabel('action').press('Enter');
    await expect.poll(() => page.getByTestId('audit').innerText()).toContain(demo.retraining.run.id);
    await expectClean();
  });

  it('offers a viewer nothing it may not do', async () => {
    await signIn(page, url, keys.viewer);
    await visit('viewer-model', `/models/${MODEL}`, '[data-testid=versions] tbody tr');
    await expect.poll(() => page.getByRole('button', { name: 'Promote to champion' }).count()).toBe(0);
    await visit('viewer-pipeline', `/pipelines/${PIPELINE}`, '[data-testid=pipeline-steps] tbody tr');
    await expect.poll(() => page.getByRole('button', { name: 'Run pipeline' }).count()).toBe(0);
    await visit('viewer-audit', '/audit', '[data-testid=audit] tbody tr');
    await expect.poll(() => page.getByText('Chain verification').count()).toBe(0);
    await expectClean();
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}
