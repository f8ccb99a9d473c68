// Data-subject rights, from the outside: a user exports everything the graph holds about them as
// one JSON document (`myData`), and erases it (`eraseMyData`) from every subgraph and bank; only
// the user themself, in a first-party app, may do either (anyone else is refused, and the refusal
// recorded by user-profile). After erasure nothing personal remains in any database of the stack,
// the decision records stay (pseudonymized), and every hash chain still verifies. A bank that is
// down makes both incomplete, said so, and an erasure asked again completes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pseudonymizer, verifyChains } from '@consent-gateway/kit/audit-chain';
import { AUDIT_COLLECTION, createMongoAuditStore } from '@consent-gateway/kit/audit-mongo';
import { bankServiceName, PLATFORM_SUBGRAPHS } from '../subgraphs/catalog.ts';
import { forbiddenAt, startTestStack, type TestStack } from './support/stack.ts';

let stack: TestStack;
let t: Record<'alice' | 'bob' | 'nora', string>;
const SECRET_WORDS = 'Quartzite penguins audit the marmalade ledger';
const MY_DATA = '{ myData { exportedAt complete unavailable document } }';
const ERASE = 'mutation { eraseMyData { requestedAt complete steps { service status counts } } }';

// Erasure rewrites every row linked to the user at each bank (a thousand transactions of alice's at
// Northwind), which the embedded test database does slowly when the machine is busy: room for it.
const ERASURE_DEADLINE_MS = 110_000;

beforeAll(async () => {
  stack = await startTestStack({ env: { DATA_SUBJECT_TIMEOUT_MS: String(ERASURE_DEADLINE_MS) } });
  t = {
    alice: await stack.token({ sub: 'alice' }),
    bob: await stack.token({ sub: 'bob' }),
    nora: await stack.token({ sub: 'agent-nora', roles: ['bank_agent'], bank: 'northwind', client: 'bank-console' }),
  };
  // alice leaves traces everywhere: a consent at Contoso, an opt-in, a conversation and a message,
  // reads of her data by herself and by Northwind's agent; bob leaves his own.
  const granted = await stack.query('mutation { grantConsent(input: { bankId: "contoso", permissions: [ACCOUNTS_BASIC, BALANCES], purposes: [ACCOUNT_OVERVIEW] }) { id } }', {}, { token: t.alice });
  expect(granted.body.errors).toBeUndefined();
  await stack.query('mutation { optInToBankMessages(bankId: "contoso") { optedIn } }', {}, { token: t.alice });
  const started = await stack.query('mutation { startConversation(bankId: "contoso") { id } }', {}, { token: t.alice });
  const sent = await stack.query('mutation($c: ID!, $b: String!) { sendMessage(conversationId: $c, body: $b) { id } }', { c: started.body.data.startConversation.id, b: SECRET_WORDS }, { token: t.alice });
  expect(sent.body.errors).toBeUndefined();
  await stack.query('{ me { displayName email phone accounts { balance { minorUnits } } conversations { id } accessLog { at } } }', {}, { token: t.alice });
  await stack.query('{ user(id: "alice") { accounts { balance { minorUnits } } } }', {}, { token: t.nora });
  await stack.query('mutation { grantConsent(input: { bankId: "contoso", permissions: [ACCOUNTS_BASIC], purposes: [CUSTOMER_SERVICE] }) { id } }', {}, { token: t.bob });
  await stack.query('{ me { email accounts { id } } }', {}, { token: t.bob });
});
afterAll(() => stack?.close());

const alice = () => stack.data.userProfile.users.find((u) => u._id === 'alice')!;
const stores = () => ({ ...Object.fromEntries(PLATFORM_SUBGRAPHS.map((n) => [n, stack.dbs[n]])), ...Object.fromEntries(Object.entries(stack.dbs.banks).map(([id, db]) => [bankServiceName(id), db])) });

/** Decisions on the data-subject fields that each store recorded, by store and outcome. */
async function dataSubjectDecisions(): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const [service, db] of Object.entries(stores())) {
    for (const outcome of ['ALLOW', 'DENY']) counts[`${service} ${outcome}`] = await db.collection(AUDIT_COLLECTION).countDocuments({ field: { $in: ['Query.myData', 'Mutation.eraseMyData'] }, outcome });
  }
  return counts;
}

/** Every document of every collection of every database of the stack, as text, with where it is. */
async function everyDocument(): Promise<Array<{ where: string; text: string }>> {
  const found: Array<{ where: string; text: string }> = [];
  const { databases } = await stack.client.db().admin().listDatabases({ nameOnly: true });
  for (const { name } of databases.filter((d) => d.name.startsWith(stack.dbPrefix))) {
    for (const { name: collection } of await stack.client.db(name).listCollections({}, { nameOnly: true }).toArray()) {
      for (const doc of await stack.client.db(name).collection(collection).find().toArray()) found.push({ where: `${name}.${collection}`, text: JSON.stringify(doc) });
    }
  }
  return found;
}

describe('export: myData', () => {
  it('gives the user everything the graph holds about them, from every subgraph and bank, as one JSON document', async () => {
    const res = await stack.query(MY_DATA, {}, { token: t.alice });
    expect(res.body.errors).toBeUndefined();
    const { complete, unavailable, document } = res.body.data.myData;
    expect([complete, unavailable]).toEqual([true, []]);
    expect(document).toMatchObject({ format: 'consent-gateway/data-export/v1', userId: 'alice', complete: true });
    expect(Object.keys(document.services).sort()).toEqual(['bank:contoso', 'bank:northwind', 'messaging', 'user-profile']);
    const { 'user-profile': profile, messaging, 'bank:northwind': northwind, 'bank:contoso': contoso } = document.services;
    expect(profile.profile).toEqual({ id: 'alice', displayName: alice().displayName, avatarUrl: null, email: alice().email, phone: alice().phone });
    expect(profile.bankDirectory).toEqual(['contoso', 'northwind']);
    const conversation = messaging.conversations.find((c: any) => c.bankId === 'contoso');
    expect(conversation.messages).toEqual([expect.objectContaining({ sender: 'USER', body: SECRET_WORDS })]);
    expect(messaging.conversations.find((c: any) => c.bankId === 'northwind').messages.length).toBeGreaterThan(0);
    expect(messaging.messagingOptIns).toEqual(expect.arrayContaining([expect.objectContaining({ bankId: 'contoso', optedIn: true })]));
    const consent = northwind.consents[0];
    expect(consent).toMatchObject({ id: stack.bank('northwind').consents[0]!._id, status: 'ACTIVE', receipt: { userId: 'alice', thirdPartyDisclosure: false }, events: [expect.objectContaining({ type: 'GRANTED' })] });
    expect(contoso.consents).toEqual([expect.objectContaining({ status: 'ACTIVE', permissions: ['ACCOUNTS_BASIC', 'BALANCES'], purposes: ['account_overview'] })]);
    expect(northwind.accessLog).toEqual(expect.arrayContaining([expect.objectContaining({ viewerKind: 'BANK_AGENT', viewerId: 'agent-nora', fields: expect.arrayContaining(['BankAccount.balance']) })]));
    expect(profile.accessLog).toEqual(expect.arrayContaining([expect.objectContaining({ viewerId: 'alice', fields: expect.arrayContaining(['User.email', 'User.phone']) })]));
    // Hers only: nothing of bob's.
    expect(JSON.stringify(document)).not.toMatch(/bob/i);
  });

  it("says which part is missing when a bank does not answer: never silently partial", async () => {
    await stack.banks.contoso!.stop();
    try {
      const res = await stack.query(MY_DATA, {}, { token: t.alice });
      expect(res.body.data.myData).toMatchObject({ complete: false, unavailable: ['bank:contoso'], document: { complete: false, unavailable: ['bank:contoso'] } });
      expect(res.body.data.myData.document.services['bank:contoso']).toBeUndefined();
      expect(res.body.errors).toEqual([expect.objectContaining({ path: ['myData'], extensions: expect.objectContaining({ code: 'SUBGRAPH_UNAVAILABLE', bank: 'contoso' }) })]);
    } finally {
      await stack.banks.contoso!.start();
    }
  });
});

describe('who may', () => {
  it('export and erase: the user themself in a first-party app, nobody else; nobody else makes the gateway ask any store for data, and each refusal is recorded', async () => {
    const before = await dataSubjectDecisions();
    const others = {
      'a third-party app': await stack.token({ sub: 'alice', client: 'partner-app' }),
      "the bank's agent": t.nora,
      'a security reviewer': await stack.token({ sub: 'rita', roles: ['security_reviewer'] }),
      'an anonymous caller': undefined,
    };
    for (const [who, token] of Object.entries(others)) {
      for (const [query, field] of [[MY_DATA, 'myData'], [ERASE, 'eraseMyData']] as const) {
        const res = await stack.query(query, {}, { token });
        expect(res.body.data?.[field] ?? null, who).toBeNull();
        expect(forbiddenAt(res, field), who).toMatch(/THIRD_PARTY_CLIENT|NOT_OWNER|NOT_AUTHENTICATED/);
      }
    }
    // No store was asked for anything (no store allowed anything); each of the 8 refusals is
    // recorded once, by user-profile, which keeps the gateway's own decisions.
    const after = await dataSubjectDecisions();
    expect(Object.fromEntries(Object.keys(after).map((k) => [k, after[k]! - before[k]!]))).toEqual({
      'user-profile ALLOW': 0,
      'user-profile DENY': 8,
      'messaging ALLOW': 0,
      'messaging DENY': 0,
      'bank-contoso ALLOW': 0,
      'bank-contoso DENY': 0,
      'bank-northwind ALLOW': 0,
      'bank-northwind DENY': 0,
    });
    // A reviewer finds them.
    const reviewer = await stack.token({ sub: 'rita', roles: ['security_reviewer'], client: 'messenger-web' });
    const found = await stack.query('{ auditEvents(filter: { field: "Mutation.eraseMyData", outcome: DENY }) { edges { node { viewerId client reason subgraph rule } } } }', {}, { token: reviewer });
    const refused = found.body.data.auditEvents.edges.map((e: any) => e.node);
    expect(refused.map((d: any) => `${d.viewerId}/${d.client}/${d.reason}`).sort()).toEqual([
      'agent-nora/bank-console/NOT_OWNER',
      'alice/partner-app/THIRD_PARTY_CLIENT',
      'null/null/NOT_AUTHENTICATED',
      'rita/messenger-web/NOT_OWNER',
    ]);
    for (const d of refused) expect(d).toMatchObject({ subgraph: 'user-profile', rule: 'isFirstPartyUser' });
    // alice is still all there.
    expect((await stack.query('{ me { email } }', {}, { token: t.alice })).body.data.me.email).toBe(alice().email);
  });
});

describe('erasure: eraseMyData', () => {
  it('with a bank down, is incomplete and names the bank; asked again, completes', async () => {
    await stack.banks.contoso!.stop();
    let first;
    try {
      first = await stack.query(ERASE, {}, { token: t.alice });
    } finally {
      await stack.banks.contoso!.start();
    }
    const report = first.body.data.eraseMyData;
    expect(report.complete).toBe(false);
    expect(Object.fromEntries(report.steps.map((s: any) => [s.service, s.status]))).toEqual({ 'user-profile': 'DONE', messaging: 'DONE', 'bank:contoso': 'FAILED', 'bank:northwind': 'DONE' });
    expect(first.body.errors).toEqual([expect.objectContaining({ path: ['eraseMyData'], extensions: expect.objectContaining({ code: 'SUBGRAPH_UNAVAILABLE', bank: 'contoso' }) })]);

    const again = await stack.query(ERASE, {}, { token: t.alice });
    expect(again.body.errors).toBeUndefined();
    expect(again.body.data.eraseMyData.complete).toBe(true);
    const contoso = again.body.data.eraseMyData.steps.find((s: any) => s.service === 'bank:contoso');
    expect(contoso).toMatchObject({ status: 'DONE', counts: { consentsRevoked: 1, accountsUnlinked: 1 } });
  }, 2 * ERASURE_DEADLINE_MS + 10_000);

  it('leaves nothing personal of the user in any database of the stack', async () => {
    const messages = stack.data.messaging.messages.filter((m) => m.userId === 'alice').map((m) => m.body);
    const needles = ['alice', alice().email!, alice().phone!, alice().displayName!, SECRET_WORDS, ...messages];
    const documents = await everyDocument();
    expect(documents.length).toBeGreaterThan(1000);
    const leftovers = documents.flatMap(({ where, text }) => needles.filter((needle) => text.toLowerCase().includes(needle.toLowerCase())).map((needle) => `${where}: ${needle}`));
    expect(leftovers).toEqual([]);
    // bob is untouched.
    expect((await stack.query('{ me { email consents { status } } }', {}, { token: t.bob })).body.data.me).toMatchObject({ email: 'bob@example.org', consents: [{ status: 'ACTIVE' }] });
  });

  it('keeps the decision records, pseudonymized, and every hash chain of every store still verifies', async () => {
    for (const [service, db] of Object.entries(stores())) {
      const pseudonym = pseudonymizer(stack.auditKeys[service]!);
      const records = db.collection(AUDIT_COLLECTION);
      expect(await records.countDocuments({ subjectRef: pseudonym('alice') }), service).toBeGreaterThan(0);
      expect(await records.countDocuments({ $or: [{ viewerId: 'alice' }, { subjectUserId: 'alice' }] }), service).toBe(0);
      const report = await verifyChains(createMongoAuditStore(db).allRecords(), { pseudonym });
      expect(report.breaks, service).toEqual([]);
      expect(report.records).toBe(await records.countDocuments());
    }
  });

  it('revokes her consents, which keep their history under her pseudonym', async () => {
    const pseudonym = pseudonymizer(stack.auditKeys['bank-northwind']!)('alice');
    const consent = await stack.dbs.banks.northwind!.collection('consents').findOne({ _id: stack.bank('northwind').consents[0]!._id as never });
    expect(consent).toMatchObject({ userId: pseudonym, revokedAt: expect.any(String), receipt: { userId: pseudonym } });
    expect(consent!.events.map((e: any) => [e.type, e.initiator])).toEqual([['GRANTED', pseudonym], ['REVOKED', pseudonym]]);
  });

  it('after erasure, the graph holds nothing of her: her export is empty', async () => {
    expect((await stack.query('{ me { displayName } }', {}, { token: t.alice })).body.data.me).toBeNull();
    const { document } = (await stack.query(MY_DATA, {}, { token: t.alice })).body.data.myData;
    expect(document.services['user-profile']).toMatchObject({ profile: null, bankDirectory: [] });
    expect(document.services.messaging).toMatchObject({ conversations: [], messagingOptIns: [] });
    for (const bank of ['bank:contoso', 'bank:northwind']) expect(document.services[bank].consents).toEqual([]);
  });
});
