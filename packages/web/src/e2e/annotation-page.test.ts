import type { AddressInfo } from 'node:net';
import type { AnnotationLabel, AnnotationStatus } from '@plumb/sdk';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDataset, reviewRows } from '../../../server/src/modules/annotation/annotation.test-kit.js';
import { createTestPlumb, type TestPlumb } from '../../../server/src/testing/test-plumb.js';
import { type Browser, ensureBuilt, openBrowser, screenshot, signIn } from './browser.js';

const SCHEMA = `
show: [text]
questions:
  - name: sentiment
    type: single_choice
    choices: [positive, negative, neutral]
    shortcuts: { positive: p, negative: n, neutral: u }
  - name: rating
    type: scale
    min: 1
    max: 5
  - name: note
    type: free_text
`;

// The annotator page in Debian's chromium: items labelled with the keyboard alone, one skipped
// with a reason, then the project's dashboard as a maintainer sees it.
describe('annotation pages in a browser', () => {
  let t: TestPlumb;
  let url: string;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    ensureBuilt();
    t = await createTestPlumb('sqlite');
    await t.plumb.app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(t.plumb.app.server.address() as AddressInfo).port}`;
    await addDataset(t, 'reviews', reviewRows(3));
    const created = await t.call('POST', '/api/v1/annotation/projects', {
      body: {
        name: 'reviews',
        schema: SCHEMA,
        guidelines: '# Sentiment\nPositive: would buy again.',
        overlap: 1,
      },
    });
    expect(created.statusCode, created.body).toBe(201);
    await t.call('POST', '/api/v1/annotation/projects/reviews/tasks', {
      body: { source: 'dataset', version: 'reviews@v1' },
    });
    browser = await openBrowser();
    page = browser.page;
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await t?.dispose();
  });

  const itemId = () => page.getByTestId('annotation-item').getAttribute('data-item');

  it('labels items with the keyboard, with the guidelines at hand, and skips one with a reason', async () => {
    const annotator = await t.keyFor('annotator');
    await signIn(page, url, annotator);
    await page.goto(`${url}/annotation/reviews/label`);
    await page.getByTestId('annotation-item').waitFor();
    await expect.poll(() => page.getByLabel('guidelines').innerText()).toContain('would buy again');
    await screenshot(page, 'annotator');

    const first = await itemId();
    await page.keyboard.press('p');
    await page.keyboard.press('4');
    await expect
      .poll(() => page.getByRole('button', { name: /^positive/ }).getAttribute('aria-pressed'))
      .toBe('true');
    await page.keyboard.press('Enter');
    await expect.poll(itemId).not.toBe(first);

    const second = await itemId();
    await page.keyboard.press('n');
    await page.keyboard.press('2');
    await page.keyboard.press('Enter');
    await expect.poll(itemId).not.toBe(second);

    const third = await itemId();
    await page.getByLabel('reason to skip').fill('written in a language I do not read');
    await page.getByLabel('reason to skip').press('Enter');
    await page.getByTestId('annotation-done').waitFor();
    expect(await browser.takeProblems()).toEqual([]);

    const labels = (await t.call('GET', '/api/v1/annotation/projects/reviews/labels')).json()
      .items as AnnotationLabel[];
    expect(labels.map((l) => [l.itemId, l.value])).toEqual([
      [first, { sentiment: 'positive', rating: 4, note: '' }],
      [second, { sentiment: 'negative', rating: 2, note: '' }],
    ]);
    expect(labels.every((l) => l.guidelinesVersion === 1)).toBe(true);
    const status = (
      await t.call('GET', '/api/v1/annotation/projects/reviews/status')
    ).json() as AnnotationStatus;
    expect(status.annotators[0]).toMatchObject({ labelled: 2, skipped: 1 });
    const audit = (await t.call('GET', '/api/v1/audit?limit=50')).json().items as {
      action: string;
      resource: string;
    }[];
    expect(audit.find((r) => r.action === 'annotation.item.skip')?.resource).toBe(
      `annotation:reviews/${third}`,
    );
  });

  it('shows the project dashboard to a maintainer', async () => {
    await signIn(page, url, await t.keyFor('maintainer'));
    await page.goto(`${url}/annotation`);
    await page.getByTestId('annotation-projects').getByText('reviews').first().click();
    await page.getByTestId('annotation-progress').waitFor();
    await expect.poll(() => page.getByTestId('annotation-progress').innerText()).toContain('2 (67%)');
    await expect.poll(() => page.getByTestId('annotation-annotators').locator('tbody tr').count()).toBe(1);
    await expect.poll(() => page.getByTestId('agreement-sentiment').innerText()).toContain('nominal');
    await screenshot(page, 'annotation-dashboard');
    expect(await browser.takeProblems()).toEqual([]);
  });
});
