// Messaging opt-in and who reads message bodies.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forbiddenAt, startTestStack, type TestStack } from './support/stack.ts';

let stack: TestStack;
let t: Record<'alice' | 'bob' | 'mia' | 'leo' | 'nora' | 'carl' | 'bobThirdParty', string>;
beforeAll(async () => {
  // RATE_LIMIT_USER_IN_FLIGHT: mia sends 24 messages at once below, past the default cap of 16 operations in flight.
  stack = await startTestStack({ env: { RATE_LIMIT_USER_IN_FLIGHT: '100' } });
  t = {
    alice: await stack.token({ sub: 'alice' }),
    bob: await stack.token({ sub: 'bob' }),
    mia: await stack.token({ sub: 'mia' }),
    leo: await stack.token({ sub: 'leo' }),
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
    const before = await storedMessages();
    const res = await stack.query(SEND, { c: conversationId(), body: '   ' }, { token: t.alice });
    expect(res.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(await storedMessages()).toBe(before);
  });
});

/** Every message messaging stores: in conversations' heads and apart. */
async function storedMessages(conversation?: string) {
  const heads = await stack.dbs.messaging.collection<{ _id: string; head?: unknown[] }>('conversations').find(conversation ? { _id: conversation } : {}).toArray();
  const apart = await stack.dbs.messaging.collection('messages').countDocuments(conversation ? { conversationId: conversation } : {});
  return heads.reduce((n, c) => n + (c.head?.length ?? 0), 0) + apart;
}

describe('where messages are stored: the first 20 in the conversation, the others apart', () => {
  const PAGE = 'query($c: ID!, $first: Int, $after: String) { conversation(id: $c) { messages(first: $first, after: $after) { edges { cursor node { body } } pageInfo { hasNextPage endCursor } } } }';
  /** Every message body of a conversation, read page by page. */
  async function readAll(c: string, first: number, token = t.mia): Promise<string[]> {
    const bodies: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 50; page++) {
      const res: any = await stack.query(PAGE, { c, first, after }, { token });
      expect(res.body.errors).toBeUndefined();
      const { edges, pageInfo } = res.body.data.conversation.messages;
      bodies.push(...edges.map((e: any) => e.node.body));
      if (!pageInfo.hasNextPage) return bodies;
      after = pageInfo.endCursor;
    }
    throw new Error('no last page');
  }
  const start = async (bank: string) => (await stack.query(START, { bank }, { token: t.mia })).body.data.startConversation.id as string;

  it('25 messages: 20 kept by the conversation, 5 apart and after them; pages of any size read all of them once, in order', async () => {
    const c = await start('northwind');
    const sent = Array.from({ length: 25 }, (_, i) => `message ${i + 1}`);
    for (const body of sent) expect((await stack.query(SEND, { c, body }, { token: t.mia })).body.errors).toBeUndefined();
    const conversation = await stack.dbs.messaging.collection<{ head: Array<{ sentAt: string; body: string }> }>('conversations').findOne({ _id: c as never });
    const apart = await stack.dbs.messaging.collection<{ sentAt: string; body: string }>('messages').find({ conversationId: c }).toArray();
    expect(conversation!.head.map((m) => m.body)).toEqual(sent.slice(0, 20));
    expect(apart.map((m) => m.body).sort()).toEqual(sent.slice(20).sort());
    const lastOfHead = conversation!.head.map((m) => m.sentAt).sort().at(-1)!;
    for (const m of apart) expect(m.sentAt > lastOfHead).toBe(true);
    for (const first of [1, 3, 7, 20, 21, 100]) expect(await readAll(c, first)).toEqual(sent);
  });

  it('messages sent at once into the last places: each stored once, none lost', async () => {
    const c = await start('contoso');
    const sent = Array.from({ length: 24 }, (_, i) => `at once ${i + 1}`);
    const answers = await Promise.all(sent.map((body) => stack.query(SEND, { c, body }, { token: t.mia })));
    for (const a of answers) expect(a.body.errors).toBeUndefined();
    expect(await storedMessages(c)).toBe(24);
    expect((await readAll(c, 5)).sort()).toEqual([...sent].sort());
  });

  it('a conversation stored before 0.3 (no head: every message apart) reads and grows as before', async () => {
    const c = 'conv_legacyAAAAAAAAAAAAAAAAA';
    await stack.dbs.messaging.collection('conversations').insertOne({ _id: c as never, userId: 'leo', bankId: 'northwind', createdAt: '2026-01-01T00:00:00.000Z' });
    await stack.dbs.messaging.collection('messages').insertMany(
      [1, 2, 3].map((n) => ({ _id: `msg_legacy${n}AAAAAAAAAAAAAAAAA` as never, conversationId: c, userId: 'leo', bankId: 'northwind', sentAt: `2026-01-0${n}T00:00:00.000Z`, body: `old ${n}`, sender: 'USER', senderId: 'leo', transactionId: null })),
    );
    expect((await stack.query(SEND, { c, body: 'new' }, { token: t.leo })).body.errors).toBeUndefined();
    expect(await readAll(c, 2, t.leo)).toEqual(['old 1', 'old 2', 'old 3', 'new']);
    expect(await stack.dbs.messaging.collection('messages').countDocuments({ conversationId: c })).toBe(4);
  });

  it("a conversation list with each one's first page: one read of messaging's database, whatever the number of conversations", async () => {
    const q = '{ me { conversations { messages(first: 3) { edges { node { body } } } } } }';
    // alice: her demo conversation with northwind, and one with contoso.
    const c = (await stack.query(START, { bank: 'contoso' }, { token: t.alice })).body.data.startConversation.id;
    for (const body of ['one', 'two', 'three']) await stack.query(SEND, { c, body }, { token: t.alice });
    const { result, commands } = await stack.commands.watch(() => stack.query(q, {}, { token: t.alice }));
    expect(result.body.errors).toBeUndefined();
    const conversations = result.body.data.me.conversations;
    expect(conversations.length).toBe(2);
    expect(conversations.every((c: any) => c.messages.edges.length === 3)).toBe(true);
    const reads = commands.filter((c) => c.db.endsWith('messaging') && ['find', 'aggregate'].includes(c.name));
    expect(reads.map((c) => c.collection)).toEqual(['conversations']);
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
