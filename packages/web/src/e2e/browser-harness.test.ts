import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, openBrowser } from './browser.js';

// What the browser tests count as a problem: a request cut short because the page navigated away
// is not one; any other failed request, or an error answer the test did not declare, is.
describe('browser harness', () => {
  let server: Server;
  let url: string;
  let browser: Browser;

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/slow') {
        // Answers long after the page has gone.
        setTimeout(() => res.end('late'), 3_000);
        return;
      }
      if (req.url === '/missing') {
        res.statusCode = 404;
        res.end('no');
        return;
      }
      res.setHeader('content-type', 'text/html');
      res.end('<!doctype html><title>t</title><p>page</p>');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await openBrowser();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  });

  it('does not count a request the navigation to another page aborted', async () => {
    await browser.page.goto(`${url}/one`);
    await browser.page.evaluate(() => {
      void fetch('/slow').catch(() => undefined);
    });
    await browser.page.goto(`${url}/two`);
    expect(await browser.takeProblems()).toEqual([]);
  });

  it('counts a request the page itself aborted while staying put', async () => {
    await browser.page.goto(`${url}/three`);
    await browser.page.evaluate(async () => {
      const controller = new AbortController();
      const pending = fetch('/slow', { signal: controller.signal }).catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 100));
      controller.abort();
      await pending;
    });
    const problems = await browser.takeProblems();
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^request failed: GET .*\/slow net::ERR_ABORTED$/);
  });

  it('counts an error answer, with the console line Chromium logs for it, unless the test declared it', async () => {
    await browser.page.goto(`${url}/four`);
    const missing = () => browser.page.evaluate(() => fetch('/missing').then((r) => r.status));
    expect(await missing()).toBe(404);
    const problems = await browser.takeProblems();
    expect(problems).toContain(`HTTP 404: GET ${url}/missing`);
    expect(problems.some((p) => p.startsWith('console: Failed to load resource'))).toBe(true);

    browser.expectError(404, /\/missing$/);
    expect(await missing()).toBe(404);
    expect(await browser.takeProblems()).toEqual([]);

    // A declaration is used up by the answer it excused.
    expect(await missing()).toBe(404);
    expect(await browser.takeProblems()).toContain(`HTTP 404: GET ${url}/missing`);
  });
});
