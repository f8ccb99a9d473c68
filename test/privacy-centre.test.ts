// The privacy centre at /privacy, as a person uses it, in a real headless Chromium with every
// request beyond loopback refused: sign in with a dev token, grant a consent and see its receipt
// and its data, revoke it and see both go, message settings, the access log, denials shown as such,
// and the export of everything the graph holds about the person.
// Expressions evaluated in the page are strings: the tests are type-checked without DOM types.
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, type BrowserSession } from './support/browser.ts';
import { startTestStack, type TestStack } from './support/stack.ts';

let stack: TestStack;
let browser: BrowserSession;
let banks: Record<string, string>;

beforeAll(async () => {
  [stack, browser] = await Promise.all([startTestStack(), launchBrowser()]);
  const res = await stack.query('{ banks { id name } }');
  banks = Object.fromEntries(res.body.data.banks.map((b: { id: string; name: string }) => [b.name, b.id]));
});
afterAll(() => Promise.all([browser?.close(), stack?.close()]));
afterEach(() => browser.expectClean());

/** alice's own view with an account_overview token: which banks' accounts and balances she sees. */
async function overviewBanks(): Promise<string[]> {
  const token = await stack.token({ sub: 'alice', purpose: 'account_overview' });
  const res = await stack.query('{ me { accounts { bank { id } balance { minorUnits } } } }', {}, { token });
  const accounts: Array<{ bank: { id: string }; balance: { minorUnits: number } | null }> = res.body.data.me.accounts ?? [];
  for (const account of accounts) expect(typeof account.balance?.minorUnits).toBe('number');
  return [...new Set(accounts.map((a) => a.bank.id))];
}

async function consentsOf(sub: string) {
  const res = await stack.query('{ me { consents { bank { id } status permissions purposes } } }', {}, { token: await stack.token({ sub }) });
  return res.body.data.me.consents as Array<{ bank: { id: string }; status: string; permissions: string[]; purposes: string[] }>;
}

async function signIn(page: Page, token: string, name = 'Alice Martin (alice)') {
  page.setDefaultTimeout(10_000);
  await page.goto(`${stack.gateway.url}/privacy`);
  // Pasted as `npm run token` prints it, npm's banner included.
  await page.getByLabel('Development token').fill(`\n> consent-gateway@0.1.0 token\n> tsx scripts/token.ts --sub x\n\n${token}\n`);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText(`Signed in as ${name}`).waitFor();
}

const status = (page: Page, text: string | RegExp) => page.getByRole('status').filter({ hasText: text }).waitFor();
const card = (page: Page, bankName: string, state: string) =>
  page.locator(`article[data-status="${state}"]`).filter({ has: page.getByRole('heading', { name: bankName }) });

describe('privacy centre', () => {
  it('runs in a browser that refuses and records every request beyond loopback', async (test) => {
    const page = await browser.open(test);
    // about:blank has no CSP, so only the routing stands between this fetch and the network.
    const failed = await page.evaluate(() => fetch('http://example.invalid/probe').then(() => false, () => true));
    expect(failed).toBe(true);
    expect(browser.outbound).toEqual(['http://example.invalid/probe']);
    browser.outbound.length = 0;
  });

  it('is served as static files with a strict Content-Security-Policy', async () => {
    const res = await fetch(`${stack.gateway.url}/privacy`);
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy') ?? '';
    for (const directive of ["default-src 'self'", "script-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"]) expect(csp).toContain(directive);
    expect(csp).not.toContain('unsafe-inline');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    // No inline script: every <script> has a src on this origin.
    const html = await res.text();
    expect(html.match(/<script\b[^>]*>/g)?.every((tag) => /src="\/privacy\//.test(tag))).toBe(true);
  });

  it('explains the development sign-in and refuses what is not a token', async (test) => {
    const page = await browser.open(test);
    page.setDefaultTimeout(10_000);
    await page.goto(`${stack.gateway.url}/privacy`);
    await page.getByText('npm run token -- --sub alice').waitFor();
    await page.getByLabel('Development token').fill('not a token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'That is not a token' }).waitFor();
    expect(await page.evaluate('Object.keys(sessionStorage)')).toEqual([]);

    // Looks like a token, but the gateway refuses it: the page says so and forgets it.
    const token = await stack.token({ sub: 'alice' });
    const forged = `${token.slice(0, token.lastIndexOf('.'))}.${Buffer.from('not the signature').toString('base64url')}`;
    await page.getByLabel('Development token').fill(forged);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'Your sign-in was not accepted: token signature does not verify' }).waitFor();
    expect(await page.evaluate('Object.keys(sessionStorage)')).toEqual([]);
  });

  it('shows a denial as a denial, never as an empty list', async (test) => {
    const page = await browser.open(test);
    // A third-party app never sees anyone's consents, not even with the user's own sign-in.
    await signIn(page, await stack.token({ sub: 'alice', client: 'partner-app' }));
    const consents = page.locator('#consents');
    await consents.getByRole('alert').waitFor();
    expect(await consents.textContent()).toContain('Your consents cannot be shown right now.');
    expect(await consents.textContent()).toContain('THIRD_PARTY_CLIENT');
    expect(await consents.textContent()).not.toContain('You have not given any bank access');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Development token').waitFor();
    expect(await page.evaluate('Object.keys(sessionStorage)')).toEqual([]);
  });

  it('grants a consent, lists it with its receipt, opens the data; revoking closes it', async (test) => {
    expect(await overviewBanks()).not.toContain(banks['Contoso Bank']);
    const page = await browser.open(test);
    await signIn(page, await stack.token({ sub: 'alice' }));
    await card(page, 'Northwind Bank', 'ACTIVE').waitFor();

    await page.getByLabel('Bank', { exact: true }).selectOption({ label: 'Contoso Bank' });
    await page.getByRole('checkbox', { name: 'Your accounts' }).check();
    await page.getByRole('checkbox', { name: 'Balances' }).check();
    await page.getByRole('checkbox', { name: 'Account overview' }).check();
    expect(await page.locator('#grant-hints').textContent()).toBe('');
    await page.getByRole('button', { name: 'Give access' }).click();
    await status(page, 'Done: Contoso Bank may now show');

    const granted = card(page, 'Contoso Bank', 'ACTIVE');
    await granted.waitFor();
    const receipt = (await granted.textContent()) ?? '';
    for (const words of ['Active', 'Your accounts', 'Balances — How much money is in each account right now.', 'Account overview — Showing your accounts and balances',
      'Until you revoke it.', 'No transactions are included.', 'Never.', 'Revoke at any time']) {
      expect(receipt).toContain(words);
    }
    expect(await consentsOf('alice')).toContainEqual({ bank: { id: banks['Contoso Bank'] }, status: 'ACTIVE', permissions: ['ACCOUNTS_BASIC', 'BALANCES'], purposes: ['ACCOUNT_OVERVIEW'] });
    expect(await overviewBanks()).toContain(banks['Contoso Bank']);

    // Revoking asks first; Escape keeps the consent.
    await granted.getByRole('button', { name: 'Revoke access for Contoso Bank' }).click();
    const dialog = page.getByRole('dialog', { name: 'Revoke this consent?' });
    await dialog.waitFor();
    await page.keyboard.press('Escape');
    await status(page, 'Nothing changed.');
    expect(await overviewBanks()).toContain(banks['Contoso Bank']);

    await granted.getByRole('button', { name: 'Revoke access for Contoso Bank' }).click();
    await dialog.getByRole('button', { name: 'Revoke' }).click();
    await status(page, 'Revoked: Contoso Bank can no longer show');
    const revoked = card(page, 'Contoso Bank', 'REVOKED');
    await revoked.waitFor();
    expect(await revoked.textContent()).toContain('Ended: you revoked it on');
    expect(await revoked.getByRole('button').count()).toBe(0);
    expect((await consentsOf('alice')).filter((c) => c.bank.id === banks['Contoso Bank']).map((c) => c.status)).toEqual(['REVOKED']);
    expect(await overviewBanks()).not.toContain(banks['Contoso Bank']);
  });

  it('offers precise location only as a separate opt-in on top of the coarse one, and shows what the gateway refuses', async (test) => {
    const page = await browser.open(test);
    await signIn(page, await stack.token({ sub: 'bob' }), 'Bob Okafor (bob)');
    const precise = page.getByRole('checkbox', { name: 'Exact shop locations' });
    expect(await page.getByRole('group', { name: 'Exact shop locations separate opt-in' }).count()).toBe(1);
    expect(await precise.isDisabled()).toBe(true);
    await page.getByRole('checkbox', { name: 'City and country of shops' }).check();
    expect(await precise.isDisabled()).toBe(false);
    await page.getByRole('checkbox', { name: 'City and country of shops' }).uncheck();
    expect(await precise.isDisabled()).toBe(true);

    // The hints say it first; the gateway still judges, and its problems are shown as they are.
    await page.getByLabel('Bank', { exact: true }).selectOption({ label: 'Northwind Bank' });
    await page.getByRole('checkbox', { name: 'Balances' }).check();
    await page.getByRole('checkbox', { name: 'Fraud prevention' }).check();
    expect(await page.locator('#grant-hints').textContent()).toContain('every consent starts with your accounts');
    await page.getByRole('button', { name: 'Give access' }).click();
    const error = page.locator('#grant-error');
    await error.getByText('every consent needs ACCOUNTS_BASIC or ACCOUNTS_DETAIL').waitFor();
    expect(await error.textContent()).toContain('Northwind Bank was not given access');
    expect(await consentsOf('bob')).toEqual([]);
    expect(await page.locator('#consents').textContent()).toContain('You have not given any bank access');
  });

  it('opts in to and out of messages from a bank', async (test) => {
    const page = await browser.open(test);
    await signIn(page, await stack.token({ sub: 'alice' }));
    const optIns = async () => {
      const res = await stack.query('{ me { messagingOptIns { bank { id } optedIn } } }', {}, { token: await stack.token({ sub: 'alice' }) });
      return Object.fromEntries(res.body.data.me.messagingOptIns.map((o: { bank: { id: string }; optedIn: boolean }) => [o.bank.id, o.optedIn]));
    };
    const northwind = page.getByRole('switch', { name: 'Northwind Bank may start chats with me' });
    const contoso = page.getByRole('switch', { name: 'Contoso Bank may start chats with me' });
    expect(await northwind.isChecked()).toBe(true);
    expect(await contoso.isChecked()).toBe(false);

    await contoso.click();
    await status(page, 'Contoso Bank may now start chats with you.');
    expect((await optIns())[banks['Contoso Bank']!]).toBe(true);
    // Refreshed in place: the switch says since when, and the keyboard focus stays on it.
    await page.locator(`#messages-${banks['Contoso Bank']}-state`).getByText(/^Allowed since/).waitFor();
    expect(await contoso.isChecked()).toBe(true);
    expect(await page.evaluate('document.activeElement.id')).toBe(`messages-${banks['Contoso Bank']}`);

    await page.keyboard.press('Space');
    await status(page, 'Contoso Bank can no longer start chats with you.');
    expect((await optIns())[banks['Contoso Bank']!]).toBe(false);
    await page.locator(`#messages-${banks['Contoso Bank']}-state`).getByText(/^Not allowed since/).waitFor();
    expect(await contoso.isChecked()).toBe(false);
  });

  it('lists who read the data, when, why and what, in words', async (test) => {
    const agent = await stack.token({ sub: 'agent-nora', roles: ['bank_agent'], bank: banks['Northwind Bank'], client: 'bank-console' });
    const read = await stack.query('{ user(id: "alice") { accounts { balance { minorUnits } } } }', {}, { token: agent });
    expect(read.body.data.user.accounts.length).toBeGreaterThan(0);

    const page = await browser.open(test);
    await signIn(page, await stack.token({ sub: 'alice' }));
    const row = page.getByRole('row').filter({ hasText: 'An agent of Northwind Bank (agent-nora)' }).first();
    await row.waitFor();
    const cells = await row.getByRole('cell').allTextContents();
    expect(cells.slice(1)).toEqual(['An agent of Northwind Bank (agent-nora)', 'Northwind Bank', 'Customer service', 'balances, your list of accounts']);
    expect(cells[0]).toMatch(/UTC$/);
  });

  it('exports everything the graph holds about the person as one JSON file to download', async (test) => {
    const page = await browser.open(test);
    await signIn(page, await stack.token({ sub: 'alice' }));
    await page.getByRole('button', { name: 'Export my data' }).click();
    await status(page, /^Your data is ready: my-data-\d{4}-\d{2}-\d{2}\.json\.$/);
    const link = page.getByRole('link', { name: /^Download my-data-/ });
    expect(await link.getAttribute('download')).toMatch(/^my-data-\d{4}-\d{2}-\d{2}\.json$/);
    // The file, as the browser saves it: made in the tab from the API's answer.
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    const file = JSON.parse(readFileSync(await download.path(), 'utf8'));
    expect(file).toMatchObject({ userId: 'alice', complete: true, services: { 'user-profile': { profile: { displayName: 'Alice Martin' } } } });
    expect(Object.keys(file.services).sort()).toEqual(['bank:contoso', 'bank:northwind', 'messaging', 'user-profile']);
  });

  it('fits a phone screen', async (test) => {
    // A read under her Northwind consent, so that the access log has a row to lay out.
    await stack.query('{ me { accounts { balance { minorUnits } } } }', {}, { token: await stack.token({ sub: 'alice' }) });
    const page = await browser.open(test, { width: 390, height: 844 });
    await signIn(page, await stack.token({ sub: 'alice' }));
    await card(page, 'Northwind Bank', 'ACTIVE').waitFor();
    await page.locator('#access-log table').waitFor();
    expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
  });
});

describe('privacy centre in production', () => {
  let productionStack: TestStack;
  beforeAll(async () => {
    productionStack = await startTestStack({ env: { NODE_ENV: 'production' } });
  });
  afterAll(() => productionStack?.close());

  it('has no token field: it explains that the app signs people in', async (test) => {
    const page = await browser.open(test);
    page.setDefaultTimeout(10_000);
    await page.goto(`${productionStack.gateway.url}/privacy`);
    await page.getByText('Open the privacy centre from the app').waitFor();
    expect(await page.getByLabel('Development token').isVisible()).toBe(false);
  });

  it("takes the platform session's token from the URL fragment, keeps it in this tab only and clears the address bar", async (test) => {
    const token = await productionStack.token({ sub: 'alice' });
    const page = await browser.open(test);
    page.setDefaultTimeout(10_000);
    const sent: string[] = [];
    page.on('request', (request) => sent.push(request.url()));
    await page.goto(`${productionStack.gateway.url}/privacy#access_token=${token}`);
    await page.getByText('Signed in as Alice Martin (alice)').waitFor();
    await card(page, 'Northwind Bank', 'ACTIVE').waitFor();
    expect(page.url()).toBe(`${productionStack.gateway.url}/privacy`);
    expect(sent.filter((url) => url.includes(token))).toEqual([]);
    expect(await page.evaluate('({ session: Object.values(sessionStorage), local: localStorage.length })')).toEqual({ session: [token], local: 0 });

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByText('Open the privacy centre from the app').waitFor();
    expect(await page.evaluate('sessionStorage.length')).toBe(0);
  });
});
