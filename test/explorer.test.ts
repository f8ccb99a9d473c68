// The offline explorer at GET /graphql (introspection on), in a real headless Chromium with every
// request beyond loopback refused: GraphiQL comes from the gateway itself, every request it makes
// carries the token, and the README's examples run.
import { readFileSync } from 'node:fs';
import type { Request } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, type BrowserSession } from './support/browser.ts';
import { startTestStack, type TestStack } from './support/stack.ts';

const EXAMPLES: Array<{ title: string; query: string }> = JSON.parse(readFileSync(new URL('../gateway/pages/explorer/examples.json', import.meta.url), 'utf8'));

let stack: TestStack;
let browser: BrowserSession;

beforeAll(async () => {
  [stack, browser] = await Promise.all([startTestStack({ env: { INTROSPECTION: 'authenticated' } }), launchBrowser()]);
});
afterAll(() => Promise.all([browser?.close(), stack?.close()]));
afterEach(() => browser.expectClean());

describe('explorer', () => {
  it('loads GraphiQL from the gateway, sends the token with every request, and runs an example', async (test) => {
    const token = await stack.token({ sub: 'alice' });
    const page = await browser.open(test);
    page.setDefaultTimeout(15_000);
    const requests: Request[] = [];
    page.on('request', (request) => requests.push(request));

    await page.goto(stack.gatewayUrl);
    await page.getByText('The explorer starts when you give it a token').waitFor();
    const introspection = page.waitForRequest((r) => r.method() === 'POST' && (r.postData() ?? '').includes('IntrospectionQuery'));
    await page.getByLabel('Bearer token').fill(token);
    await page.getByRole('button', { name: 'Use token' }).click();
    expect(await (await introspection).headerValue('authorization')).toBe(`Bearer ${token}`);
    await page.getByText('Requests go as alice (client messenger-web, purpose customer_service).').waitFor();

    // The README's examples, one tab each, titled by their operation names.
    const tabs = page.locator('.graphiql-tab-button');
    await expect.poll(() => tabs.count()).toBe(EXAMPLES.length);
    expect((await tabs.allTextContents()).map((t) => t.trim())).toEqual(expect.arrayContaining(['ThreeSubgraphs', 'GrantConsent', 'AccessLog']));

    const run = page.waitForRequest((r) => r.method() === 'POST' && (r.postData() ?? '').includes('ThreeSubgraphs'));
    await page.getByRole('button', { name: /Execute query/ }).click();
    expect(await (await run).headerValue('authorization')).toBe(`Bearer ${token}`);
    const result = page.locator('.result-window');
    await result.getByText('"Alice Martin"').waitFor();
    expect(await result.textContent()).toContain('"Northwind Bank"');

    const graphql = requests.filter((r) => new URL(r.url()).pathname === '/graphql' && r.method() === 'POST');
    expect(graphql.length).toBeGreaterThanOrEqual(2);
    for (const request of graphql) expect(await request.headerValue('authorization')).toBe(`Bearer ${token}`);
    // Everything the page loaded came from the gateway itself.
    const origins = new Set(requests.map((r) => new URL(r.url()).origin).filter((o) => o !== 'null'));
    expect([...origins]).toEqual([new URL(stack.gateway.url).origin]);
  });

  it('takes the token the privacy centre keeps for this tab', async (test) => {
    const token = await stack.token({ sub: 'bob' });
    const page = await browser.open(test);
    page.setDefaultTimeout(15_000);
    await page.goto(`${stack.gateway.url}/privacy`);
    await page.getByLabel('Development token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Signed in as Bob Okafor (bob)').waitFor();

    const introspection = page.waitForRequest((r) => r.method() === 'POST' && (r.postData() ?? '').includes('IntrospectionQuery'));
    await page.goto(stack.gatewayUrl);
    expect(await (await introspection).headerValue('authorization')).toBe(`Bearer ${token}`);
    await page.getByText('Requests go as bob').waitFor();
  });
});
