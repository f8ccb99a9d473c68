// Every field gated in docs/consent-policy.md, from the outside: visible with the right consent; null +
// FORBIDDEN with the right reason without it, after revoke, after expiry, outside the window,
// for another bank, for a purpose the consent lacks, for a third-party client, for another user,
// and for a bank agent of another bank.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forbiddenAt, startTestStack, type GraphQLResponse, type TestStack } from './support/stack.ts';

let stack: TestStack;
type Who = 'alice' | 'aliceInsights' | 'aliceThirdParty' | 'bob' | 'carol' | 'northwindAgent' | 'northwindAgentFraud' | 'contosoAgent';
let tokens: Record<Who, string>;
beforeAll(async () => {
  stack = await startTestStack();
  const t = (o: Parameters<TestStack['token']>[0]) => stack.token(o);
  tokens = {
    alice: await t({ sub: 'alice' }),
    aliceInsights: await t({ sub: 'alice', purpose: 'spending_insights' }),
    aliceThirdParty: await t({ sub: 'alice', client: 'partner-app' }),
    bob: await t({ sub: 'bob' }),
    carol: await t({ sub: 'carol' }),
    northwindAgent: await t({ sub: 'agent-nora', roles: ['bank_agent'], bank: 'northwind', client: 'bank-console' }),
    northwindAgentFraud: await t({ sub: 'agent-nora', roles: ['bank_agent'], bank: 'northwind', client: 'bank-console', purpose: 'fraud_prevention' }),
    contosoAgent: await t({ sub: 'agent-carl', roles: ['bank_agent'], bank: 'contoso', client: 'bank-console' }),
  };
});
afterAll(() => stack?.close());

const ACCOUNT_FIELDS = 'id bank { name } maskedNumber currency accountNumber balance { minorUnits currency }';
const TXN_FIELDS = 'id amount { minorUnits currency } postedAt direction description merchant { name category location { city country latitude longitude } }';
/** What alice's seed consent grants: denials of these fields have one reason each. */
const GRANTED_ACCOUNT_FIELDS = 'id bank { name } maskedNumber currency balance { minorUnits currency }';
const GRANTED_TXN_FIELDS = 'id amount { minorUnits currency } postedAt direction description merchant { name category location { city country } }';

function errorsByReason(res: GraphQLResponse): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const e of res.body.errors ?? []) (out[e.extensions?.reason ?? e.extensions?.code ?? 'none'] ??= []).push(e.path?.join('.') ?? '');
  return out;
}

type Bank = 'northwind' | 'contoso';
type Transaction = TestStack['data']['banks'][Bank]['transactions'][number];
const account = (owner: string, bank: Bank) => stack.bank(bank).accounts.find((a) => a.userId === owner)!;
const transactionOf = (owner: string, bank: Bank, pred: (t: Transaction) => boolean = () => true) => stack.bank(bank).transactions.find((t) => t.userId === owner && pred(t))!;

async function grant(token: string, input: Record<string, unknown>) {
  const res = await stack.query('mutation($input: GrantConsentInput!) { grantConsent(input: $input) { id status } }', { input }, { token });
  return res;
}

describe('with the right consent', () => {
  it('the owner sees the consented fields of the consented bank', async () => {
    const res = await stack.query(`{ me { accounts { ${ACCOUNT_FIELDS} transactions(first: 20) { edges { node { ${TXN_FIELDS} } } } } } }`, {}, { token: tokens.alice });
    const accounts = res.body.data.me.accounts;
    expect(accounts.map((a: any) => a.bank.name)).toEqual(['Northwind Bank', 'Northwind Bank']);
    const acc = accounts.find((a: any) => a.id === account('alice', 'northwind')._id);
    expect(acc.balance.minorUnits).toBe(account('alice', 'northwind').balanceMinor);
    const node = acc.transactions.edges.find((e: any) => e.node.merchant)?.node;
    const northwind = stack.bank('northwind');
    const expected = northwind.transactions.find((t) => t._id === node.id)!;
    expect(node.amount.minorUnits).toBe(expected.amountMinor);
    expect(node.merchant.name).toBe(northwind.merchants.find((m) => m._id === expected.merchantId)!.name);
    expect(node.merchant.location.city).toBe(northwind.merchantLocations.find((l) => l._id === expected.merchantId)!.city);
    // Not granted: full account number (ACCOUNTS_DETAIL) and coordinates (MERCHANT_LOCATION_PRECISE).
    expect(acc.accountNumber).toBeNull();
    expect(node.merchant.location.latitude).toBeNull();
    const reasons = errorsByReason(res);
    expect(Object.keys(reasons)).toEqual(['CONSENT_REQUIRED']);
    expect(reasons.CONSENT_REQUIRED!.some((p) => p.endsWith('accountNumber'))).toBe(true);
    expect(reasons.CONSENT_REQUIRED!.some((p) => p.endsWith('latitude'))).toBe(true);
    // No denied value leaks anywhere in the response.
    expect(JSON.stringify(res.body)).not.toContain(account('alice', 'northwind').accountNumber);
  });

  it('an agent of that bank sees them for customer_service', async () => {
    const res = await stack.query(`{ user(id: "alice") { accounts { id balance { minorUnits } } } }`, {}, { token: tokens.northwindAgent });
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.user.accounts.length).toBe(2);
  });
});

describe('without it', () => {
  it.each([
    ['no consent at all', 'bob', '{ me { accounts { id } } }', 'me.accounts', 'CONSENT_REQUIRED'],
    ['a purpose the consent lacks', 'aliceInsights', '{ me { accounts { id } } }', 'me.accounts', 'PURPOSE_NOT_ALLOWED'],
    ['a third-party client', 'aliceThirdParty', '{ me { accounts { id } } }', 'me.accounts', 'THIRD_PARTY_CLIENT'],
    ['another user', 'bob', '{ user(id: "alice") { accounts { id } } }', 'user.accounts', 'NOT_OWNER'],
    ['an agent with another purpose', 'northwindAgentFraud', '{ user(id: "alice") { accounts { id } } }', 'user.accounts', 'PURPOSE_NOT_ALLOWED'],
    ['an agent of a bank the user did not consent to', 'contosoAgent', '{ user(id: "alice") { accounts { id } } }', 'user.accounts', 'CONSENT_REQUIRED'],
  ])('denies User.accounts for %s', async (_name, who, query, path, reason) => {
    const res = await stack.query(query, {}, { token: tokens[who as Who] });
    expect(forbiddenAt(res, path)).toBe(reason);
    expect(res.body.data?.me?.accounts ?? res.body.data?.user?.accounts ?? null).toBeNull();
  });

  const LOOKUP = `query($a: ID!, $t: ID!) { bankAccount(id: $a) { ${GRANTED_ACCOUNT_FIELDS} } cardTransaction(id: $t) { ${GRANTED_TXN_FIELDS} } }`;
  const lookup = (who: Who, a: string, t: string) => stack.query(LOOKUP, { a, t }, { token: tokens[who] });

  it.each([
    ['another user', 'bob'],
    ['a bank agent of another bank', 'contosoAgent'],
  ])("hands %s no reference to someone else's account or transaction: the same answer as for an id that does not exist", async (_name, who) => {
    const acc = account('alice', 'northwind');
    const txn = transactionOf('alice', 'northwind', (t) => !!t.merchantId);
    const theirs = await lookup(who as Who, acc._id, txn._id);
    // Well-formed ids of the same bank that name nothing, and ids of a bank that does not exist.
    const missing = await lookup(who as Who, acc._id.replace(/_.{4}/, '_zzzz'), txn._id.replace(/_.{4}/, '_zzzz'));
    const nowhere = await lookup(who as Who, 'acme:acc_AAAAAAAAAAAAAAAAAAAAAA', 'acme:txn_AAAAAAAAAAAAAAAAAAAAAA');
    for (const res of [theirs, missing, nowhere]) expect(res.body).toEqual({ data: { bankAccount: null, cardTransaction: null } });
  });

  it.each([
    ['a third-party client', 'aliceThirdParty', 'THIRD_PARTY_CLIENT'],
    ['a purpose the consent lacks', 'aliceInsights', 'PURPOSE_NOT_ALLOWED'],
  ])('denies every account and transaction field to %s', async (_name, who, reason) => {
    const acc = account('alice', 'northwind');
    const txn = transactionOf('alice', 'northwind', (t) => !!t.merchantId);
    const res = await lookup(who as Who, acc._id, txn._id);
    expect(res.body.data?.bankAccount ?? null).toBeNull();
    expect(res.body.data?.cardTransaction ?? null).toBeNull();
    const reasons = Object.keys(errorsByReason(res));
    expect(reasons).toEqual([reason]);
    const text = JSON.stringify(res.body);
    expect(text).not.toContain(String(acc.balanceMinor));
    expect(text).not.toContain(String(txn.amountMinor));
  });

  it('a consent at one bank never opens another bank', async () => {
    // Bob (no consents) grants Contoso... he has no Contoso account; use alice: grant Contoso accounts only.
    const g = await grant(tokens.alice, { bankId: 'contoso', permissions: ['ACCOUNTS_BASIC'], purposes: ['CUSTOMER_SERVICE'] });
    expect(g.body.errors).toBeUndefined();
    const contoso = account('alice', 'contoso');
    const res = await stack.query(`query($a: ID!) { bankAccount(id: $a) { id maskedNumber balance { minorUnits } transactions { edges { cursor } } } }`, { a: contoso._id }, { token: tokens.alice });
    expect(res.body.data.bankAccount.maskedNumber).toBe(contoso.maskedNumber);
    expect(res.body.data.bankAccount.balance).toBeNull();
    expect(forbiddenAt(res, 'bankAccount.balance')).toBe('CONSENT_REQUIRED');
    expect(forbiddenAt(res, 'bankAccount.transactions')).toBe('CONSENT_REQUIRED');
    // And alice's listing now shows both banks, each under its own consent.
    const list = await stack.query('{ me { accounts { bank { id } } } }', {}, { token: tokens.alice });
    expect(new Set(list.body.data.me.accounts.map((a: any) => a.bank.id))).toEqual(new Set(['northwind', 'contoso']));
  });
});

describe('consent lifecycle', () => {
  const BOB_BALANCE = '{ me { accounts { id balance { minorUnits } } } }';

  it('after revoke, nothing opens; the receipt and both events are kept', async () => {
    const g = await grant(tokens.bob, { bankId: 'northwind', permissions: ['ACCOUNTS_BASIC', 'BALANCES'], purposes: ['CUSTOMER_SERVICE'] });
    const id = g.body.data.grantConsent.id;
    const before = await stack.query(BOB_BALANCE, {}, { token: tokens.bob });
    expect(before.body.data.me.accounts[0].balance.minorUnits).toBe(account('bob', 'northwind').balanceMinor);
    const r = await stack.query('mutation($id: ID!) { revokeConsent(id: $id) { status revokedAt } }', { id }, { token: tokens.bob });
    expect(r.body.data.revokeConsent.status).toBe('REVOKED');
    const after = await stack.query(BOB_BALANCE, {}, { token: tokens.bob });
    expect(forbiddenAt(after, 'me.accounts')).toBe('CONSENT_REQUIRED');
    const consents = await stack.query(
      '{ me { consents { id status events { type initiator } receipt { consentId bankName permissions purposes thirdPartyDisclosure howToRevoke } } } }',
      {},
      { token: tokens.bob },
    );
    const c = consents.body.data.me.consents.find((x: any) => x.id === id);
    expect(c.status).toBe('REVOKED');
    expect(c.events).toEqual([{ type: 'GRANTED', initiator: 'bob' }, { type: 'REVOKED', initiator: 'bob' }]);
    expect(c.receipt).toMatchObject({ consentId: id, bankName: 'Northwind Bank', permissions: ['ACCOUNTS_BASIC', 'BALANCES'], purposes: ['CUSTOMER_SERVICE'], thirdPartyDisclosure: false });
    expect(c.receipt.howToRevoke).toMatch(/revokeConsent/);
  });

  it('after expiry, the field says the consent expired', async () => {
    const expiresAt = new Date(Date.now() + 1_500).toISOString();
    const g = await grant(tokens.carol, { bankId: 'northwind', permissions: ['ACCOUNTS_BASIC'], purposes: ['CUSTOMER_SERVICE'], expiresAt });
    expect(g.body.data.grantConsent.status).toBe('ACTIVE');
    await new Promise((r) => setTimeout(r, 2_000));
    const res = await stack.query('{ me { accounts { id } consents { status } } }', {}, { token: tokens.carol });
    expect(forbiddenAt(res, 'me.accounts')).toBe('CONSENT_EXPIRED');
    expect(res.body.data.me.consents[0].status).toBe('EXPIRED');
  });

  it('outside the window: the connection is clamped and a row outside it is denied', async () => {
    const from = '2026-06-01T00:00:00.000Z';
    const g = await grant(tokens.bob, { bankId: 'northwind', permissions: ['ACCOUNTS_BASIC', 'TRANSACTIONS_BASIC', 'TRANSACTIONS_DEBITS', 'TRANSACTIONS_CREDITS'], purposes: ['ACCOUNT_OVERVIEW'], transactionsFrom: from });
    expect(g.body.errors).toBeUndefined();
    const overview = await stack.token({ sub: 'bob', purpose: 'account_overview' });
    const res = await stack.query('{ me { accounts { transactions(first: 100) { clamped effectiveFrom edges { node { id postedAt } } } } } }', {}, { token: overview });
    const conn = res.body.data.me.accounts[0].transactions;
    expect(conn.clamped).toBe(true);
    expect(conn.effectiveFrom).toBe(from);
    expect(conn.edges.length).toBeGreaterThan(0);
    expect(conn.edges.every((e: any) => e.node.postedAt >= from)).toBe(true);
    const old = transactionOf('bob', 'northwind', (t) => t.postedAt < from);
    const single = await stack.query('query($t: ID!) { cardTransaction(id: $t) { amount { minorUnits } } }', { t: old._id }, { token: overview });
    expect(forbiddenAt(single, 'cardTransaction.amount')).toBe('OUT_OF_WINDOW');
    expect(JSON.stringify(single.body)).not.toContain(String(old.amountMinor));
  });

  it('credits/debits permissions filter the rows', async () => {
    await grant(tokens.bob, { bankId: 'northwind', permissions: ['ACCOUNTS_BASIC', 'TRANSACTIONS_BASIC', 'TRANSACTIONS_DEBITS'], purposes: ['FRAUD_PREVENTION'] });
    const fraud = await stack.token({ sub: 'bob', purpose: 'fraud_prevention' });
    const res = await stack.query('{ me { accounts { transactions(first: 100) { edges { node { direction } } } } } }', {}, { token: fraud });
    const directions = new Set(res.body.data.me.accounts[0].transactions.edges.map((e: any) => e.node.direction));
    expect(directions).toEqual(new Set(['DEBIT']));
    const credit = transactionOf('bob', 'northwind', (t) => t.direction === 'CREDIT');
    const single = await stack.query('query($t: ID!) { cardTransaction(id: $t) { amount { minorUnits } } }', { t: credit._id }, { token: fraud });
    expect(forbiddenAt(single, 'cardTransaction.amount')).toBe('CONSENT_REQUIRED');
  });
});

describe('granting and revoking', () => {
  const count = () => stack.consentCount();

  it.each([
    ['no accounts permission', { permissions: ['BALANCES'] }, /ACCOUNTS_BASIC or ACCOUNTS_DETAIL/],
    ['precise location without coarse', { permissions: ['ACCOUNTS_BASIC', 'TRANSACTIONS_DETAIL', 'TRANSACTIONS_DEBITS', 'MERCHANT_LOCATION_PRECISE'] }, /needs MERCHANT_LOCATION_COARSE/],
    ['an expiry in the past', { expiresAt: '2020-01-01T00:00:00Z' }, /in the past/],
    ['an empty purpose set', { purposes: [] }, /purposes must not be empty/],
    ['an unknown bank', { bankId: 'acme' }, /unknown bank "acme"/],
  ])('refuses %s with BAD_USER_INPUT and stores nothing', async (_name, overrides, message) => {
    const before = await count();
    const res = await grant(tokens.carol, { bankId: 'northwind', permissions: ['ACCOUNTS_BASIC'], purposes: ['CUSTOMER_SERVICE'], ...overrides });
    expect(res.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.body.errors?.[0]?.message).toMatch(message);
    expect(await count()).toBe(before);
  });

  it('refuses advertising as a purpose at the schema level', async () => {
    const res = await grant(tokens.carol, { bankId: 'northwind', permissions: ['ACCOUNTS_BASIC'], purposes: ['ADVERTISING'] });
    expect(res.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it.each([
    ['a bank agent', 'northwindAgent', 'NOT_OWNER'],
    ['a third-party client', 'aliceThirdParty', 'THIRD_PARTY_CLIENT'],
  ])('lets only the user grant: not %s', async (_name, who, reason) => {
    const before = await count();
    const res = await grant(tokens[who as Who], { bankId: 'northwind', permissions: ['ACCOUNTS_BASIC'], purposes: ['CUSTOMER_SERVICE'] });
    expect(forbiddenAt(res, 'grantConsent')).toBe(reason);
    expect(await count()).toBe(before);
  });

  it("lets only the user revoke: not another user, not the bank's agent", async () => {
    const id = stack.bank('northwind').consents[0]!._id;
    const byBob = await stack.query('mutation($id: ID!) { revokeConsent(id: $id) { status } }', { id }, { token: tokens.bob });
    expect(byBob.body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const byAgent = await stack.query('mutation($id: ID!) { revokeConsent(id: $id) { status } }', { id }, { token: tokens.northwindAgent });
    expect(forbiddenAt(byAgent, 'revokeConsent')).toBe('NOT_OWNER');
    const still = await stack.query('{ me { consents { id status } } }', {}, { token: tokens.alice });
    expect(still.body.data.me.consents.find((c: any) => c.id === id).status).toBe('ACTIVE');
  });

  it('shows consents and contact details to their owner alone', async () => {
    const res = await stack.query('{ user(id: "alice") { email consents { id } } }', {}, { token: tokens.bob });
    expect(forbiddenAt(res, 'user.email')).toBe('NOT_OWNER');
    expect(forbiddenAt(res, 'user.consents')).toBe('NOT_OWNER');
    const own = await stack.query('{ me { email } }', {}, { token: tokens.alice });
    expect(own.body.data.me.email).toBe('alice@example.org');
    const thirdParty = await stack.query('{ me { email } }', {}, { token: tokens.aliceThirdParty });
    expect(forbiddenAt(thirdParty, 'me.email')).toBe('THIRD_PARTY_CLIENT');
  });
});
