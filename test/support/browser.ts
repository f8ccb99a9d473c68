// A real headless Chromium for the page tests: Debian's package driven by playwright-core, one
// browser per test file, every request to anything but loopback refused and recorded (a test
// asserts there were none), and a screenshot of the page when a test fails.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { expect, type TestContext } from 'vitest';
import { browserPath, NO_BROWSER_HINT } from '../../scripts/ensure-browser.ts';

/** Where failed tests leave their screenshot (gitignored). */
export const SCREENSHOT_DIR = join(process.cwd(), 'test-results', 'browser');

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // Belt and braces under the request routing below: no name but loopback resolves at all.
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1',
];

const LOOPBACK_HOSTS = new Set(['localhost', '[::1]']);

export function isLoopback(url: string): boolean {
  const { protocol, hostname } = new URL(url);
  if (protocol === 'data:' || protocol === 'blob:' || protocol === 'about:') return true;
  return LOOPBACK_HOSTS.has(hostname) || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

export interface BrowserSession {
  /** Requests that pages tried to send beyond loopback, refused. */
  outbound: string[];
  /** Content-Security-Policy violations and uncaught errors the pages reported. */
  pageProblems: string[];
  /** A new page for one test, closed when the test ends, with a screenshot first when it failed. */
  open(test: TestContext, viewport?: { width: number; height: number }): Promise<Page>;
  /** For afterEach: fails the test when a page reached beyond loopback, broke its CSP or threw. */
  expectClean(): void;
  close(): Promise<void>;
}

const slug = (name: string) => name.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '').toLowerCase().slice(0, 100);

export async function launchBrowser(): Promise<BrowserSession> {
  const executablePath = browserPath();
  // A failure, not a skip: the run must not pass without its browser tests.
  if (!executablePath) throw new Error(`no Chromium for the browser tests (CHROMIUM_PATH or /usr/bin/chromium): ${NO_BROWSER_HINT}`);
  const userDataDir = mkdtempSync(join(tmpdir(), 'consent-browser-'));
  const context: BrowserContext = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    args: FLAGS,
    viewport: { width: 1280, height: 900 },
    serviceWorkers: 'block',
  });
  const outbound: string[] = [];
  const pageProblems: string[] = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (isLoopback(url)) return route.continue();
    outbound.push(url);
    return route.abort('blockedbyclient');
  });
  return {
    outbound,
    pageProblems,
    async open(test, viewport) {
      const page = await context.newPage();
      if (viewport) await page.setViewportSize(viewport);
      page.on('pageerror', (error) => pageProblems.push(`uncaught: ${error.message}`));
      page.on('console', (message) => {
        if (message.type() === 'error' && /Content Security Policy/i.test(message.text())) pageProblems.push(`CSP: ${message.text()}`);
      });
      test.onTestFinished(async () => {
        if (test.task.result?.state === 'fail' && !page.isClosed()) {
          mkdirSync(SCREENSHOT_DIR, { recursive: true });
          const file = join(SCREENSHOT_DIR, `${slug(test.task.name)}.png`);
          await page.screenshot({ path: file, fullPage: true }).then(
            () => console.log(`[browser] screenshot of the failed test "${test.task.name}": ${relative(process.cwd(), file)}`),
            (error: Error) => console.log(`[browser] no screenshot of "${test.task.name}": ${error.message}`),
          );
        }
        await page.close();
      });
      return page;
    },
    expectClean() {
      expect(outbound, 'requests beyond loopback').toEqual([]);
      expect(pageProblems, 'CSP violations and uncaught errors').toEqual([]);
    },
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}
