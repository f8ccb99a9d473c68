// The privacy centre at /privacy, as a person uses it, in a real headless Chromium with every
// request beyond loopback refused: sign in with a dev token, grant a consent and see its receipt
// and its data, revoke it with one click and see both go, grant it again with the same terms, the
// form's own checks (every problem at once, nothing sent) and the gateway's refusals in words,
// message settings, the access log page by page in local time, denials shown as such and never as
// codes, the export of everything the graph holds about the person, and its erasure.
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

/** What a person reads on the page must never show an error code (CONSENT_REQUIRED, BAD_USER_INPUT...) or API names. */
async function expectPlainWords(page: Page) {
  const text = (await page.evaluate('document.body.innerText')) as string;
  expect(text.match(/\b[A-Z]+(?:_[A-Z]+)+\b/g) ?? [], 'codes in the page text').toEqual([]);
  for (const jargon of ['mutation', 'revokeConsent', 'grantConsent', 'expiresAt', 'GraphQL', 'FORBIDDEN']) expect(text).not.toContain(jargon);
}

/** Presses "Give access" and waits for the problems listed under `heading`; their sentences. */
async function submitGrant(page: Page, heading: string): Promise<string[]> {
  await page.getByRole('button', { name: 'Give access' }).click();
  const summary = page.locator('#grant-problems');
  await summary.getByText(heading).waitFor();
  return summary.locator('li').allTextContents();
}

/** The page's requests to the API that run `operation` (e.g. GrantConsent), recorded from now on. */
function operationsSent(page: Page, operation: string): string[] {
  const sent: string[] = [];
  page.on('request', (request) => {
    if (request.url().endsWith('/graphql') && request.postData()?.includes(operation)) sent.push(request.postData()!);
  });
  return sent;
}

/**
 * The answer to the page's `mutation <operation>` is lost: with `forward`, the request reaches the
 * gateway first (the change is made), then the page gets, instead of the result, the gateway's
 * answer for a service that did not answer in time (`timeout`, as gateway/subgraph-fetch.ts and
 * gateway/bank-router/merge.ts word it, naming `extensions`), or no answer at all (`connection`).
 */
async function loseAnswer(page: Page, operation: string, options: { forward: boolean; lost: 'timeout' | 'connection'; field?: string; extensions?: Record<string, string> }) {
  await page.route('**/graphql', async (route) => {
    if (!route.request().postData()?.includes(`mutation ${operation}(`)) return route.continue();
    if (options.forward) await route.fetch();
    if (options.lost === 'connection') return route.abort('connectionreset');
    const error = { message: 'did not answer in time; its data is missing from this response.', path: [options.field], extensions: { code: 'SUBGRAPH_TIMEOUT', ...options.extensions } };
    return route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ data: null, errors: [error] }) });
  });
}

/** Text shown on the page, as a person reads it. */
const pageText = async (page: Page) => (await page.evaluate('document.body.innerText')) as string;

/** Runs the page's clock in another time zone (Chromium's DevTools protocol), before it loads. */
async function inTimeZone(page: Page, timezoneId: string) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Emulation.setTimezoneOverride', { timezoneId });
}
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
    expect(await consents.textContent()).toContain('Apps of other companies never see this.');
    expect(await consents.textContent()).not.toContain('You have not given any bank access');
    // The code is there for support, in a tooltip, not in the text people read.
    expect(await consents.locator('li[title]').first().getAttribute('title')).toBe('For support: FORBIDDEN / THIRD_PARTY_CLIENT');
    await expectPlainWords(page);
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
    expect(await page.locator('#grant-problems').textContent()).toBe('');
    await page.getByRole('button', { name: 'Give access' }).click();
    await status(page, 'Done: Contoso Bank may now show');

    const granted = card(page, 'Contoso Bank', 'ACTIVE');
    await granted.waitFor();
    const receipt = (await granted.textContent()) ?? '';
    for (const words of ['Active', 'Your accounts', 'Balances — How much money is in each account right now.', 'Account overview — Showing your accounts and balances',
      'Until you revoke it.', 'No transactions are included.', 'Exact shop locations', 'Not included.', 'Never.',
      'How to revoke', 'Press “Revoke access for Contoso Bank” below: one click']) {
      expect(receipt).toContain(words);
    }
    // The API's receipt text (written for API users) is not what the page tells people.
    expect(receipt).not.toContain('revokeConsent');
    expect(await consentsOf('alice')).toContainEqual({ bank: { id: banks['Contoso Bank'] }, status: 'ACTIVE', permissions: ['ACCOUNTS_BASIC', 'BALANCES'], purposes: ['ACCOUNT_OVERVIEW'] });
    expect(await overviewBanks()).toContain(banks['Contoso Bank']);

    // One click, no dialog: revoked at once, and the result says so in the consent itself.
    await granted.getByRole('button', { name: 'Revoke access for Contoso Bank' }).click();
    await status(page, 'Revoked: Contoso Bank can no longer show');
    const revoked = card(page, 'Contoso Bank', 'REVOKED');
    await revoked.waitFor();
    expect(await page.getByRole('dialog').count()).toBe(0);
    const text = (await revoked.textContent()) ?? '';
    expect(text).toContain('Access revoked. Contoso Bank can no longer show any of this data, from now on.');
    expect(text).toContain('Ended: you revoked it on');
    // No revoke instructions on a consent that has ended; the one button left is the remedy.
    expect(text).not.toContain('How to revoke');
    expect(await revoked.getByRole('button').allTextContents()).toEqual(['Grant again with the same terms']);
    expect(await page.evaluate('document.activeElement.dataset.notice')).toBe('revoked');
    expect((await consentsOf('alice')).filter((c) => c.bank.id === banks['Contoso Bank']).map((c) => c.status)).toEqual(['REVOKED']);
    expect(await overviewBanks()).not.toContain(banks['Contoso Bank']);
  });

  it('revokes with one click and grants again with the same terms, dates in local time', async (test) => {
    const page = await browser.open(test);
    // Dates are chosen and shown as days where the person is, here five hours behind UTC in winter.
    await inTimeZone(page, 'America/New_York');
    await signIn(page, await stack.token({ sub: 'carol' }), 'Carol Nguyen (carol)');
    await page.getByLabel('Bank', { exact: true }).selectOption({ label: 'Northwind Bank' });
    for (const name of ['Your accounts', 'Where you paid', 'Money going out', 'City and country of shops', 'Exact shop locations', 'Spending insights']) {
      await page.getByRole('checkbox', { name, exact: true }).check();
    }
    await page.getByLabel('Valid until').fill('2099-01-15');
    await page.locator('#grant-from').fill('2026-01-01');
    await page.locator('#grant-to').fill('2026-06-30');
    await page.getByRole('button', { name: 'Give access' }).click();
    await status(page, 'Done: Northwind Bank may now show');

    const granted = card(page, 'Northwind Bank', 'ACTIVE');
    const receipt = (await granted.textContent()) ?? '';
    // Whatever the browser's language: day and month in its order, no hour (whole days).
    expect(receipt).toMatch(/Until the end of (15 Jan 2099|Jan 15, 2099), or until you revoke it\./);
    expect(receipt).toMatch(/Only transactions from (1 Jan 2026|Jan 1, 2026) to (30 Jun 2026|Jun 30, 2026)\./);
    // Exact locations are marked apart from the rest, as the separate opt-in they were.
    expect(await granted.locator('.precise-on').textContent()).toContain('Included — you turned this on separately');
    expect(await granted.locator('dd ul li').filter({ hasText: 'Exact shop locations' }).count()).toBe(0);
    expect(await granted.locator('time').first().textContent()).toMatch(/(EST|GMT-5)$/);
    const terms = async () => {
      const res = await stack.query('{ me { consents { status permissions purposes expiresAt transactionsFrom transactionsTo } } }', {}, { token: await stack.token({ sub: 'carol' }) });
      return res.body.data.me.consents as Array<Record<string, unknown>>;
    };
    const [first] = await terms();
    // The end of that day in New York, in UTC.
    expect(first).toMatchObject({ status: 'ACTIVE', expiresAt: '2099-01-16T04:59:59.999Z', transactionsFrom: '2026-01-01T05:00:00.000Z', transactionsTo: '2026-07-01T03:59:59.999Z' });

    await granted.getByRole('button', { name: 'Revoke access for Northwind Bank' }).click();
    const revoked = card(page, 'Northwind Bank', 'REVOKED');
    await revoked.getByText('Access revoked.').waitFor();
    await revoked.getByRole('button', { name: 'Grant again with the same terms' }).click();
    await status(page, 'Done: Northwind Bank may again show the same data');
    const again = card(page, 'Northwind Bank', 'ACTIVE');
    await again.getByText('Given again: Northwind Bank may show the same data as before').waitFor();
    const after = await terms();
    expect(after.map((c) => c.status).sort()).toEqual(['ACTIVE', 'REVOKED']);
    const { status: _a, ...newTerms } = after.find((c) => c.status === 'ACTIVE')!;
    const { status: _r, ...oldTerms } = after.find((c) => c.status === 'REVOKED')!;
    expect(newTerms).toEqual(oldTerms);
    // Given again once: the old consent no longer offers it.
    expect(await card(page, 'Northwind Bank', 'REVOKED').getByRole('button').count()).toBe(0);
    await expectPlainWords(page);
  });

  it('offers precise location only as a separate opt-in on top of the coarse one', async (test) => {
    const page = await browser.open(test);
    await signIn(page, await stack.token({ sub: 'bob' }), 'Bob Okafor (bob)');
    const precise = page.getByRole('checkbox', { name: 'Exact shop locations' });
    expect(await page.getByRole('group', { name: 'Exact shop locations separate opt-in' }).count()).toBe(1);
    expect(await precise.isDisabled()).toBe(true);
    await page.getByRole('checkbox', { name: 'City and country of shops' }).check();
    expect(await precise.isDisabled()).toBe(false);
    await page.getByRole('checkbox', { name: 'City and country of shops' }).uncheck();
    expect(await precise.isDisabled()).toBe(true);

    // Choices that do not go together are pointed out next to them as they are made.
    await page.getByRole('checkbox', { name: 'Balances' }).check();
    expect(await page.locator('#grant-permissions-problem').textContent()).toContain('every consent starts with your accounts');
    await page.getByRole('checkbox', { name: 'Your accounts' }).check();
    expect(await page.locator('#grant-permissions-problem').textContent()).toBe('');
    expect(await consentsOf('bob')).toEqual([]);
    expect(await page.locator('#consents').textContent()).toContain('You have not given any bank access');
  });

  it('checks the form before sending: every problem at once, in words, next to its field, and nothing sent', async (test) => {
    const page = await browser.open(test);
    await signIn(page, await stack.token({ sub: 'bob' }), 'Bob Okafor (bob)');
    const grants = operationsSent(page, 'GrantConsent');

    // Nothing chosen: the prompt of the bank list is not a bank, and everything missing is said at once.
    const summary = page.locator('#grant-problems');
    expect(await submitGrant(page, '3 things to fix before the bank can be given access:')).toEqual([
      'Choose a bank.',
      'Choose what the bank may show: at least “Your accounts”.',
      'Choose at least one purpose under “What for”.',
    ]);
    expect(await page.locator('#grant-bank-problem').textContent()).toBe('Choose a bank.');
    expect(await page.getByLabel('Bank', { exact: true }).getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('#grant-purposes-problem').textContent()).toBe('Choose at least one purpose under “What for”.');
    expect(await page.evaluate('document.activeElement.id')).toBe('grant-problems');

    // Choices that do not go together, a past end and dates the wrong way round: all listed, live.
    await page.getByLabel('Bank', { exact: true }).selectOption({ label: 'Northwind Bank' });
    expect(await summary.locator('li').count()).toBe(2);
    await page.getByRole('checkbox', { name: 'Balances' }).check();
    await page.getByRole('checkbox', { name: 'Card transactions' }).check();
    await page.getByRole('checkbox', { name: 'City and country of shops' }).check();
    await page.getByLabel('Valid until').fill('2020-01-01');
    await page.locator('#grant-from').fill('2026-05-01');
    await page.locator('#grant-to').fill('2026-04-01');
    await page.getByRole('button', { name: 'Give access' }).click();
    expect(await summary.locator('li').allTextContents()).toEqual([
      'Also choose “Your accounts” (or “Full account numbers”): every consent starts with your accounts.',
      'Card transactions need “Money going out”, “Money coming in” or both.',
      '“City and country of shops” needs “Where you paid”.',
      'Choose at least one purpose under “What for”.',
      '“Valid until” is in the past: choose today or a later day, or leave it empty.',
      'The transaction dates end before they start: “To” must be the same day as “From” or later.',
    ]);
    expect(await page.locator('#grant-permissions-problem li').count()).toBe(3);
    expect(await page.locator('#grant-expires-problem').textContent()).toContain('is in the past');
    expect(await page.locator('#grant-window-problem').textContent()).toContain('end before they start');
    // A problem in the list takes the person to its field.
    await summary.getByRole('link', { name: '“Valid until” is in the past' }).click();
    expect(await page.evaluate('document.activeElement.id')).toBe('grant-expires');
    expect(grants).toEqual([]);
    expect(await consentsOf('bob')).toEqual([]);
    await expectPlainWords(page);
  });

  it("puts the gateway's refusals into the same plain words, never its codes or messages", async (test) => {
    const page = await browser.open(test);
    await signIn(page, await stack.token({ sub: 'bob' }), 'Bob Okafor (bob)');
    // A valid form, changed on its way out, so that the real gateway refuses it for several reasons.
    await page.route('**/graphql', async (route) => {
      const body = JSON.parse(route.request().postData() ?? '{}');
      if (!String(body.query).includes('GrantConsent')) return route.continue();
      body.variables.input = { ...body.variables.input, bankId: 'no-such-bank', permissions: ['BALANCES', 'TRANSACTIONS_BASIC'], expiresAt: '2020-01-01T00:00:00.000Z' };
      return route.continue({ postData: JSON.stringify(body) });
    });
    await page.getByLabel('Bank', { exact: true }).selectOption({ label: 'Northwind Bank' });
    await page.getByRole('checkbox', { name: 'Your accounts' }).check();
    await page.getByRole('checkbox', { name: 'Fraud prevention' }).check();
    expect(await submitGrant(page, 'Northwind Bank was not given access:')).toEqual([
      'This bank is not available. Choose one from the list.',
      'Also choose “Your accounts” (or “Full account numbers”): every consent starts with your accounts.',
      'Card transactions need “Money going out”, “Money coming in” or both.',
      '“Valid until” is in the past: choose today or a later day, or leave it empty.',
    ]);
    expect(await page.locator('#grant-bank-problem').textContent()).toBe('This bank is not available. Choose one from the list.');
    await expectPlainWords(page);
    expect(await consentsOf('bob')).toEqual([]);
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
    await inTimeZone(page, 'Asia/Tokyo');
    await signIn(page, await stack.token({ sub: 'alice' }));
    const row = page.getByRole('row').filter({ hasText: 'An agent of Northwind Bank (agent-nora)' }).first();
    await row.waitFor();
    const cells = await row.getByRole('cell').allTextContents();
    expect(cells.slice(1)).toEqual(['An agent of Northwind Bank (agent-nora)', 'Northwind Bank', 'Customer service', 'balances, your list of accounts']);
    // In the person's own time, with the zone's name; UTC in the tooltip.
    expect(cells[0]).toMatch(/GMT\+9$/);
    expect(await row.locator('time').getAttribute('title')).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC$/);
    // It says what it covers, and where the rest is.
    expect(await page.locator('#log-section').textContent()).toContain('Times someone read your profile or your chats are not listed here');
  });

  it('shows more of who saw the data, newest first', async (test) => {
    const agent = await stack.token({ sub: 'agent-nora', roles: ['bank_agent'], bank: banks['Northwind Bank'], client: 'bank-console' });
    for (let i = 0; i < 55; i++) await stack.query('{ user(id: "alice") { accounts { balance { minorUnits } } } }', {}, { token: agent });
    const page = await browser.open(test);
    await signIn(page, await stack.token({ sub: 'alice' }));
    const rows = page.locator('#access-log tbody tr');
    await page.locator('#access-log caption').getByText('The latest 50 times, newest first').waitFor();
    expect(await rows.count()).toBe(50);
    await page.getByRole('button', { name: 'Show more' }).click();
    await status(page, 'More of who saw your data is shown.');
    expect(await rows.count()).toBeGreaterThan(55);
    const times = await rows.locator('time').evaluateAll((nodes) => nodes.map((n) => n.getAttribute('datetime') ?? ''));
    expect(times).toEqual([...times].sort().reverse());
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

  it('never shows an error code or a server message, even when an action fails', async (test) => {
    const page = await browser.open(test);
    await signIn(page, await stack.token({ sub: 'alice' }));
    const northwind = card(page, 'Northwind Bank', 'ACTIVE');
    await northwind.waitFor();
    await expectPlainWords(page);
    // A revoke the gateway refuses (the consent is not found): said in words, in the consent.
    await page.route('**/graphql', async (route) => {
      const body = JSON.parse(route.request().postData() ?? '{}');
      if (!String(body.query).includes('RevokeConsent')) return route.continue();
      return route.continue({ postData: JSON.stringify({ ...body, variables: { id: `${banks['Northwind Bank']}:cns_not_there` } }) });
    });
    await northwind.getByRole('button', { name: 'Revoke access for Northwind Bank' }).click();
    const refusal = northwind.getByRole('alert');
    await refusal.getByText('Not revoked.').waitFor();
    expect(await refusal.textContent()).toContain('This was not found among yours');
    // Said once, in the consent, as a problem: not in the status line that says what was done.
    expect(await page.locator('#status').textContent()).toBe('');
    expect(await refusal.locator('li').getAttribute('title')).toBe('For support: NOT_FOUND');
    await expectPlainWords(page);
    expect((await consentsOf('alice')).find((c) => c.bank.id === banks['Northwind Bank'])?.status).toBe('ACTIVE');
  });

  // When a service does not answer a change, the change may have been made all the same: the page
  // reads the data again and says what it holds now (bob: his consents are not used above).
  it('a grant whose answer was lost is shown as saved when the bank saved it', async (test) => {
    const page = await browser.open(test);
    await signIn(page, await stack.token({ sub: 'bob' }), 'Bob Okafor (bob)');
    await loseAnswer(page, 'GrantConsent', { forward: true, lost: 'timeout', field: 'grantConsent', extensions: { service: 'bank-account', bank: banks['Northwind Bank']! } });
    await page.getByLabel('Bank', { exact: true }).selectOption({ label: 'Northwind Bank' });
    await page.getByRole('checkbox', { name: 'Your accounts' }).check();
    await page.getByRole('checkbox', { name: 'Account overview' }).check();
    await page.getByRole('button', { name: 'Give access' }).click();
    await status(page, 'Done: Northwind Bank did not answer at once, but your consent was saved.');
    const granted = card(page, 'Northwind Bank', 'ACTIVE');
    expect(await granted.locator('[data-notice]').textContent()).toContain('Northwind Bank did not answer in time. Northwind Bank saved your consent all the same');
    expect(await page.evaluate('document.activeElement.dataset.notice')).toBe('granted');
    expect(await page.locator('#grant-problems').textContent()).toBe('');
    expect(await pageText(page)).not.toContain('not given access');
    expect(await consentsOf('bob')).toEqual([{ bank: { id: banks['Northwind Bank'] }, status: 'ACTIVE', permissions: ['ACCOUNTS_BASIC'], purposes: ['ACCOUNT_OVERVIEW'] }]);
    await expectPlainWords(page);
  });

  it('a grant the bank did not answer: not known while it is silent, then what it holds', async (test) => {
    const contoso = stack.banks[banks['Contoso Bank']!]!;
    const page = await browser.open(test);
    await signIn(page, await stack.token({ sub: 'bob' }), 'Bob Okafor (bob)');
    await card(page, 'Northwind Bank', 'ACTIVE').waitFor();
    await contoso.stop();
    try {
      await page.getByLabel('Bank', { exact: true }).selectOption({ label: 'Contoso Bank' });
      await page.getByRole('checkbox', { name: 'Your accounts' }).check();
      await page.getByRole('checkbox', { name: 'Account overview' }).check();
      await page.getByRole('button', { name: 'Give access' }).click();
      const outcome = page.locator('#grant-problems');
      await outcome.getByText('Contoso Bank could not be reached.').waitFor();
      expect(await outcome.textContent()).toContain('So it is not known yet whether Contoso Bank saved your consent');
      expect(await pageText(page)).not.toMatch(/not given access|Not saved/);
    } finally {
      await contoso.start();
    }
    await page.getByRole('button', { name: 'Check again' }).click();
    await page.locator('#grant-problems').getByText('this access is not among them. You can press “Give access” again.').waitFor();
    expect((await consentsOf('bob')).map((c) => c.bank.id)).toEqual([banks['Northwind Bank']]);
    // The choices stay, to give access again.
    expect(await page.getByRole('checkbox', { name: 'Account overview' }).isChecked()).toBe(true);
    await expectPlainWords(page);
  });

  it('with a bank down, says what the banks that answered hold, and which bank a slow export lacks', async (test) => {
    const northwind = stack.banks[banks['Northwind Bank']!]!;
    const page = await browser.open(test);
    page.setDefaultTimeout(10_000);
    await northwind.stop();
    try {
      // bob's banks: Northwind (down) and Contoso (nothing about him).
      await signIn(page, await stack.token({ sub: 'bob' }), 'Bob Okafor (bob)');
      const log = page.locator('#access-log');
      await log.getByText('Nothing to show from the banks that answered.').waitFor();
      expect(await log.getByRole('alert').textContent()).toContain('Northwind Bank did not answer');
      expect(await log.textContent()).not.toContain('Nobody has read your bank data');
      const consents = page.locator('#consents');
      expect(await consents.textContent()).toContain('None from the banks that answered.');
      expect(await consents.textContent()).not.toContain('You have not given any bank access');

      // The export waits for every bank: the page says how long it has waited, and why.
      await page.route('**/graphql', async (route) => {
        if (route.request().postData()?.includes('query MyData')) await new Promise((resolve) => setTimeout(resolve, 2_500));
        return route.continue();
      });
      await page.getByRole('button', { name: 'Export my data' }).click();
      const result = page.locator('#export-result');
      await result.getByText('(2 seconds so far)').waitFor();
      expect(await result.textContent()).toContain('it can take up to a minute');
      await result.getByRole('link', { name: /^Download my-data-/ }).waitFor();
      expect(await result.getByRole('alert').textContent()).toContain('Your file is ready, but part of your data is missing from it:Northwind Bank could not be reached, so what it holds about you is not in the file.');
      expect(await page.locator('#status').textContent()).toBe('');
      await expectPlainWords(page);
    } finally {
      await northwind.start();
    }
  });

  it('a revoke whose answer never came is shown as done when the bank did it', async (test) => {
    const page = await browser.open(test);
    await signIn(page, await stack.token({ sub: 'bob' }), 'Bob Okafor (bob)');
    await loseAnswer(page, 'RevokeConsent', { forward: true, lost: 'connection' });
    await card(page, 'Northwind Bank', 'ACTIVE').getByRole('button', { name: 'Revoke access for Northwind Bank' }).click();
    await status(page, 'Revoked: Northwind Bank can no longer show the data of this consent, from now on.');
    const note = card(page, 'Northwind Bank', 'REVOKED').locator('[data-notice]');
    expect(await note.textContent()).toContain('No answer came back: the connection to the service may have failed. Northwind Bank revoked your consent all the same.');
    expect((await consentsOf('bob')).map((c) => c.status)).toEqual(['REVOKED']);
    await expectPlainWords(page);
  });

  it('a message setting whose answer was lost: saved, or unchanged, as the chat service holds it', async (test) => {
    const page = await browser.open(test);
    await signIn(page, await stack.token({ sub: 'bob' }), 'Bob Okafor (bob)');
    const contoso = page.getByRole('switch', { name: 'Contoso Bank may start chats with me' });
    expect(await contoso.isChecked()).toBe(false);
    // Reached the chat service, but its answer came too late: saved all the same.
    await loseAnswer(page, 'OptIn', { forward: true, lost: 'timeout', field: 'optInToBankMessages', extensions: { service: 'messaging' } });
    await contoso.click();
    await status(page, 'The chat service did not answer in time. Your setting was saved all the same: Contoso Bank may start chats with you.');
    await page.locator(`#messages-${banks['Contoso Bank']}-state`).getByText(/^Allowed since/).waitFor();
    // Never reached it: the switch goes back to what it holds, and the page says so.
    await loseAnswer(page, 'OptOut', { forward: false, lost: 'timeout', field: 'optOutOfBankMessages', extensions: { service: 'messaging' } });
    await contoso.click();
    const result = page.locator('#messages-result').getByRole('alert');
    await result.waitFor();
    expect(await result.textContent()).toBe('The chat service did not answer in time.The switch below shows what it holds now: Contoso Bank may start chats with you, as before. Try again in a moment.');
    expect(await contoso.isChecked()).toBe(true);
    expect(await page.locator('#status').textContent()).toBe('');
    await expectPlainWords(page);
  });

  it('an ended sign-in during a change says, once and as a problem, that the change was not made', async (test) => {
    const page = await browser.open(test);
    await signIn(page, await stack.token({ sub: 'alice' }));
    // The token ends between loading the page and pressing the button.
    const expired = await stack.token({ sub: 'alice', ttlSeconds: -3600 });
    await page.route('**/graphql', (route) => {
      if (!route.request().postData()?.includes('mutation RevokeConsent(')) return route.continue();
      return route.continue({ headers: { ...route.request().headers(), authorization: `Bearer ${expired}` } });
    });
    await card(page, 'Northwind Bank', 'ACTIVE').getByRole('button', { name: 'Revoke access for Northwind Bank' }).click();
    const problem = page.locator('#sign-in').getByRole('alert').filter({ hasText: 'Your sign-in was not accepted' });
    await problem.waitFor();
    expect(await problem.innerText()).toMatch(/^Your sign-in was not accepted: token expired\.\n+Access for Northwind Bank was not revoked\. Sign in again, then try again\.$/);
    expect((await pageText(page)).split('Your sign-in was not accepted').length - 1).toBe(1);
    expect(await page.locator('#status').textContent()).toBe('');
    // In the colours of a problem, not of the status line.
    expect(await problem.evaluate((e) => getComputedStyle(e).borderLeftColor)).toBe('rgb(163, 38, 27)');
    expect(await page.evaluate('Object.keys(sessionStorage)')).toEqual([]);
    expect((await consentsOf('alice')).find((c) => c.bank.id === banks['Northwind Bank'])?.status).toBe('ACTIVE');
    await expectPlainWords(page);
  });

  // Last: carol is erased.
  it('erases the data after a second, typed confirmation, and says what happened at each service', async (test) => {
    const token = await stack.token({ sub: 'carol' });
    const granted = await stack.query('mutation { grantConsent(input: { bankId: "contoso", permissions: [ACCOUNTS_BASIC], purposes: [ACCOUNT_OVERVIEW] }) { id } }', {}, { token });
    expect(granted.body.errors).toBeUndefined();
    const page = await browser.open(test);
    await signIn(page, token, 'Carol Nguyen (carol)');
    const erasures = operationsSent(page, 'EraseMyData');
    const section = page.getByRole('region', { name: 'Erase my data' });
    for (const words of ['This cannot be undone.', 'your profile and contact details', 'your chats with banks and every message', 'Kept, but no longer under your name', 'with your user id replaced by a code']) {
      expect(await section.innerText()).toContain(words);
    }

    // The first click only opens the last step; without the word typed, nothing happens.
    await section.getByRole('button', { name: 'Erase my data…' }).click();
    await section.getByRole('button', { name: 'Erase everything now' }).click();
    await section.getByText('Type ERASE to confirm. Nothing has been erased.').waitFor();
    await section.getByRole('button', { name: 'Cancel' }).click();
    await status(page, 'Nothing was erased.');
    expect(await section.getByLabel('To confirm, type ERASE').isVisible()).toBe(false);
    expect(erasures).toEqual([]);
    const me = async () => (await stack.query('{ me { id } }', {}, { token })).body.data.me;
    expect(await me()).toEqual({ id: 'carol' });

    await section.getByRole('button', { name: 'Erase my data…' }).click();
    await section.getByLabel('To confirm, type ERASE').fill('ERASE');
    const sent = operationsSent(page, '');
    await section.getByRole('button', { name: 'Erase everything now' }).click();
    const done = page.getByRole('region', { name: 'Your data has been erased' });
    await done.waitFor();
    expect(erasures).toHaveLength(1);
    const report = done.locator('#erase-report');
    expect(await report.locator('li').evaluateAll((items) => items.map((i) => i.getAttribute('data-status')))).toEqual(['DONE', 'DONE', 'DONE', 'DONE']);
    const steps = await report.locator('li').allTextContents();
    expect(steps[0]).toMatch(/^Profile: your profile and contact details deleted; /);
    expect(steps[1]).toMatch(/^Chats: /);
    expect(steps.find((s) => s.startsWith('Contoso Bank:'))).toContain('1 consent ended; the history of 1 consent kept under a code instead of your user id');
    expect(await me()).toBeNull();

    // Signed out at once: the sign-in is forgotten and nothing more is asked under carol's name
    // (a read now would leave a new record naming her).
    expect(await done.textContent()).toContain('You are signed out.');
    expect(await page.evaluate('Object.keys(sessionStorage)')).toEqual([]);
    await page.evaluate('new Promise((resolve) => setTimeout(resolve, 300))');
    expect(sent.map((body) => JSON.parse(body).query.match(/^\w+ (\w+)/)[1])).toEqual(['EraseMyData']);
    for (const id of ['signed-in', 'who', 'sign-in']) expect(await page.locator(`#${id}`).isVisible()).toBe(false);
    await expectPlainWords(page);

    // Signing in again with the same token: a sign-in without a profile, said as such.
    await page.reload();
    await page.getByLabel('Development token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('No profile was found for this sign-in (carol).').waitFor();
    expect(await page.locator('#consents-section').isVisible()).toBe(false);
    expect(await page.getByText('cannot be shown right now').count()).toBe(0);
    await expectPlainWords(page);
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
