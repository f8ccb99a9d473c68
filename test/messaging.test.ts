// Messaging opt-in and who reads message bodies.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forbiddenAt, startTestStack, type TestStack } from './support/stack.ts';

let stack: TestStack;
let t: Record<'alice' | 'bob' | 'nora' | 'carl' | 'bobThirdParty', string>;
beforeAll(async () => {
  stack = await startTestStack();
  t = {
    alice: await stack.token({ sub: 'alice' }),
    bob: await stack.token({ sub: 'bob' }),
    bobThirdParty: await stack.token({ sub: 'bob', client: 'partner-app' }),
    nora: await stack.token({ sub: 'agent-nora', roles: ['bank_agent'], bank: 'northwind', client: 'bank-console' }),
    carl: await stack.token({ sub: 'agent-carl', roles: ['bank_agent'], bank: 'contoso', client: 'bank-console' }),
  };
});
afterAll(() => stack?.close());

const conversationId = () => stack.data.messaging.conversations[0]!._id;
const START = 'mutation($bank: ID!, $user: ID) { startConversation(bankId: $bank, userId: $user) { id } }';
const SEND = 'mutation($c: ID!, $body: String!, $t: ID) { sendMessage(conversationId: $c, body: $body, transactionId: $t) { id sender body } }';

describe('messaging opt-in', () => {
  it('a bank may not start a conversation before the user opted in, and may after', async () => {
    const before = await stack.query(START, { bank: 'northwind', user: 'bob' }, { token: t.nora });
    expect(forbiddenAt(before, 'startConversation')).toBe('OPT_IN_REQUIRED');
    expect(await stack.dbs.messaging.collection('conversations').countDocuments({ userId: 'bob' })).toBe(0);

    const optIn = await stack.query('mutation { optInToBankMessages(bankId: "northwind") { optedIn bank { id } } }', {}, { token: t.bob });
    expect(optIn.body.data.optInToBankMessages).toEqual({ optedIn: true, bank: { id: 'northwind' } });
    const after = await stack.query(START, { bank: 'northwind', user: 'bob' }, { token: t.nora });
    const conversationId = after.body.data.startConversation.id;
    const sent = await stack.query(SEND, { c: conversationId, body: 'Hello Bob' }, { token: t.nora });
    expect(sent.body.data.sendMessage).toMatchObject({ sender: 'BANK', body: 'Hello Bob' });

    // Opting out closes it again for every later request; the user may still write.
    await stack.query('mutation { optOutOfBankMessages(bankId: "northwind") { optedIn } }', {}, { token: t.bob });
    const refused = await stack.query(SEND, { c: conversationId, body: 'Still there?' }, { token: t.nora });
    expect(forbiddenAt(refused, 'sendMessage')).toBe('OPT_IN_REQUIRED');
    const own = await stack.query(SEND, { c: conversationId, body: 'Yes' }, { token: t.bob });
    expect(own.body.data.sendMessage.sender).toBe('USER');
  });

  it('an agent of another bank cannot start a conversation in its name', async () => {
    const res = await stack.query(START, { bank: 'northwind', user: 'alice' }, { token: t.carl });
    expect(forbiddenAt(res, 'startConversation')).toBe('NOT_OWNER');
  });

  it('the user may always open a conversation with a bank', async () => {
    const res = await stack.query(START, { bank: 'contoso' }, { token: t.bob });
    expect(res.body.data.startConversation.id).toMatch(/^conv_[A-Za-z0-9_-]{22}$/);
  });

  it('rejects an empty message with a clear error and stores nothing', async () => {
    const before = await stack.dbs.messaging.collection('messages').countDocuments();
    const res = await stack.query(SEND, { c: conversationId(), body: '   ' }, { token: t.alice });
    expect(res.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(await stack.dbs.messaging.collection('messages').countDocuments()).toBe(before);
  });
});

describe('message bodies', () => {
  const BODIES = 'query($c: ID!) { conversation(id: $c) { messages { edges { node { body } } } } }';
  const bodies = (token: string, c = conversationId()) => stack.query(BODIES, { c }, { token });

  it('are visible to the participants', async () => {
    for (const token of [t.alice, t.nora]) {
      const res = await bodies(token);
      expect(res.body.data.conversation.messages.edges.length).toBeGreaterThanOrEqual(4);
    }
  });

  it.each([
    ['another user', 'bob'],
    ['an agent of another bank', 'carl'],
  ] as const)("are not visible to %s, who gets the same answer as for a conversation that does not exist", async (_name, who) => {
    const theirs = await bodies(t[who]);
    const missing = await bodies(t[who], 'conv_AAAAAAAAAAAAAAAAAAAAAA');
    for (const res of [theirs, missing]) expect(res.body).toEqual({ data: { conversation: null } });
  });

  it('are not visible to a third-party client', async () => {
    const res = await bodies(t.bobThirdParty);
    expect(res.body.data.conversation).toBeNull();
    expect(JSON.stringify(res.body)).not.toContain(stack.data.messaging.messages[0]!.body);
  });

  it('another user cannot post into a conversation that is not theirs', async () => {
    const res = await stack.query(SEND, { c: conversationId(), body: 'hi' }, { token: t.bob });
    expect(forbiddenAt(res, 'sendMessage')).toBe('NOT_OWNER');
    const missing = await stack.query(SEND, { c: 'conv_AAAAAAAAAAAAAAAAAAAAAA', body: 'hi' }, { token: t.bob });
    expect(missing.body.errors).toEqual(res.body.errors);
  });

  it("a referenced transaction resolves under the bank's rules, not messaging's", async () => {
    const q = `{ conversation(id: "${conversationId()}") { messages(first: 1) { edges { node { transaction { amount { minorUnits } } } } } } }`;
    const asAlice = await stack.query(q, {}, { token: t.alice });
    expect(asAlice.body.data.conversation.messages.edges[0].node.transaction.amount.minorUnits).toBeTypeOf('number');
    const insights = await stack.token({ sub: 'alice', purpose: 'spending_insights' });
    const other = await stack.query(q, {}, { token: insights });
    expect(other.body.data.conversation.messages.edges[0].node.transaction).toBeNull();
    expect(other.body.errors?.some((e) => e.extensions?.reason === 'PURPOSE_NOT_ALLOWED')).toBe(true);
  });
});
