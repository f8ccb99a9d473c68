// Every decision on a protected field is recorded, in one batched write per request, without
// field values; users see who accessed their bank data; only security reviewers query decisions.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forbiddenAt, startTestStack, type TestStack } from './support/stack.ts';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack?.close());

const northwind = () => stack.dbs.banks.northwind!;
const audit = () => northwind().collection('audit_decisions');
const seedConsent = () => stack.bank('northwind').consents[0]!._id;

describe('decision records', () => {
  it('are written in one insert per request and hold no field values', async () => {
    const alice = await stack.token({ sub: 'alice' });
    const q = '{ me { accounts { accountNumber balance { minorUnits } transactions(first: 30) { edges { node { amount { minorUnits } merchant { name location { city latitude } } } } } } } }';
    const { result, commands } = await stack.commands.watch(() => stack.query(q, {}, { token: alice }));
    const inserts = commands.filter((c) => c.name === 'insert' && c.collection === 'audit_decisions' && c.db === northwind().databaseName);
    expect(inserts).toHaveLength(1);
    const docs = inserts[0]!.command.documents as any[];
    expect(new Set(docs.map((d) => d.requestId)).size).toBe(1);
    const total = docs.reduce((n, d) => n + d.count, 0);
    expect(total).toBeGreaterThan(docs.length); // identical decisions are counted, not repeated
    expect(docs.some((d) => d.outcome === 'ALLOW' && d.field === 'BankAccount.balance' && d.consentId === seedConsent())).toBe(true);
    expect(docs.some((d) => d.outcome === 'DENY' && d.field === 'BankAccount.accountNumber' && d.reason === 'CONSENT_REQUIRED')).toBe(true);
    expect(docs.some((d) => d.outcome === 'DENY' && d.field === 'MerchantLocation.latitude')).toBe(true);
    // No value of the response appears in any record.
    const written = JSON.stringify(docs);
    const me = result.body.data.me;
    const values = [
      ...me.accounts.map((a: any) => String(a.balance.minorUnits)),
      ...me.accounts.flatMap((a: any) => a.transactions.edges.flatMap((e: any) => [String(e.node.amount.minorUnits), e.node.merchant?.name, e.node.merchant?.location?.city])),
    ].filter(Boolean);
    expect(values.length).toBeGreaterThan(10);
    for (const value of values) expect(written).not.toContain(value);
  });

  it('record denials with the viewer, client, purpose and the data owner', async () => {
    const thirdParty = await stack.token({ sub: 'alice', client: 'partner-app', purpose: 'spending_insights' });
    await stack.query('{ me { accounts { id } } }', {}, { token: thirdParty });
    const record = await audit().findOne({ field: 'User.accounts', reason: 'THIRD_PARTY_CLIENT' });
    expect(record).toMatchObject({ outcome: 'DENY', viewerId: 'alice', viewerKind: 'USER', client: 'partner-app', purpose: 'spending_insights', subjectUserId: 'alice', subgraph: 'bank-account' });
  });
});

describe('access log and reviewer queries', () => {
  it("shows a user who read their bank data: themself and the bank's agent", async () => {
    const agent = await stack.token({ sub: 'agent-nora', roles: ['bank_agent'], bank: 'northwind', client: 'bank-console' });
    await stack.query('{ user(id: "alice") { accounts { balance { minorUnits } } } }', {}, { token: agent });
    const alice = await stack.token({ sub: 'alice' });
    const res = await stack.query('{ me { accessLog { viewerKind viewerId bank { id } purpose fields } } }', {}, { token: alice });
    const entry = res.body.data.me.accessLog.find((e: any) => e.viewerId === 'agent-nora');
    expect(entry).toMatchObject({ viewerKind: 'BANK_AGENT', bank: { id: 'northwind' }, purpose: 'CUSTOMER_SERVICE' });
    expect(entry.fields).toContain('BankAccount.balance');
    const bob = await stack.token({ sub: 'bob' });
    const other = await stack.query('{ user(id: "alice") { accessLog { viewerId } } }', {}, { token: bob });
    expect(forbiddenAt(other, 'user.accessLog')).toBe('NOT_OWNER');
  });

  it('lets security reviewers, and nobody else, query decisions by user, bank, consent and outcome', async () => {
    const q = `{ auditEvents(filter: { userId: "alice", bankId: "northwind", consentId: "${seedConsent()}", outcome: ALLOW }) { field outcome consentId subjectUserId bankId } }`;
    const reviewer = await stack.token({ sub: 'rita', roles: ['security_reviewer'], client: 'messenger-web' });
    const res = await stack.query(q, {}, { token: reviewer });
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.auditEvents.length).toBeGreaterThan(0);
    for (const d of res.body.data.auditEvents) expect(d).toMatchObject({ outcome: 'ALLOW', subjectUserId: 'alice', bankId: 'northwind' });
    const denials = await stack.query('{ auditEvents(filter: { outcome: DENY }, first: 500) { reason } }', {}, { token: reviewer });
    expect(denials.body.data.auditEvents.every((d: any) => d.reason)).toBe(true);
    for (const token of [await stack.token({ sub: 'alice' }), await stack.token({ sub: 'agent-nora', roles: ['bank_agent'], bank: 'northwind' })]) {
      const denied = await stack.query(q, {}, { token });
      expect(forbiddenAt(denied, 'auditEvents')).toBe('NOT_OWNER');
    }
  });
});
