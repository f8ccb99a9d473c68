// Every partner bank runs its own bank subgraph over its own database; the gateway routes each
// bank-bound fetch to the banks concerned. Proven from the outside and from the banks' own request
// logs: which bank is asked, how often, with what; where rows end up at rest; and that a bank joins
// with a registry entry, without a restart. (A bank that goes down: test/bank-failure.test.ts.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bankCollections } from '@consent-gateway/kit/bank-mongo';
import type { RequestLogEntry } from '@consent-gateway/kit/create-subgraph';
import { readFileSync, writeFileSync } from 'node:fs';
import { bankDatabaseName } from '../subgraphs/registry.ts';
import { serveBank } from '../subgraphs/bank/serve.ts';
import { createPublicKey } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTestStack, type TestStack } from './support/stack.ts';

let stack: TestStack;
let t: Record<'alice' | 'bob' | 'carol' | 'nora', string>;
beforeAll(async () => {
  stack = await startTestStack();
  t = {
    alice: await stack.token({ sub: 'alice' }),
    bob: await stack.token({ sub: 'bob' }),
    carol: await stack.token({ sub: 'carol' }),
    nora: await stack.token({ sub: 'agent-nora', roles: ['bank_agent'], bank: 'northwind', client: 'bank-console' }),
  };
});
afterAll(() => stack?.close());

const BANKS = ['northwind', 'contoso'] as const;
const log = (bank: string): RequestLogEntry[] => stack.banks[bank]!.requests;
/** How many requests each bank received while `fn` ran. */
async function callsDuring(fn: () => Promise<unknown>): Promise<Record<string, number>> {
  const before = Object.fromEntries(BANKS.map((b) => [b, log(b).length]));
  await fn();
  return Object.fromEntries(BANKS.map((b) => [b, log(b).length - before[b]!]));
}
/**
 * An HTTP gate in front of a bank: each call waits (up to a second) until a call made for another
 * user (the internal token's subject) is waiting too, then both go on; `overlaps` counts how often
 * calls of two users were in flight at once.
 */
async function overlapGate(target: string) {
  const waiting: Array<{ user: string; go: () => void }> = [];
  let overlaps = 0;
  const userOf = (req: IncomingMessage) => JSON.parse(Buffer.from(String(req.headers.authorization).split('.')[1]!, 'base64url').toString()).sub as string;
  const server = createServer(async (req, res) => {
    const user = userOf(req);
    await new Promise<void>((go) => {
      const other = waiting.findIndex((w) => w.user !== user);
      if (other >= 0) {
        overlaps++;
        waiting.splice(other, 1)[0]!.go();
        go();
      } else {
        waiting.push({ user, go });
        setTimeout(go, 1_000);
      }
    });
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const answer = await fetch(`${target}${req.url}`, { method: req.method, headers: { 'content-type': 'application/json', authorization: req.headers.authorization! }, body });
    res.writeHead(answer.status, { 'content-type': 'application/json' }).end(await answer.text());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    overlaps: () => overlaps,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

const grant = (token: string, input: Record<string, unknown>) =>
  stack.query('mutation($input: GrantConsentInput!) { grantConsent(input: $input) { id status } }', { input }, { token });
const FULL = ['ACCOUNTS_BASIC', 'BALANCES', 'TRANSACTIONS_DETAIL', 'TRANSACTIONS_CREDITS', 'TRANSACTIONS_DEBITS'];
const BANK_SCOPED_ID = /\b([a-z][a-z0-9-]{1,39}):[a-z]{2,8}_[A-Za-z0-9_-]{22}\b/g;
/** The banks whose ids appear in a text. */
const banksNamedIn = (text: string) => new Set([...text.matchAll(BANK_SCOPED_ID)].map((m) => m[1]));

describe('which banks a request asks', () => {
  it('a user without any bank relationship: no bank at all', async () => {
    let res: any;
    const calls = await callsDuring(async () => (res = await stack.query('{ me { displayName accounts { id } consents { id } accessLog { at } } }', {}, { token: t.bob })));
    expect(calls).toEqual({ northwind: 0, contoso: 0 });
    expect(res.body.data.me).toEqual({ displayName: 'Bob Okafor', accounts: null, consents: [], accessLog: [] });
    expect(res.body.errors.map((e: any) => [e.path.join('.'), e.extensions.reason])).toEqual([['me.accounts', 'CONSENT_REQUIRED']]);
  });

  it("a user's own banks only, once per bank per step of the plan", async () => {
    expect(await callsDuring(() => stack.query('{ me { accounts { id balance { minorUnits } } } }', {}, { token: t.alice }))).toEqual({ northwind: 1, contoso: 0 });
    // Two fetches of the plan reach the bank, the accounts and the transaction a message refers
    // to: they run side by side once messaging answered, and go as one call (one bank request).
    const acceptance = '{ me { accounts { id } conversations { messages { edges { node { transaction { amount { minorUnits } } } } } } } }';
    const before = log('northwind').length;
    let joint: any;
    expect(await callsDuring(async () => (joint = await stack.query(acceptance, {}, { token: t.alice })))).toEqual({ northwind: 1, contoso: 0 });
    expect(joint.body.errors).toBeUndefined();
    expect(joint.body.data.me.accounts.length).toBeGreaterThan(0);
    const referenced = joint.body.data.me.conversations.flatMap((c: any) => c.messages.edges.map((e: any) => e.node.transaction)).filter(Boolean);
    expect(referenced.length).toBeGreaterThan(0);
    for (const tx of referenced) expect(tx.amount.minorUnits).toEqual(expect.any(Number));
    expect(log('northwind')[before]!.query).toMatch(/_entities[\s\S]*_entities/);

    const granted = await grant(t.alice, { bankId: 'contoso', permissions: FULL, purposes: ['CUSTOMER_SERVICE'] });
    expect(granted.body.data.grantConsent.status).toBe('ACTIVE');
    let res: any;
    const calls = await callsDuring(async () => (res = await stack.query('{ me { accounts { id bank { id } } consents { bank { id } } } }', {}, { token: t.alice })));
    expect(calls).toEqual({ northwind: 1, contoso: 1 });
    // Merged in bank-id order: contoso's account, then northwind's.
    expect(res.body.data.me.accounts.map((a: any) => a.bank.id)).toEqual(['contoso', 'northwind', 'northwind']);
    expect(res.body.data.me.consents.map((c: any) => c.bank.id).sort()).toEqual(['contoso', 'northwind']);
  });

  it("a bank agent: their own bank, whichever banks the customer uses", async () => {
    const calls = await callsDuring(() => stack.query('{ user(id: "alice") { accounts { id } } }', {}, { token: t.nora }));
    expect(calls).toEqual({ northwind: 1, contoso: 0 });
  });

  it('a lookup by id: the bank the id names, and nobody for an id of no registered bank', async () => {
    const nw = stack.bank('northwind').accounts[0]!._id;
    const ct = stack.bank('contoso').accounts[0]!._id;
    const q = 'query($a: ID!, $b: ID!, $c: ID!) { a: bankAccount(id: $a) { id } b: bankAccount(id: $b) { id } c: bankAccount(id: $c) { id } }';
    let res: any;
    const calls = await callsDuring(async () => (res = await stack.query(q, { a: nw, b: ct, c: 'acme:acc_AAAAAAAAAAAAAAAAAAAAAA' }, { token: t.alice })));
    expect(calls).toEqual({ northwind: 1, contoso: 1 });
    expect(res.body.data).toEqual({ a: { id: nw }, b: { id: ct }, c: null });
  });

  it("Message.transaction reaches the transaction's bank", async () => {
    const txn = stack.bank('contoso').transactions.find((tx) => tx.userId === 'alice')!;
    const start = await stack.query('mutation { startConversation(bankId: "contoso") { id } }', {}, { token: t.alice });
    const conversation = start.body.data.startConversation.id;
    const sent = await stack.query('mutation($c: ID!, $t: ID) { sendMessage(conversationId: $c, body: "this one?", transactionId: $t) { id } }', { c: conversation, t: txn._id }, { token: t.alice });
    expect(sent.body.errors).toBeUndefined();
    let res: any;
    const q = 'query($c: ID!) { conversation(id: $c) { messages { edges { node { transaction { id amount { minorUnits } } } } } } }';
    const calls = await callsDuring(async () => (res = await stack.query(q, { c: conversation }, { token: t.alice })));
    expect(calls).toEqual({ northwind: 0, contoso: 1 });
    expect(res.body.data.conversation.messages.edges[0].node.transaction).toEqual({ id: txn._id, amount: { minorUnits: txn.amountMinor } });
  });
});

describe('isolation', () => {
  it('two users at once: every response carries its own user data only', async () => {
    // bob gets a consent of his own so that both have bank data to mix up.
    await grant(t.bob, { bankId: 'northwind', permissions: FULL, purposes: ['CUSTOMER_SERVICE'] });
    const q = '{ me { id email accounts { id balance { minorUnits } } consents { id receipt { userId } } } }';
    const own = (user: string) => new Set(Object.values(stack.data.banks).flatMap((b) => b.accounts.filter((a) => a.userId === user).map((a) => a._id)));
    // Northwind answers through a gate that holds each call until a call of the other user is in
    // flight too: alice's and bob's bank calls really overlap, as under load.
    const gate = await overlapGate(stack.banks.northwind!.url);
    const registry = readFileSync(stack.registryFile, 'utf8');
    writeFileSync(stack.registryFile, registry.replace(`${stack.banks.northwind!.url}/graphql`, `${gate.url}/graphql`));
    stack.gateway.bankRegistry.reload();
    try {
      const runs = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? 'bob' : 'alice') as 'alice' | 'bob').map(async (user) => ({ user, res: await stack.query(q, {}, { token: t[user] }) })));
      expect(gate.overlaps()).toBeGreaterThan(0);
      for (const { user, res } of runs) {
        const me = res.body.data.me;
        expect(me.id).toBe(user);
        expect(me.email).toBe(`${user}@example.org`);
        expect(me.accounts.length).toBeGreaterThan(0);
        for (const a of me.accounts) expect(own(user).has(a.id)).toBe(true);
        for (const c of me.consents) expect(c.receipt.userId).toBe(user);
      }
    } finally {
      writeFileSync(stack.registryFile, registry);
      stack.gateway.bankRegistry.reload();
      await gate.close();
    }
  });

  it("two users at once, each request's two bank fetches joined into one call: every response carries its own user's data only", async () => {
    // bob (with his consent from the test above) refers to one of his transactions in a message,
    // as alice's demo conversation does to one of hers.
    const own = (user: string) => BANKS.flatMap((b) => stack.bank(b).transactions.filter((tx) => tx.userId === user).map((tx) => tx._id));
    const conversation = (await stack.query('mutation { startConversation(bankId: "northwind") { id } }', {}, { token: t.bob })).body.data.startConversation.id;
    const bobs = stack.bank('northwind').transactions.find((tx) => tx.userId === 'bob')!._id;
    const sent = await stack.query('mutation($c: ID!, $t: ID) { sendMessage(conversationId: $c, body: "this one", transactionId: $t) { id } }', { c: conversation, t: bobs }, { token: t.bob });
    expect(sent.body.errors).toBeUndefined();
    const q = '{ me { id accounts { id } conversations { messages(first: 20) { edges { node { transaction { id amount { minorUnits } } } } } } } }';
    const accounts = (user: string) => new Set(BANKS.flatMap((b) => stack.bank(b).accounts.filter((a) => a.userId === user).map((a) => a._id)));
    const gate = await overlapGate(stack.banks.northwind!.url);
    const registry = readFileSync(stack.registryFile, 'utf8');
    writeFileSync(stack.registryFile, registry.replace(`${stack.banks.northwind!.url}/graphql`, `${gate.url}/graphql`));
    stack.gateway.bankRegistry.reload();
    const before = log('northwind').length;
    try {
      const runs = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? 'bob' : 'alice') as 'alice' | 'bob').map(async (user) => ({ user, res: await stack.query(q, {}, { token: t[user] }) })));
      expect(gate.overlaps()).toBeGreaterThan(0);
      for (const { user, res } of runs) {
        expect(res.body.errors).toBeUndefined();
        const me = res.body.data.me;
        expect(me.id).toBe(user);
        for (const a of me.accounts) expect(accounts(user).has(a.id)).toBe(true);
        const referenced = me.conversations.flatMap((c: any) => c.messages.edges.map((e: any) => e.node.transaction)).filter(Boolean);
        expect(referenced.length).toBeGreaterThan(0);
        for (const tx of referenced) expect(own(user)).toContain(tx.id);
      }
      // One bank request per client request, each carrying both fetches.
      const calls = log('northwind').slice(before);
      expect(calls).toHaveLength(12);
      for (const call of calls) expect(call.query).toMatch(/_entities[\s\S]*_entities/);
    } finally {
      writeFileSync(stack.registryFile, registry);
      stack.gateway.bankRegistry.reload();
      await gate.close();
    }
  });

  it("no bank ever receives another bank's ids, consents or representations, nor the user's list of banks", () => {
    expect(log('northwind').length).toBeGreaterThan(5);
    expect(log('contoso').length).toBeGreaterThan(3);
    for (const bank of BANKS) {
      const seen = JSON.stringify(log(bank).map((r) => [r.query, r.variables]));
      expect([...banksNamedIn(seen)]).toEqual([bank]);
      expect(seen).not.toContain('bankIds');
      const other = BANKS.find((b) => b !== bank)!;
      for (const doc of [...stack.bank(other).accounts, ...stack.bank(other).consents]) expect(seen).not.toContain(doc._id);
    }
  });

  it("at rest, a bank's rows are in that bank's database only, and no bank data sits with the platform", async () => {
    const snapshot = await stack.snapshotDatabases();
    const databases = Object.keys(snapshot);
    expect(databases).toEqual(expect.arrayContaining(BANKS.map((b) => bankDatabaseName(stack.dbPrefix, b))));
    for (const bank of BANKS) expect(snapshot[bankDatabaseName(stack.dbPrefix, bank)]!.accounts).toBe(stack.bank(bank).accounts.length);
    const BANK_FIELDS = ['balanceMinor', 'accountNumber', 'maskedNumber', 'amountMinor', 'merchantId', 'latitude', 'longitude', 'permissions'];
    for (const name of databases) {
      const owner = BANKS.find((b) => name === bankDatabaseName(stack.dbPrefix, b));
      for (const collection of Object.keys(snapshot[name]!)) {
        for (const doc of await stack.client.db(name).collection(collection).find().toArray()) {
          const where = `${name}.${collection}`;
          if (owner) {
            // Everything here is this bank's: no id of another bank, not even in a reference.
            for (const bank of banksNamedIn(JSON.stringify(doc))) expect(bank, where).toBe(owner);
          } else {
            // The platform keeps references (a message's transaction id, the directory's bank ids), never rows.
            expect(banksNamedIn(String(doc._id)).size, where).toBe(0);
            for (const field of BANK_FIELDS) expect(doc, where).not.toHaveProperty(field);
          }
        }
      }
    }
  });
});

describe('a new bank joins with a registry entry', () => {
  it('is routed to, without recomposing or restarting anything', async () => {
    const db = stack.client.db(bankDatabaseName(stack.dbPrefix, 'fabrikam'));
    await bankCollections(db).accounts.insertOne({ _id: 'fabrikam:acc_CarolCarolCarolCarol12', userId: 'carol', maskedNumber: '•••• 7777', accountNumber: 'FR76 7777', currency: 'EUR', balanceMinor: 4_200 });
    const gatewayKey = createPublicKey(readFileSync(stack.keys.gatewayPublic, 'utf8'));
    const fabrikam = await serveBank({ bank: { id: 'fabrikam', name: 'Fabrikam Bank' }, db, gatewayKey, auditKey: 'fabrikam-audit-key-'.repeat(2), port: 0 });
    try {
      const before = await stack.query('mutation { grantConsent(input: { bankId: "fabrikam", permissions: [ACCOUNTS_BASIC, BALANCES], purposes: [CUSTOMER_SERVICE] }) { id } }', {}, { token: t.carol });
      expect(before.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      const entries = JSON.parse(readFileSync(stack.registryFile, 'utf8'));
      writeFileSync(stack.registryFile, JSON.stringify([...entries, { id: 'fabrikam', name: 'Fabrikam Bank', url: `${fabrikam.url}/graphql` }]));
      for (let i = 0; i < 200 && !stack.gateway.bankRegistry.current().get('fabrikam'); i++) await new Promise((resolve) => setTimeout(resolve, 25));

      const banks = await stack.query('{ banks { id name } }');
      expect(banks.body.data.banks.map((b: any) => b.id)).toEqual(['contoso', 'fabrikam', 'northwind']);
      const granted = await stack.query('mutation { grantConsent(input: { bankId: "fabrikam", permissions: [ACCOUNTS_BASIC, BALANCES], purposes: [CUSTOMER_SERVICE] }) { id bank { name } } }', {}, { token: t.carol });
      expect(granted.body.data.grantConsent.bank.name).toBe('Fabrikam Bank');
      const res = await stack.query('{ me { accounts { id bank { name } balance { minorUnits } } } }', {}, { token: t.carol });
      expect(res.body).toEqual({ data: { me: { accounts: [{ id: 'fabrikam:acc_CarolCarolCarolCarol12', bank: { name: 'Fabrikam Bank' }, balance: { minorUnits: 4_200 } }] } } });
    } finally {
      await fabrikam.stop();
    }
  });
});
