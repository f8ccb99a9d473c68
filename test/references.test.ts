// References are checked when they are written: a bank id must name a registered bank, a message's
// transaction must be one the sender may refer to, at the conversation's bank. Refusals are
// BAD_USER_INPUT and store nothing; someone else's id is refused exactly like a missing one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseName } from '../subgraphs/registry.ts';
import { startTestStack, type GraphQLResponse, type TestStack } from './support/stack.ts';

let stack: TestStack;
let t: Record<'alice' | 'bob' | 'nora', string>;
beforeAll(async () => {
  stack = await startTestStack();
  t = {
    alice: await stack.token({ sub: 'alice' }),
    bob: await stack.token({ sub: 'bob' }),
    nora: await stack.token({ sub: 'agent-nora', roles: ['bank_agent'], bank: 'northwind', client: 'bank-console' }),
  };
});
afterAll(() => stack?.close());

/** Runs `fn`, and checks that no database of the stack changed. */
async function storesNothing(fn: () => Promise<GraphQLResponse>): Promise<GraphQLResponse> {
  const before = await stack.snapshotDatabases();
  const res = await fn();
  const after = await stack.snapshotDatabases();
  // Decision records are written for every request; nothing else may change.
  const withoutAudit = (s: typeof before) => Object.fromEntries(Object.entries(s).map(([db, c]) => [db, { ...c, audit_decisions: 0 }]));
  expect(withoutAudit(after)).toEqual(withoutAudit(before));
  return res;
}

/** Refused before execution, or by messaging while executing (then too 400: one root field, an error and no data; gateway/client-mistakes.ts). */
const refused = (res: GraphQLResponse, message: RegExp) => {
  expect(res.status).toBe(400);
  expect(res.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  expect(res.body.errors?.[0]?.message).toMatch(message);
};

describe('a bank id that names no registered bank', () => {
  it.each([
    ['grantConsent', 'mutation { grantConsent(input: { bankId: "acme", permissions: [ACCOUNTS_BASIC], purposes: [CUSTOMER_SERVICE] }) { id } }', {}],
    ['grantConsent (in a variable)', 'mutation($i: GrantConsentInput!) { grantConsent(input: $i) { id } }', { i: { bankId: 'acme', permissions: ['ACCOUNTS_BASIC'], purposes: ['CUSTOMER_SERVICE'] } }],
    ['optInToBankMessages', 'mutation { optInToBankMessages(bankId: "acme") { optedIn } }', {}],
    ['optOutOfBankMessages', 'mutation($b: ID!) { optOutOfBankMessages(bankId: $b) { optedIn } }', { b: 'acme' }],
    ['startConversation', 'mutation { startConversation(bankId: "acme") { id } }', {}],
    ['startConversation (behind a fragment)', 'mutation { ...M } fragment M on Mutation { startConversation(bankId: "acme") { id } }', {}],
  ])('is refused by %s, and nothing is stored', async (_name, query, variables) => {
    refused(await storesNothing(() => stack.query(query, variables, { token: t.alice })), /unknown bank "acme"/);
  });

  it('a grant lists every problem at once, the unknown bank among them', async () => {
    const res = await storesNothing(() =>
      stack.query('mutation { grantConsent(input: { bankId: "", permissions: [TRANSACTIONS_BASIC], purposes: [], expiresAt: "2001-01-01T00:00:00Z" }) { id } }', {}, { token: t.alice }),
    );
    refused(res, /invalid consent: unknown bank ""/);
    expect(res.body.errors?.[0]?.extensions?.problems).toEqual([
      expect.stringMatching(/unknown bank ""/),
      'every consent needs ACCOUNTS_BASIC or ACCOUNTS_DETAIL',
      'transaction permissions need TRANSACTIONS_CREDITS and/or TRANSACTIONS_DEBITS',
      'purposes must not be empty',
      'expiresAt is in the past',
    ]);
  });

  it.each([
    ['a variable default', 'mutation($b: ID! = "phantom-bank") { optInToBankMessages(bankId: $b) { optedIn } }', {}],
    ['a variable default, under @include with a default', 'mutation($b: ID! = "phantom-bank", $i: Boolean = true) { startConversation(bankId: $b) @include(if: $i) { id } }', {}],
    ['an integer, which ID coerces to a string', 'mutation($b: ID!) { optInToBankMessages(bankId: $b) { optedIn } }', { b: 404 }],
  ])('is refused when it comes as %s', async (_name, query, variables) => {
    refused(await storesNothing(() => stack.query(query, variables, { token: t.alice })), /unknown bank "(phantom-bank|404)"/);
  });

  it('a registered one is accepted', async () => {
    const res = await stack.query('mutation { optInToBankMessages(bankId: "contoso") { optedIn } }', {}, { token: t.alice });
    expect(res.body.data.optInToBankMessages.optedIn).toBe(true);
  });
});

describe('an invalid grant', () => {
  it("is refused before the directory links the user to the bank: bob's relationships stay as they were", async () => {
    const relationships = async () => ((await stack.client.db(databaseName(stack.dbPrefix, 'user-profile')).collection<{ _id: string; bankIds?: string[] }>('users').findOne({ _id: 'bob' }))?.bankIds ?? []).sort();
    const before = await relationships();
    expect(before).not.toContain('contoso');
    const res = await storesNothing(() =>
      stack.query('mutation { grantConsent(input: { bankId: "contoso", permissions: [ACCOUNTS_BASIC, MERCHANT_LOCATION_PRECISE], purposes: [CUSTOMER_SERVICE] }) { id } }', {}, { token: t.bob }),
    );
    refused(res, /MERCHANT_LOCATION_PRECISE needs MERCHANT_LOCATION_COARSE/);
    expect(await relationships()).toEqual(before);
  });
});

describe("a message's transaction", () => {
  const SEND = 'mutation($c: ID!, $t: ID) { sendMessage(conversationId: $c, body: "about this payment", transactionId: $t) { id transaction { id } } }';
  const conversation = () => stack.data.messaging.conversations[0]!; // alice ↔ northwind
  const aliceTxn = (bank: 'northwind' | 'contoso') => stack.bank(bank).transactions.find((x) => x.userId === 'alice')!._id;
  const bobTxn = () => stack.bank('northwind').transactions.find((x) => x.userId === 'bob')!._id;

  it("may be the sender's own, at the conversation's bank", async () => {
    const res = await stack.query(SEND, { c: conversation()._id, t: aliceTxn('northwind') }, { token: t.alice });
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.sendMessage.transaction).toEqual({ id: aliceTxn('northwind') });
  });

  it("is refused when it is someone else's, exactly as when it does not exist; nothing is stored", async () => {
    const theirs = await storesNothing(() => stack.query(SEND, { c: conversation()._id, t: bobTxn() }, { token: t.alice }));
    const missing = await storesNothing(() => stack.query(SEND, { c: conversation()._id, t: bobTxn().replace(/_.{4}/, '_zzzz') }, { token: t.alice }));
    const nowhere = await storesNothing(() => stack.query(SEND, { c: conversation()._id, t: 'acme:txn_AAAAAAAAAAAAAAAAAAAAAA' }, { token: t.alice }));
    const malformed = await storesNothing(() => stack.query(SEND, { c: conversation()._id, t: 'txn_00004' }, { token: t.alice }));
    for (const res of [theirs, missing, nowhere, malformed]) refused(res, /transactionId does not name a card transaction you can refer to/);
    expect(missing.body).toEqual(theirs.body);
  });

  it.each([
    ['a variable default', 'mutation($c: ID!, $t: ID = "TXN") { sendMessage(conversationId: $c, body: "x", transactionId: $t) { id } }'],
    ['a variable default, the conversation too', 'mutation($c: ID! = "CONV", $t: ID = "TXN") { sendMessage(conversationId: $c, body: "x", transactionId: $t) { id } }'],
    ['a literal under @include with a defaulted variable', 'mutation($c: ID!, $i: Boolean = true) { sendMessage(conversationId: $c, body: "x", transactionId: "TXN") @include(if: $i) { id } }'],
  ])("someone else's, as %s, is refused too", async (_name, template) => {
    const query = template.replace('TXN', bobTxn()).replace('CONV', conversation()._id);
    const variables = query.includes('$c: ID! =') ? {} : { c: conversation()._id };
    for (const token of [t.alice, t.nora]) refused(await storesNothing(() => stack.query(query, variables, { token })), /transactionId does not name a card transaction you can refer to/);
  });

  it("is refused when it is at another bank than the conversation's", async () => {
    const res = await storesNothing(() => stack.query(SEND, { c: conversation()._id, t: aliceTxn('contoso') }, { token: t.alice }));
    refused(res, /conversation's bank/);
    expect(res.body.data).toBeNull();
  });

  it("an agent may refer to their bank's transactions; it still resolves for the customer under the customer's own rules", async () => {
    const res = await stack.query(SEND, { c: conversation()._id, t: aliceTxn('northwind') }, { token: t.nora });
    expect(res.body.errors).toBeUndefined();
    refused(await storesNothing(() => stack.query(SEND, { c: conversation()._id, t: aliceTxn('contoso') }, { token: t.nora })), /transactionId does not name/);
  });

  it("an agent cannot attach another customer's transaction to this customer's conversation, though the agent may look it up", async () => {
    // bob's transaction is at the same bank: the agent may reference it on its own...
    // (a reference only: bob consented to nothing, so each of its fields is still denied)
    const lookup = await stack.query('query($t: ID!) { cardTransaction(id: $t) { __typename } }', { t: bobTxn() }, { token: t.nora });
    expect(lookup.body.data.cardTransaction).toEqual({ __typename: 'CardTransaction' });
    // ...but not in alice's conversation: refused like a missing id, nothing stored.
    const theirs = await storesNothing(() => stack.query(SEND, { c: conversation()._id, t: bobTxn() }, { token: t.nora }));
    const missing = await storesNothing(() => stack.query(SEND, { c: conversation()._id, t: bobTxn().replace(/_.{4}/, '_zzzz') }, { token: t.nora }));
    refused(theirs, /transactionId does not name a card transaction you can refer to/);
    expect(missing.body).toEqual(theirs.body);
  });

  it("a conversation the sender is not in is refused by messaging's own rule, whatever the transaction", async () => {
    const res = await storesNothing(() => stack.query(SEND, { c: conversation()._id, t: bobTxn() }, { token: t.bob }));
    expect(res.body.data).toBeNull();
    expect(res.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});
