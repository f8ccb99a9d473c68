// What is read from MongoDB, watched with driver command monitoring: a denied field's data is
// never read, and batching keeps the command count independent of how many entities resolve.
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bankAudience, mintInternalToken } from '@consent-gateway/kit/internal-token';
import type { Identity } from '@consent-gateway/kit/identity';
import { postGraphQL, startTestStack, type Command, type TestStack } from './support/stack.ts';
import { readmeBigQuery } from '../scripts/readme-examples.ts';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack?.close());

const reads = (commands: Command[], collection: string) => commands.filter((c) => ['find', 'aggregate'].includes(c.name) && c.collection === collection);
const projectionKeys = (c: Command) => Object.keys(c.command.projection ?? {});

describe('a denied field is never read', () => {
  it.each([
    ['bob, who has no consent (no bank is even asked)', { sub: 'bob' }],
    ['alice for a purpose her consent lacks (her bank is asked and denies)', { sub: 'alice', purpose: 'spending_insights' }],
  ])('denied accounts, transactions and locations for %s: no command touches those collections', async (_name, who) => {
    const token = await stack.token(who);
    const q = '{ me { displayName accounts { balance { minorUnits } transactions { edges { node { amount { minorUnits } merchant { name location { city latitude } } } } } } } }';
    const { result, commands } = await stack.commands.watch(() => stack.query(q, {}, { token }));
    expect(result.body.data.me.accounts).toBeNull();
    expect(commands.length).toBeGreaterThan(0); // the watch works: the profile and the directory (and consents) were read
    for (const collection of ['accounts', 'transactions', 'merchants', 'merchant_locations']) expect(reads(commands, collection)).toEqual([]);
  });

  it("a balance is read with the account list only when the owner's consent opens it", async () => {
    const bob = await stack.token({ sub: 'bob' });
    const q = '{ me { accounts { maskedNumber balance { minorUnits } } } }';
    const granted = await stack.query('mutation { grantConsent(input: { bankId: "northwind", permissions: [ACCOUNTS_BASIC], purposes: [CUSTOMER_SERVICE] }) { id } }', {}, { token: bob });
    const consentId = granted.body.data.grantConsent.id;
    try {
      const without = await stack.commands.watch(() => stack.query(q, {}, { token: bob }));
      expect(without.result.body.data.me.accounts[0]).toEqual({ maskedNumber: expect.any(String), balance: null });
      expect(without.result.body.errors?.map((e: any) => e.extensions.reason)).toEqual(['CONSENT_REQUIRED']);
      expect(reads(without.commands, 'accounts').length).toBeGreaterThan(0);
      for (const c of reads(without.commands, 'accounts')) expect(projectionKeys(c)).not.toContain('balanceMinor');
    } finally {
      await stack.query('mutation($id: ID!) { revokeConsent(id: $id) { id } }', { id: consentId }, { token: bob });
    }
    // alice's consent opens balances: one read of her accounts brings them.
    const alice = await stack.token({ sub: 'alice' });
    const opened = await stack.commands.watch(() => stack.query(q, {}, { token: alice }));
    expect(opened.result.body.errors).toBeUndefined();
    expect(opened.result.body.data.me.accounts.every((a: any) => Number.isInteger(a.balance.minorUnits))).toBe(true);
    expect(reads(opened.commands, 'accounts').map(projectionKeys)).toEqual([expect.arrayContaining(['balanceMinor'])]);
  });

  it('a message referencing a transaction the viewer may not see reads no amount, merchant or location', async () => {
    const agent = await stack.token({ sub: 'agent-nora', roles: ['bank_agent'], bank: 'northwind', client: 'bank-console', purpose: 'fraud_prevention' });
    const q = '{ user(id: "alice") { conversations { messages { edges { node { body transaction { amount { minorUnits } merchant { name location { city } } } } } } } } }';
    const { result, commands } = await stack.commands.watch(() => stack.query(q, {}, { token: agent }));
    const nodes = result.body.data.user.conversations[0].messages.edges.map((e: any) => e.node);
    expect(nodes[0].transaction).toBeNull(); // the agent's purpose is not in alice's consent
    for (const c of reads(commands, 'transactions')) {
      expect(projectionKeys(c)).not.toContain('amountMinor');
      expect(projectionKeys(c)).not.toContain('merchantId');
    }
    expect(reads(commands, 'merchants')).toEqual([]);
    expect(reads(commands, 'merchant_locations')).toEqual([]);
  });

  it('a coarse-only consent reads the city asked for, never coordinates', async () => {
    const alice = await stack.token({ sub: 'alice' });
    const q = '{ me { accounts { transactions(first: 50) { edges { node { merchant { location { city latitude longitude } } } } } } } }';
    const { result, commands } = await stack.commands.watch(() => stack.query(q, {}, { token: alice }));
    expect(result.body.errors?.every((e) => e.extensions?.reason === 'CONSENT_REQUIRED')).toBe(true);
    // Coordinates live apart (merchant_locations) and are never read; city and country come with
    // the transaction, read with the page since her consent opens them on every row it can return.
    expect(reads(commands, 'merchant_locations')).toEqual([]);
    const pages = reads(commands, 'transactions');
    expect(pages.length).toBeGreaterThan(0);
    for (const c of pages) {
      expect(projectionKeys(c)).toContain('merchantCity');
      expect(projectionKeys(c)).not.toContain('merchantCountry'); // not asked, not read
    }
    for (const c of commands.filter((c) => ['find', 'aggregate'].includes(c.name))) expect(JSON.stringify(c.command)).not.toMatch(/latitude|longitude/);
  });
});

describe('batching: a constant number of commands, whatever the count', () => {
  const identity: Identity = { sub: 'alice', client: 'messenger-web', clientType: 'first-party', roles: ['user'], purpose: 'customer_service' };
  /** `_entities` straight at user-profile or at the northwind bank, as the gateway would call them. */
  async function entities(service: 'user-profile' | 'northwind', typename: string, ids: string[], selection: string) {
    const key = createPrivateKey(readFileSync(stack.keys.gatewayPrivate, 'utf8'));
    const audience = service === 'northwind' ? bankAudience('northwind') : service;
    const url = service === 'northwind' ? stack.banks.northwind!.url : stack.subgraphs[service].url;
    const token = await mintInternalToken({ identity, requestId: `n1-${ids.length}` }, audience, key);
    const query = `query($r: [_Any!]!) { _entities(representations: $r) { ... on ${typename} { ${selection} } } }`;
    return stack.commands.watch(() => postGraphQL(`${url}/graphql`, { query, variables: { r: ids.map((id) => ({ __typename: typename, id })) } }, { authorization: `Bearer ${token}` }));
  }
  const countReads = (commands: Command[]) => commands.filter((c) => ['find', 'aggregate'].includes(c.name)).length;

  it('resolving 100 User entities costs as many commands as resolving 1', async () => {
    const users = stack.dbs['user-profile'].collection('users');
    await users.insertMany(Array.from({ length: 100 }, (_, i) => ({ _id: `extra_${i}`, displayName: `Extra ${i}` })) as any[]);
    const ids = Array.from({ length: 100 }, (_, i) => `extra_${i}`);
    const one = await entities('user-profile', 'User', ids.slice(0, 1), 'id displayName');
    const hundred = await entities('user-profile', 'User', ids, 'id displayName');
    expect(hundred.result.body.data._entities.map((u: any) => u.displayName)).toEqual(ids.map((_, i) => `Extra ${i}`));
    expect(countReads(hundred.commands)).toBe(countReads(one.commands));
    expect(countReads(hundred.commands)).toBeLessThanOrEqual(2);
  });

  it('resolving 100 transactions with merchant locations costs as many commands as 1', async () => {
    const ids = stack.bank('northwind').transactions.filter((t) => t.userId === 'alice' && t.merchantId).map((t) => t._id);
    const selection = 'id amount { minorUnits } merchant { name location { city country } }';
    const one = await entities('northwind', 'CardTransaction', ids.slice(0, 1), selection);
    const hundred = await entities('northwind', 'CardTransaction', ids.slice(0, 100), selection);
    expect(hundred.result.body.errors).toBeUndefined();
    expect(hundred.result.body.data._entities).toHaveLength(100);
    expect(hundred.result.body.data._entities.every((t: any) => t.merchant.location.city)).toBe(true);
    expect(countReads(hundred.commands)).toBe(countReads(one.commands));
  });

  it("the same holds through the gateway: a page of 100 transactions costs what a page of 10 does", async () => {
    const alice = await stack.token({ sub: 'alice' });
    const q = (n: number) => `{ me { accounts { transactions(first: ${n}) { edges { node { amount { minorUnits } merchant { name location { city } } } } } } } }`;
    const small = await stack.commands.watch(() => stack.query(q(10), {}, { token: alice }));
    const large = await stack.commands.watch(() => stack.query(q(100), {}, { token: alice }));
    expect(large.result.body.errors).toBeUndefined();
    expect(countReads(large.commands)).toBe(countReads(small.commands));
  });

  // Every MongoDB command of a request, across all services (reads, audit writes, everything).
  // The README's query makes three subgraph calls (user-profile, messaging, and one to its bank
  // for the accounts and the transaction a message refers to together), each with its own audit
  // write (bench/README.md, "Where things stand", counts them one by one); a page of 100 costs
  // what a page of 10 does.
  it("the README's query costs at most 10 commands in all, a page of 100 transactions at most 7, whatever the page size", async () => {
    const alice = await stack.token({ sub: 'alice' });
    const page = (n: number) => `{ me { accounts { transactions(first: ${n}) { edges { node { amount { minorUnits } merchant { name location { city } } } } } } } }`;
    const all = async (q: string) => {
      const { result, commands } = await stack.commands.watch(() => stack.query(q, {}, { token: alice }));
      expect(result.body.errors).toBeUndefined();
      return commands.length;
    };
    const [readme, readme50, page10, page100] = [await all(readmeBigQuery()), await all(readmeBigQuery(50)), await all(page(10)), await all(page(100))];
    expect(readme).toBeLessThanOrEqual(10);
    expect(readme50).toBe(readme);
    expect(page100).toBeLessThanOrEqual(7);
    expect(page100).toBe(page10);
  });
});

describe('a transaction its owner looks up is read once, with what her consent opens on every row of hers', () => {
  const LOOKUP = 'query($id: ID!) { cardTransaction(id: $id) { amount { minorUnits } } }';
  const northwind = () => stack.bank('northwind');
  const own = () => northwind().transactions.find((t) => t.userId === 'alice')!;
  const lookUp = async (id: string) => {
    const alice = await stack.token({ sub: 'alice' });
    return stack.commands.watch(() => stack.query(LOOKUP, { id }, { token: alice }));
  };

  it('her consent opens the amount of every row of hers: envelope and amount in one read of her rows only', async () => {
    const { result, commands } = await lookUp(own()._id);
    expect(result.body.errors).toBeUndefined();
    expect(result.body.data.cardTransaction.amount.minorUnits).toBe(own().amountMinor);
    const [read, ...more] = reads(commands, 'transactions');
    expect(more).toEqual([]);
    expect(read!.command.filter).toEqual({ _id: own()._id, userId: 'alice' });
    expect(projectionKeys(read!)).toContain('amountMinor');
  });

  it("another customer's transaction at the same bank: the read is of her rows, so nothing of it is read, and it answers like a missing id", async () => {
    const bobs = northwind().transactions.find((t) => t.userId === 'bob')!;
    const other = await lookUp(bobs._id);
    const missing = await lookUp('northwind:txn_AAAAAAAAAAAAAAAAAAAAAA');
    expect(other.result.body).toEqual(missing.result.body);
    expect(other.result.body.data.cardTransaction).toBeNull();
    for (const c of reads(other.commands, 'transactions')) expect(c.command.filter.userId).toBe('alice');
  });

  it('a consent whose window or direction narrows her rows: the envelope first, the amount only once the row passed its rule', async () => {
    const original = northwind().consents.filter((c) => c.userId === 'alice');
    const debit = own().direction === 'DEBIT';
    const narrowed = [
      // debits only where the row is a credit, and the other way round: the row is refused
      { ...original[0]!, permissions: ['ACCOUNTS_BASIC', 'TRANSACTIONS_BASIC', debit ? 'TRANSACTIONS_CREDITS' : 'TRANSACTIONS_DEBITS'] },
      // every direction, in a window that holds the row
      { ...original[0]!, permissions: ['ACCOUNTS_BASIC', 'TRANSACTIONS_BASIC', 'TRANSACTIONS_CREDITS', 'TRANSACTIONS_DEBITS'], transactionsFrom: own().postedAt },
    ];
    try {
      await stack.setConsents('northwind', 'alice', [narrowed[0]!] as any);
      const refused = await lookUp(own()._id);
      expect(refused.result.body.errors?.map((e) => [e.path, e.extensions?.reason])).toEqual([[['cardTransaction', 'amount'], 'CONSENT_REQUIRED']]);
      for (const c of reads(refused.commands, 'transactions')) expect(projectionKeys(c)).not.toContain('amountMinor');

      await stack.setConsents('northwind', 'alice', [narrowed[1]!] as any);
      const windowed = await lookUp(own()._id);
      expect(windowed.result.body.data.cardTransaction.amount.minorUnits).toBe(own().amountMinor);
      const [envelope, amount, ...more] = reads(windowed.commands, 'transactions');
      expect(projectionKeys(envelope!)).not.toContain('amountMinor');
      expect(projectionKeys(amount!)).toEqual(expect.arrayContaining(['amountMinor']));
      expect(more).toEqual([]);
    } finally {
      await stack.setConsents('northwind', 'alice', original);
    }
  });
});
