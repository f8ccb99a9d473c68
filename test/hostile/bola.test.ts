// Broken object-level authorization through the public API: ids that alice obtained as their
// owner (never written into the test) are tried by bob, by an agent of another bank, by a
// third-party app and anonymously. Every attempt is refused at the field, nothing of alice's
// leaks, and nothing is written.
import { beforeAll, describe, expect, it } from 'vitest';
import { afterTheSuite, expectDenied, expectNoInternals, expectRefusal, hostileStack } from './support.ts';

const hostile = hostileStack();

interface Owned {
  accountId: string;
  balance: number;
  transactionId: string;
  amount: number;
  consentId: string;
  conversationId: string;
  messageBody: string;
  email: string;
}

let alice: Owned;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  const s = hostile.stack;
  tokens.alice = await s.token({ sub: 'alice' });
  tokens.bob = await s.token({ sub: 'bob' });
  tokens.aliceThirdParty = await s.token({ sub: 'alice', client: 'partner-app' });
  tokens.contosoAgent = await s.token({ sub: 'agent-carl', roles: ['bank_agent'], bank: 'contoso', client: 'bank-console' });
  const res = await s.query(
    `{ me { email accounts { id balance { minorUnits } transactions(first: 1) { edges { node { id amount { minorUnits } } } } }
            consents { id status } conversations { id messages(first: 1) { edges { node { body } } } } } }`,
    {},
    { token: tokens.alice },
  );
  const me = res.body.data.me;
  const account = me.accounts[0];
  const conversation = me.conversations.find((c: any) => c.messages.edges.length > 0);
  alice = {
    accountId: account.id,
    balance: account.balance.minorUnits,
    transactionId: account.transactions.edges[0].node.id,
    amount: account.transactions.edges[0].node.amount.minorUnits,
    consentId: me.consents.find((c: any) => c.status === 'ACTIVE').id,
    conversationId: conversation.id,
    messageBody: conversation.messages.edges[0].node.body,
    email: me.email,
  };
});

/** An id of the same bank and kind as `id` that names nothing. */
const missing = (id: string) => id.replace(/_[\w-]+$/, `_${'A'.repeat(22)}`);

/** Someone else's object answers exactly like a missing one: null, and nothing that tells them apart. */
async function expectLikeMissing(query: string, id: string, token: string, path: string) {
  const theirs = await hostile.stack.query(query, { id }, { token });
  const none = await hostile.stack.query(query, { id: missing(id) }, { token });
  expect(theirs.status).toBe(200);
  expect(theirs.body.data?.[path]).toBeNull();
  expect(theirs.body).toEqual(none.body);
  expectNoInternals(theirs, leaked());
}

const leaked = () => [alice.balance, alice.email, alice.messageBody].filter((v) => typeof v === 'string' || Math.abs(Number(v)) >= 100);

describe("bob, with alice's ids", () => {
  it('reads her account by id: answered like a missing id', () =>
    expectLikeMissing('query($id: ID!) { bankAccount(id: $id) { id balance { minorUnits } accountNumber } }', alice.accountId, tokens.bob!, 'bankAccount'));

  it('reads her card transaction by id: answered like a missing id', () =>
    expectLikeMissing('query($id: ID!) { cardTransaction(id: $id) { amount { minorUnits } merchant { name } } }', alice.transactionId, tokens.bob!, 'cardTransaction'));

  it('revokes her consent (and it stays active)', async () => {
    const res = await hostile.stack.query('mutation($id: ID!) { revokeConsent(id: $id) { status } }', { id: alice.consentId }, { token: tokens.bob });
    expect(res.body.data?.revokeConsent ?? null).toBeNull();
    expect(res.body.errors?.find((e) => e.path?.[0] === 'revokeConsent')?.extensions?.code).toMatch(/^(FORBIDDEN|NOT_FOUND)$/);
    expectNoInternals(res, leaked());
    const mine = await hostile.stack.query('{ me { consents { id status } } }', {}, { token: tokens.alice });
    expect(mine.body.data.me.consents.find((c: any) => c.id === alice.consentId).status).toBe('ACTIVE');
  });

  it('reads her conversation by id', async () => {
    const res = await hostile.stack.query('query($id: ID!) { conversation(id: $id) { id messages { edges { node { body } } } } }', { id: alice.conversationId }, { token: tokens.bob });
    expect(res.body.data?.conversation ?? null).toBeNull();
    expectNoInternals(res, leaked());
  });

  it('posts into her conversation', async () => {
    const res = await hostile.stack.query('mutation($c: ID!) { sendMessage(conversationId: $c, body: "pay me") { id } }', { c: alice.conversationId }, { token: tokens.bob });
    expectDenied(res, 'sendMessage', 'NOT_OWNER', leaked());
  });

  it('attaches her transaction to his own message', async () => {
    const own = await hostile.stack.query('{ me { conversations { id } } }', {}, { token: tokens.bob });
    const conversations = own.body.data.me.conversations ?? [];
    if (conversations.length === 0) {
      // bob has no conversation in the demo data: the attempt then needs one, which is a legitimate write.
      const started = await hostile.stack.query('mutation { startConversation(bankId: "northwind") { id } }', {}, { token: tokens.bob });
      conversations.push(started.body.data.startConversation);
      hostile.expectWrite('messaging/conversations');
    }
    const res = await hostile.stack.query(
      'mutation($c: ID!, $t: ID) { sendMessage(conversationId: $c, body: "look", transactionId: $t) { id transaction { amount { minorUnits } } } }',
      { c: conversations[0].id, t: alice.transactionId },
      { token: tokens.bob },
    );
    // Refusing the reference at write time is the bank side's part; whatever is stored, bob never sees her amount.
    if (res.body.data?.sendMessage) hostile.expectWrite('messaging/conversations.head'); // a new conversation keeps its first messages itself
    expect(JSON.stringify(res.body)).not.toContain(`"minorUnits":${alice.amount}`);
    expectNoInternals(res, leaked());
  });

  it.each([
    ['private contact fields', '{ user(id: "alice") { email phone } }', 'user.email'],
    ['accounts', '{ user(id: "alice") { accounts { id balance { minorUnits } } } }', 'user.accounts'],
    ['consents', '{ user(id: "alice") { consents { id permissions } } }', 'user.consents'],
    ['access log', '{ user(id: "alice") { accessLog { at fields } } }', 'user.accessLog'],
    ['conversations', '{ user(id: "alice") { conversations { id } } }', 'user.conversations'],
    ['messaging opt-ins', '{ user(id: "alice") { messagingOptIns { optedIn } } }', 'user.messagingOptIns'],
  ])("reads her %s through user(id:)", async (_what, query, path) => {
    expectDenied(await hostile.stack.query(query, {}, { token: tokens.bob }), path, /NOT_OWNER|NOT_AUTHENTICATED|CONSENT_REQUIRED/, leaked());
  });

  it('reads the decision records (security reviewers only)', async () => {
    expectDenied(await hostile.stack.query('{ auditEvents(first: 5) { edges { node { id viewerId } } } }', {}, { token: tokens.bob }), 'auditEvents', /.+/, leaked());
  });
});

describe('others with her ids', () => {
  it('an agent of another bank reads her account: answered like a missing id', () =>
    expectLikeMissing('query($id: ID!) { bankAccount(id: $id) { balance { minorUnits } } }', alice.accountId, tokens.contosoAgent!, 'bankAccount'));

  it('an agent of another bank reads her conversation', async () => {
    const res = await hostile.stack.query('query($id: ID!) { conversation(id: $id) { messages { edges { node { body } } } } }', { id: alice.conversationId }, { token: tokens.contosoAgent });
    expect(res.body.data?.conversation ?? null).toBeNull();
    expectNoInternals(res, leaked());
  });

  it('a third-party app, with her own token, reads her transaction', async () => {
    const res = await hostile.stack.query('query($id: ID!) { cardTransaction(id: $id) { amount { minorUnits } } }', { id: alice.transactionId }, { token: tokens.aliceThirdParty });
    expectDenied(res, 'cardTransaction', 'THIRD_PARTY_CLIENT', leaked());
  });

  it('an anonymous caller reads her account', async () => {
    const res = await hostile.stack.query('query($id: ID!) { bankAccount(id: $id) { balance { minorUnits } } }', { id: alice.accountId });
    expectDenied(res, 'bankAccount', 'NOT_AUTHENTICATED', leaked());
  });

  it("federation's entry points are not part of the public API", async () => {
    const res = await hostile.stack.query('query($r: [_Any!]!) { _entities(representations: $r) { ... on User { email } } }', { r: [{ __typename: 'User', id: 'alice' }] }, { token: tokens.bob });
    expectRefusal(res, 400, 'GRAPHQL_VALIDATION_FAILED', leaked());
  });

  it.each([
    ['link her to a bank in the directory', 'mutation { linkUserToBank(bankId: "contoso") }'],
    ["plant decision records about her, as the gateway's own", 'mutation { recordDecisionsWithoutBank(userIds: ["alice"], fields: ["accounts"]) }'],
  ])("the gateway's own calls to user-profile are not part of the public API either: %s", async (_what, mutation) => {
    expectRefusal(await hostile.stack.query(mutation, {}, { token: tokens.bob }), 400, 'GRAPHQL_VALIDATION_FAILED', leaked());
  });

  it('the owner still sees everything (control)', async () => {
    const res = await hostile.stack.query('query($id: ID!) { bankAccount(id: $id) { balance { minorUnits } } }', { id: alice.accountId }, { token: tokens.alice });
    expect(res.body.data.bankAccount.balance.minorUnits).toBe(alice.balance);
  });
});

afterTheSuite(hostile);
