import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium, type Locator, type Page, type Request } from 'playwright-core';

const WEB_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Git ignores this folder; each run overwrites the page screenshots. */
export const SCREENSHOTS = join(WEB_ROOT, 'screenshots');
export const CHROMIUM = '/usr/bin/chromium';

function newest(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((name) => newest(join(path, name))));
}

/** Builds the UI when dist/ is missing or older than its sources, so the test sees this code. */
export function ensureBuilt(): void {
  const index = join(WEB_ROOT, 'dist', 'index.html');
  const sources = Math.max(newest(join(WEB_ROOT, 'src')), newest(join(WEB_ROOT, '..', 'sdk', 'src')));
  if (existsSync(index) && statSync(index).mtimeMs >= sources) return;
  // Vitest sets NODE_ENV=test, and Vite builds React's development bundle for any NODE_ENV but
  // production: double-run effects and slower renders would be measured, not the shipped UI.
  const built = spawnSync('npx', ['vite', 'build', '--logLevel', 'error'], {
    cwd: WEB_ROOT,
    encoding: 'utf8',
    env: { ...process.env, NODE_ENV: 'production' },
  });
  if (built.status !== 0) throw new Error(`vite build failed:\n${built.stdout}\n${built.stderr}`);
}

/** One request the page made, with how long it took to answer, in milliseconds. */
export interface RequestSeen {
  method: string;
  url: string;
  status: number | null;
  ms: number;
}

export interface Browser {
  context: BrowserContext;
  page: Page;
  /**
   * Console errors, page errors, failed requests and error answers seen since the last call,
   * once no request is in flight. A request aborted because the page navigated away while it was
   * in flight is not a failure; an error answer the test declared with `expectError` is not one.
   */
  takeProblems(): Promise<string[]>;
  /** Declares an error answer the next `takeProblems` does not count: status and address. */
  expectError(status: number, url: RegExp): void;
  /** The requests finished since the last call, in the order they were made. */
  takeRequests(): RequestSeen[];
  /** Resolves once no request has been in flight for a moment. */
  settle(): Promise<void>;
  close(): Promise<void>;
}

/**
 * How long after a request's abort a navigation may still be reported for it: Chromium tells of
 * the old document's aborted fetches and of the main frame's navigation in either order.
 */
const ABORT_NAVIGATION_SLACK_MS = 1_000;

interface ExpectedError {
  status: number;
  url: RegExp;
}

/** Whether a declared error matches this answer; a match is used up. */
function excused(declared: ExpectedError[], status: number, url: string): boolean {
  const i = declared.findIndex((e) => e.status === status && e.url.test(url));
  if (i >= 0) declared.splice(i, 1);
  return i >= 0;
}

/** Debian's chromium, headless, in a throwaway profile. */
export async function openBrowser(): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'plumb-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    viewport: { width: 1400, height: 900 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  let problems: string[] = [];
  /** Declared error answers, each excusing one answer and the console line Chromium logs for it. */
  let expected: ExpectedError[] = [];
  let consoleExcused: ExpectedError[] = [];
  let requests: (RequestSeen & { started: number })[] = [];
  /** Times the main frame started a navigation or changed its address (client routes too). */
  const navigations: number[] = [];
  /** Requests aborted with no navigation seen yet: judged when one comes or the slack ends. */
  const aborted = new Map<Request, { started: number; failed: number; text: string }>();
  const started = new Map<Request, number>();
  let inFlight = 0;
  const navigatedBetween = (from: number, to: number) => navigations.some((t) => t >= from && t <= to);
  const navigated = () => {
    navigations.push(performance.now());
    for (const [request, seen] of aborted) {
      if (navigatedBetween(seen.started, seen.failed + ABORT_NAVIGATION_SLACK_MS)) aborted.delete(request);
    }
  };
  page.on('request', (request) => {
    inFlight += 1;
    started.set(request, performance.now());
    if (request.isNavigationRequest() && request.frame() === page.mainFrame()) navigated();
  });
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame()) navigated();
  });
  page.on('requestfinished', async (request) => {
    inFlight -= 1;
    const at = started.get(request) ?? performance.now();
    started.delete(request);
    const response = await request.response().catch(() => null);
    requests.push({
      method: request.method(),
      url: request.url(),
      status: response?.status() ?? null,
      ms: performance.now() - at,
      started: at,
    });
  });
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    // Chromium also logs each error answer; one the test declared is not a problem.
    const status = /^Failed to load resource: the server responded with a status of (\d+)/.exec(
      message.text(),
    );
    const url = message.location().url;
    if (status && excused(consoleExcused, Number(status[1]), url)) return;
    problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('requestfailed', (request) => {
    inFlight -= 1;
    const at = started.get(request) ?? performance.now();
    started.delete(request);
    const text = `request failed: ${request.method()} ${request.url()} ${request.failure()?.errorText ?? ''}`;
    const now = performance.now();
    if (request.failure()?.errorText !== 'net::ERR_ABORTED') problems.push(text);
    else if (!navigatedBetween(at, now)) aborted.set(request, { started: at, failed: now, text });
  });
  page.on('response', (response) => {
    const status = response.status();
    if (status < 400) return;
    const url = response.url();
    if (!excused(expected, status, url))
      problems.push(`HTTP ${status}: ${response.request().method()} ${url}`);
  });
  mkdirSync(SCREENSHOTS, { recursive: true });
  const settle = async () => {
    for (let quiet = 0; quiet < 3; ) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      quiet = inFlight === 0 ? quiet + 1 : 0;
    }
  };
  return {
    context,
    page,
    settle,
    expectError: (status, url) => {
      expected.push({ status, url });
      consoleExcused.push({ status, url });
    },
    takeRequests: () => {
      const seen = requests.sort((a, b) => a.started - b.started).map(({ started: _, ...r }) => r);
      requests = [];
      return seen;
    },
    takeProblems: async () => {
      await settle();
      // An abort the page's own navigation caused has been reported by now, or never will be.
      if (aborted.size > 0) {
        const oldest = Math.min(...[...aborted.values()].map((a) => a.failed));
        const wait = oldest + ABORT_NAVIGATION_SLACK_MS - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      }
      for (const [request, seen] of aborted) {
        if (!navigatedBetween(seen.started, seen.failed + ABORT_NAVIGATION_SLACK_MS))
          problems.push(seen.text);
        aborted.delete(request);
      }
      const seen = problems;
      problems = [];
      expected = [];
      consoleExcused = [];
      return seen;
    },
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Opens a page by its address and waits until `ready` is visible: the time from the start of the
 * navigation to that, in milliseconds, is the page's time to first render with its data.
 */
export async function openPage(page: Page, url: string, ready: string): Promise<number> {
  const started = performance.now();
  await page.goto(url);
  await page.locator(ready).first().waitFor({ state: 'visible' });
  return performance.now() - started;
}

/** The page from its top, at most 2,400 pixels of it, so long tables stay readable. */
export async function screenshot(page: Page, name: string): Promise<void> {
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  const width = page.viewportSize()?.width ?? 1400;
  await page.screenshot({
    path: join(SCREENSHOTS, `${name}.png`),
    fullPage: true,
    clip: { x: 0, y: 0, width, height: Math.min(height, 2400) },
  });
}

/** Signs in with an API key on the sign-in page, signing the current key out first. */
export async function signIn(page: Page, url: string, key: string): Promise<void> {
  await page.goto(url);
  const signOut = page.locator('nav').getByText('Sign out');
  const form = page.getByLabel('API key');
  await signOut.or(form).first().waitFor();
  if (await signOut.isVisible()) await signOut.click();
  await form.fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await signOut.waitFor();
}

/** One part of the page, e.g. a graph below the first 2,400 pixels. */
export async function screenshotOf(locator: Locator, name: string): Promise<void> {
  await locator.scrollIntoViewIfNeeded();
  await locator.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
}

/**
 * Opens a page as `openPage` does, then saves its screenshot as `name` once its requests have
 * settled (`name-failed` when it never became ready). Returns the time to first render.
 */
export async function visit(browser: Browser, url: string, name: string, ready: string): Promise<number> {
  let ms: number;
  try {
    ms = Math.round(await openPage(browser.page, url, ready));
  } catch (error) {
    await screenshot(browser.page, `${name}-failed`);
    throw error;
  }
  await browser.settle();
  await screenshot(browser.page, name);
  return ms;
}
