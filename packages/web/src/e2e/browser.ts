import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

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
  const built = spawnSync('npx', ['vite', 'build', '--logLevel', 'error'], {
    cwd: WEB_ROOT,
    encoding: 'utf8',
  });
  if (built.status !== 0) throw new Error(`vite build failed:\n${built.stdout}\n${built.stderr}`);
}

export interface Browser {
  context: BrowserContext;
  page: Page;
  /**
   * Console errors, page errors, failed requests and error answers seen since the last call,
   * once no request is in flight (a request cut short by leaving the page is not a failure).
   */
  takeProblems(): Promise<string[]>;
  /** Resolves once no request has been in flight for a moment. */
  settle(): Promise<void>;
  close(): Promise<void>;
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
  let inFlight = 0;
  page.on('request', () => {
    inFlight += 1;
  });
  page.on('requestfinished', () => {
    inFlight -= 1;
  });
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('requestfailed', (request) => {
    inFlight -= 1;
    problems.push(
      `request failed: ${request.method()} ${request.url()} ${request.failure()?.errorText ?? ''}`,
    );
  });
  page.on('response', (response) => {
    if (response.status() >= 400) {
      problems.push(`HTTP ${response.status()}: ${response.request().method()} ${response.url()}`);
    }
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
    takeProblems: async () => {
      await settle();
      const seen = problems;
      problems = [];
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
