// The federated graph end to end through the gateway: data from user-profile, messaging and the
// banks, demo data, and clear errors for bad input.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startTestStack, type TestStack } from './support/stack.ts';

let stack: TestStack;
let alice: string;
beforeAll(async () => {
  stack = await startTestStack();
  alice = await stack.token({ sub: 'alice' });
});
afterAll(() => stack?.close());

const ACCEPTANCE_QUERY = `{ me { displayName accounts { bank { name } transactions(first: 5) { edges { node { amount {
  minorUnits currency } merchant { name location { city } } } } } } conversations { messages(first: 3) { edges { node {
  body transaction { amount { minorUnits } } } } } } } }`;

describe('the federated graph', () => {
  it('runs against a real MongoDB-compatible server and says which', () => {
    expect(['external', 'mongodb-memory-server', 'ferretdb']).toContain(inject('databaseKind'));
    expect(inject('databaseDescription')).toMatch(/mongodb:\/\//i);
  });

  it('answers the acceptance query with data from user-profile, messaging and a bank', async () => {
    const res = await stack.query(ACCEPTANCE_QUERY, {}, { token: alice });
    expect(res.body.errors).toBeUndefined();
    const me = res.body.data.me;
    expect(me.displayName).toBe('Alice Martin'); // user-profile
    expect(me.accounts.length).toBe(2); // the northwind bank only (alice has no contoso consent)
    expect(me.accounts.every((a: any) => a.bank.name === 'Northwind Bank')).toBe(true);
    const txns = me.accounts[0].transactions.edges.map((e: any) => e.node);
    expect(txns).toHaveLength(5);
    expect(txns[0].amount.currency).toBe('EUR');
    expect(typeof txns[0].amount.minorUnits).toBe('number');
    const messages = me.conversations[0].messages.edges.map((e: any) => e.node); // messaging
    expect(messages).toHaveLength(3);
    const referenced = stack.data.messaging.messages[0]!.transactionId!;
    const expected = stack.bank('northwind').transactions.find((t) => t._id === referenced)!;
    expect(messages[0].transaction.amount.minorUnits).toBe(expected.amountMinor); // entity reference → the northwind bank
    expect(messages[1].transaction).toBeNull();
  });

  it('pages transactions newest first with stable cursors', async () => {
    const q = `query($after: String) { me { accounts { id transactions(first: 3, after: $after) { edges { cursor node { id postedAt } } pageInfo { hasNextPage endCursor } } } } }`;
    const first = await stack.query(q, {}, { token: alice });
    const page1 = first.body.data.me.accounts[0].transactions;
    expect(page1.pageInfo.hasNextPage).toBe(true);
    const second = await stack.query(q, { after: page1.pageInfo.endCursor }, { token: alice });
    const page2 = second.body.data.me.accounts[0].transactions;
    const all = [...page1.edges, ...page2.edges].map((e: any) => e.node);
    const accountId = first.body.data.me.accounts[0].id;
    const expected = stack.bank('northwind').transactions
      .filter((t) => t.accountId === accountId)
      .sort((a, b) => b.postedAt.localeCompare(a.postedAt) || b._id.localeCompare(a._id))
      .slice(0, 6)
      .map((t) => t._id);
    expect(all.map((t: any) => t.id)).toEqual(expected);
  });

  it('seeds the demo data the issue asks for, each bank with its own rows and bank-scoped, unguessable ids', () => {
    const { userProfile, banks, messaging } = stack.data;
    expect(userProfile.users.map((u) => u._id)).toEqual(['alice', 'bob', 'carol']);
    const owners = (bank: 'northwind' | 'contoso') => banks[bank].accounts.map((a) => a.userId).sort();
    expect(owners('northwind')).toEqual(['alice', 'alice', 'bob']);
    expect(owners('contoso')).toEqual(['alice']);
    expect(banks.northwind.consents.map((c) => [c.userId, c.bankId])).toEqual([['alice', 'northwind']]);
    expect(banks.contoso.consents).toEqual([]);
    expect(userProfile.bankRelationships).toEqual([{ _id: 'alice', bankIds: ['northwind'] }]);
    expect(banks.northwind.transactions.length + banks.contoso.transactions.length).toBeGreaterThanOrEqual(2000);
    expect(new Set(banks.northwind.merchantLocations.map((l) => l.country)).size).toBeGreaterThan(3);
    expect(messaging.messages.some((m) => m.transactionId)).toBe(true);
    for (const [id, bank] of Object.entries(banks)) {
      for (const doc of [...bank.accounts, ...bank.transactions, ...bank.merchants, ...bank.consents]) expect(doc._id).toMatch(new RegExp(`^${id}:[a-z]{3}_[A-Za-z0-9_-]{22}$`));
    }
    for (const doc of [...messaging.conversations, ...messaging.messages]) expect(doc._id).toMatch(/^(conv|msg)_[A-Za-z0-9_-]{22}$/);
  });

  it('serves /health and /ready, on every service', async () => {
    const urls = stack.serviceUrls();
    expect(Object.keys(urls).sort()).toEqual(['bank-contoso', 'bank-northwind', 'gateway', 'messaging', 'user-profile']);
    for (const url of Object.values(urls)) expect((await fetch(`${url}/health`)).status, url).toBe(200);
    const ready = await fetch(`${stack.gateway.url}/ready`);
    expect(ready.status).toBe(200);
    const body = (await ready.json()) as { status: string; subgraphs: Record<string, unknown>; banks: Record<string, unknown> };
    expect(body.status).toBe('ready');
    expect(Object.keys(body.subgraphs).sort()).toEqual(['messaging', 'user-profile']);
    expect(Object.keys(body.banks).sort()).toEqual(['contoso', 'northwind']);
  });
});

describe('bad input gets a clear error and changes nothing', () => {
  it('a malformed query', async () => {
    const res = await stack.query('{ me { displayName ', {}, { token: alice });
    expect(res.status).toBe(400);
    expect(res.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
  });

  it('an unknown field, without suggesting field names', async () => {
    const res = await stack.query('{ me { displayNam } }', {}, { token: alice });
    expect(res.status).toBe(400);
    expect(res.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(res.body.errors?.[0]?.message).toMatch(/displayNam/);
    expect(res.body.errors?.[0]?.message).not.toMatch(/Did you mean/);
  });

  it('a variable of the wrong type', async () => {
    const res = await stack.query('query($n: Int) { me { accounts { transactions(first: $n) { edges { cursor } } } } }', { n: 'five' }, { token: alice });
    expect(res.status).toBe(400);
    expect(res.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('a page size out of range', async () => {
    const res = await stack.query('{ me { accounts { transactions(first: 1000) { edges { cursor } } } } }', {}, { token: alice });
    expect(res.status).toBe(400); // refused at the gate, before any subgraph
    expect(res.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.body.errors?.[0]?.message).toBe('"first" of transactions must be between 0 and 100 (got 1000).');
  });

  it('a bad cursor and a bad date', async () => {
    const cursor = await stack.query('{ me { accounts { transactions(after: "nope") { edges { cursor } } } } }', {}, { token: alice });
    expect(cursor.body.errors?.[0]?.message).toMatch(/after is not a cursor/);
    const date = await stack.query('{ me { accounts { transactions(from: "yesterday") { edges { cursor } } } } }', {}, { token: alice });
    expect(date.status).toBe(400);
    expect(date.body.errors?.[0]?.message).toMatch(/DateTime must be an ISO-8601/);
    const variable = await stack.query('query($f: DateTime) { me { accounts { transactions(from: $f) { edges { cursor } } } } }', { f: 'soon' }, { token: alice });
    expect(variable.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(variable.body.errors?.[0]?.message).toMatch(/DateTime must be an ISO-8601/);
  });

  it('an operation that is too deep', async () => {
    const deep = `{ me { conversations { messages { edges { node { transaction { merchant { location { city } } } } } } } } }`;
    const limited = await startTestStack({ env: { MAX_QUERY_DEPTH: '5' }, seedData: false });
    try {
      const res = await limited.query(deep, {}, { token: await limited.token({ sub: 'alice' }) });
      expect(res.status).toBe(400);
      expect(res.body.errors?.[0]?.message).toMatch(/too deep: \d+ levels, the limit is 5/);
    } finally {
      await limited.close();
    }
  });

  it('an oversized request body', async () => {
    const res = await stack.query(`{ me { displayName } } # ${'x'.repeat(70_000)}`, {}, { token: alice });
    expect(res.status).toBe(413);
    expect(res.body.errors?.[0]?.message).toMatch(/larger than/);
  });

  it('a body that is not JSON', async () => {
    const res = await fetch(stack.gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query": ' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).errors[0].message).toMatch(/not valid JSON/);
  });
});
