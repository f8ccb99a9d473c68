// Every decision on a protected field is recorded, in one batched write per request, without
// field values, naming the field and the operation as the client sent it; users see who accessed
// their bank data; security reviewers, and nobody else, read the records of every subgraph and
// bank at once (`auditEvents`, cursor-paginated); `npm run audit:verify` checks every store's
// hash chains and catches an altered and a deleted record.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_COLLECTION } from '@consent-gateway/kit/audit-mongo';
import { parseRuleName } from '@consent-gateway/kit/rule-meanings';
import { AUTHORIZATION_FILE } from '../scripts/authorization-table.ts';
import { bankDatabaseName, databaseName } from '../subgraphs/registry.ts';
import { forbiddenAt, startTestStack, type TestStack } from './support/stack.ts';
import { KIT_SOURCE_FLAG } from '../scripts/kit-source.ts';

let stack: TestStack;
let t: Record<'alice' | 'bob' | 'nora' | 'rita', string>;
beforeAll(async () => {
  stack = await startTestStack();
  t = {
    alice: await stack.token({ sub: 'alice' }),
    bob: await stack.token({ sub: 'bob' }),
    nora: await stack.token({ sub: 'agent-nora', roles: ['bank_agent'], bank: 'northwind', client: 'bank-console' }),
    rita: await stack.token({ sub: 'rita', roles: ['security_reviewer'], client: 'messenger-web' }),
  };
  // Some traffic for every store: user-profile, messaging, both banks.
  await stack.query('query Overview { me { displayName email accounts { balance { minorUnits } } conversations { id } } }', {}, { token: t.alice });
  await stack.query('{ user(id: "alice") { accounts { balance { minorUnits } } } }', {}, { token: t.nora });
  await stack.query('{ user(id: "alice") { accounts { id } } }', {}, { token: await stack.token({ sub: 'agent-cleo', roles: ['bank_agent'], bank: 'contoso', client: 'bank-console' }) });
  await stack.query('{ me { accounts { id } } }', {}, { token: await stack.token({ sub: 'alice', purpose: 'spending_insights' }) });
});
afterAll(() => stack?.close());

const northwind = () => stack.dbs.banks.northwind!;
const audit = () => northwind().collection(AUDIT_COLLECTION);
const seedConsent = () => stack.bank('northwind').consents[0]!._id;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const EVENT = 'id at requestId subgraph outcome reason rule permission consentId field count viewerKind viewerId client purpose subjectUserId bankId operationName operationHash chain seq hash';
const events = (filter = '', first = 500, after?: string) =>
  stack.query(`query($after: String) { auditEvents(${filter ? `filter: { ${filter} }, ` : ''}first: ${first}, after: $after) { edges { cursor node { ${EVENT} } } pageInfo { hasNextPage endCursor } unavailable } }`, { after }, { token: t.rita });
const nodes = (res: Awaited<ReturnType<typeof events>>) => res.body.data.auditEvents.edges.map((e: any) => e.node);

/** The `Query.auditEvents` reads each store allowed and recorded for itself: which stores a reviewer's query asked for records. */
async function readsRecorded(): Promise<Record<string, number>> {
  const stores = { 'user-profile': stack.dbs['user-profile'], messaging: stack.dbs.messaging, northwind: northwind(), contoso: stack.dbs.banks.contoso! };
  return Object.fromEntries(await Promise.all(Object.entries(stores).map(async ([name, db]) => [name, await db.collection(AUDIT_COLLECTION).countDocuments({ field: 'Query.auditEvents', outcome: 'ALLOW' })] as const)));
}
async function storesAsked(fn: () => Promise<unknown>): Promise<string[]> {
  const before = await readsRecorded();
  await fn();
  const after = await readsRecorded();
  return Object.keys(after).filter((name) => after[name]! > before[name]!);
}

describe('decision records', () => {
  it('are written in one insert per request and hold no field values', async () => {
    const q = '{ me { accounts { accountNumber balance { minorUnits } transactions(first: 30) { edges { node { amount { minorUnits } merchant { name location { city latitude } } } } } } } }';
    const { result, commands } = await stack.commands.watch(() => stack.query(q, {}, { token: t.alice }));
    const inserts = commands.filter((c) => c.name === 'insert' && c.collection === AUDIT_COLLECTION && c.db === northwind().databaseName);
    expect(inserts).toHaveLength(1);
    const docs = inserts[0]!.command.documents as any[];
    expect(new Set(docs.map((d) => d.requestId)).size).toBe(1);
    const total = docs.reduce((n, d) => n + d.count, 0);
    expect(total).toBeGreaterThan(docs.length); // identical decisions are counted, not repeated
    expect(docs.some((d) => d.outcome === 'ALLOW' && d.field === 'BankAccount.balance' && d.consentId === seedConsent())).toBe(true);
    expect(docs.some((d) => d.outcome === 'DENY' && d.field === 'BankAccount.accountNumber' && d.reason === 'CONSENT_REQUIRED')).toBe(true);
    expect(docs.some((d) => d.outcome === 'DENY' && d.field === 'MerchantLocation.latitude')).toBe(true);
    // No value of the response appears in any record. Ids, hashes and times are random or clock
    // digits, in which a value's digits may turn up by chance (a hash once held "39682"): those
    // fields are checked for their shape instead, and every other field for the values.
    const uuid = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
    const shapes: Record<string, RegExp> = {
      _id: new RegExp(`^${uuid}$`),
      requestId: new RegExp(`^${uuid}$`),
      chain: new RegExp(`^bank:northwind@${uuid}$`),
      at: /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/,
      operationHash: /^[0-9a-f]{64}$/,
      prev: /^[0-9a-f]{64}$/,
      hash: /^[0-9a-f]{64}$/,
      viewerRef: /^[0-9a-f]{64}$/,
      subjectRef: /^[0-9a-f]{64}$/,
      consentId: /^(northwind:cns_[A-Za-z0-9_-]{22}(,northwind:cns_[A-Za-z0-9_-]{22})*)?$/,
    };
    for (const doc of docs) for (const [field, shape] of Object.entries(shapes)) expect(String(doc[field] ?? ''), field).toMatch(shape);
    const written = JSON.stringify(docs.map((doc) => Object.fromEntries(Object.entries(doc).filter(([field]) => !(field in shapes)))));
    const me = result.body.data.me;
    const values = [
      ...me.accounts.map((a: any) => String(a.balance.minorUnits)),
      ...me.accounts.flatMap((a: any) => a.transactions.edges.flatMap((e: any) => [String(e.node.amount.minorUnits), e.node.merchant?.name, e.node.merchant?.location?.city])),
    ].filter(Boolean);
    expect(values.length).toBeGreaterThan(10);
    for (const value of values) expect(written).not.toContain(value);
  });

  it('name the field coordinate and the operation as the client sent it, never a path inside a subgraph', async () => {
    const q = 'query WhoReadMe { me { accounts { balance { minorUnits } } } }';
    const { commands } = await stack.commands.watch(() => stack.query(q, {}, { token: t.alice }));
    const docs = commands.filter((c) => c.name === 'insert' && c.collection === AUDIT_COLLECTION).flatMap((c) => c.command.documents as any[]);
    expect(docs.length).toBeGreaterThan(0);
    for (const doc of docs) {
      expect(doc).toMatchObject({ operationName: 'WhoReadMe', operationHash: sha256(q) });
      expect(doc.field).toMatch(/^[A-Z]\w*\.\w+$/);
      expect(doc).not.toHaveProperty('paths');
      expect(JSON.stringify(doc)).not.toContain('_entities');
    }
    expect(docs.some((d) => d.field === 'BankAccount.balance' && d.subgraph === 'bank-account')).toBe(true);
  });

  it('record denials with the viewer, client, purpose and the data owner', async () => {
    const thirdParty = await stack.token({ sub: 'alice', client: 'partner-app', purpose: 'spending_insights' });
    await stack.query('{ me { accounts { id } } }', {}, { token: thirdParty });
    const record = await audit().findOne({ field: 'User.accounts', reason: 'THIRD_PARTY_CLIENT' });
    expect(record).toMatchObject({ outcome: 'DENY', viewerId: 'alice', viewerKind: 'USER', client: 'partner-app', purpose: 'spending_insights', subjectUserId: 'alice', subgraph: 'bank-account' });
  });

  it("record the gateway's own answers too: a user with no bank to ask, judged again and kept by user-profile", async () => {
    const bobs = () => Promise.all([audit(), stack.dbs.banks.contoso!.collection(AUDIT_COLLECTION)].map((c) => c.countDocuments({ viewerId: 'bob' })));
    const before = await bobs();
    const q = 'query BobsBanks { me { accounts { id } consents { id } } }';
    const res = await stack.query(q, {}, { token: t.bob });
    expect(res.body.data.me).toEqual({ accounts: null, consents: [] });
    // No bank was asked, so no bank recorded anything.
    expect(await bobs()).toEqual(before);
    const found = nodes(await events('userId: "bob", field: "User.accounts"'));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      subgraph: 'user-profile',
      rule: 'withoutBankRelationship',
      outcome: 'DENY',
      reason: 'CONSENT_REQUIRED',
      viewerId: 'bob',
      subjectUserId: 'bob',
      bankId: null,
      operationName: 'BobsBanks',
      operationHash: sha256(q),
    });
    expect(nodes(await events('userId: "bob", field: "User.consents"'))).toMatchObject([{ subgraph: 'user-profile', outcome: 'ALLOW', rule: 'withoutBankRelationship' }]);
  });
});

describe('the rule of a record', () => {
  it('is one the authorization map lists, with its meaning, in every store', async () => {
    const stores = [stack.dbs['user-profile'], stack.dbs.messaging, ...Object.values(stack.dbs.banks)];
    const rules = new Set<string>();
    for (const db of stores) for (const { rule } of await db!.collection(AUDIT_COLLECTION).find({}, { projection: { rule: 1 } }).toArray()) rules.add(parseRuleName(rule).base);
    expect([...rules]).toEqual(expect.arrayContaining(['withoutBankRelationship', 'accountConsent', 'isSecurityReviewer']));
    const map = readFileSync(AUTHORIZATION_FILE, 'utf8');
    for (const rule of rules) expect(map, rule).toMatch(new RegExp(`^\\| \`${rule}\` \\| [^|]+ \\| [^|]*consent-policy\\.md#`, 'm'));
  });
});

describe('reads of a profile', () => {
  it("name whose profile it was: a reviewer finds them by that user, and they are in that user's export", async () => {
    const q = 'query ReadAlice { user(id: "alice") { id displayName avatarUrl } }';
    expect((await stack.query(q, {}, { token: t.bob })).body.data.user.id).toBe('alice');
    const found = nodes(await events('userId: "alice", viewerId: "bob"'));
    const fields = new Set(found.filter((d: any) => d.operationName === 'ReadAlice').map((d: any) => d.field));
    expect(fields).toEqual(new Set(['Query.user', 'User.id', 'User.displayName', 'User.avatarUrl']));
    for (const d of found) expect(d).toMatchObject({ subjectUserId: 'alice', viewerId: 'bob', subgraph: 'user-profile' });
    // `me` is about the viewer.
    await stack.query('query MeAgain { me { displayName } }', {}, { token: t.bob });
    expect(nodes(await events('userId: "bob", field: "Query.me"')).length).toBeGreaterThan(0);

    const exported = (await stack.query('{ myData { document } }', {}, { token: t.alice })).body.data.myData.document;
    const log = exported.services['user-profile'].accessLog;
    expect(log).toEqual(expect.arrayContaining([expect.objectContaining({ viewerId: 'bob', fields: expect.arrayContaining(['Query.user', 'User.displayName', 'User.avatarUrl']) })]));
  });
});

describe("a bank's records", () => {
  it('all name the bank, and a grant and its revoke name the consent: a reviewer finds them by bank and by consent', async () => {
    const granted = await stack.query('mutation { grantConsent(input: { bankId: "northwind", permissions: [ACCOUNTS_BASIC], purposes: [ACCOUNT_OVERVIEW] }) { id } }', {}, { token: t.alice });
    expect(granted.body.errors).toBeUndefined();
    const id = granted.body.data.grantConsent.id;
    expect((await stack.query('mutation($id: ID!) { revokeConsent(id: $id) { id } }', { id }, { token: t.alice })).body.errors).toBeUndefined();
    await stack.query('{ me { consents { id } accessLog { at } } }', {}, { token: t.alice });

    const byConsent = nodes(await events(`consentId: "${id}"`));
    expect(byConsent.map((d: any) => [d.field, d.outcome, d.bankId, d.consentId]).sort()).toEqual([
      ['Mutation.grantConsent', 'ALLOW', 'northwind', id],
      ['Mutation.revokeConsent', 'ALLOW', 'northwind', id],
    ]);
    for (const field of ['Mutation.grantConsent', 'Mutation.revokeConsent', 'User.consents', 'User.accessLog', 'Query.auditEvents']) {
      const found = nodes(await events(`field: "${field}", bankId: "northwind"`));
      expect(found.length, field).toBeGreaterThan(0);
      for (const d of found) expect(d, field).toMatchObject({ field, subgraph: 'bank-account', bankId: 'northwind' });
    }
    // Every record either bank wrote names that bank.
    for (const bank of ['northwind', 'contoso'] as const) {
      const records = stack.dbs.banks[bank]!.collection(AUDIT_COLLECTION);
      expect(await records.countDocuments(), bank).toBeGreaterThan(0);
      expect(await records.countDocuments({ bankId: { $ne: bank } }), bank).toBe(0);
    }
    // The user's access log at a bank still lists reads of their bank data only, not their own look at their consents.
    const log = (await stack.query('{ me { accessLog { fields } } }', {}, { token: t.alice })).body.data.me.accessLog;
    expect(log.flatMap((e: any) => e.fields).filter((f: string) => f.startsWith('User.consents') || f.startsWith('Mutation.') || f === 'User.accessLog')).toEqual([]);
  });
});

describe('access log', () => {
  it("shows a user who read their bank data: themself and the bank's agent", async () => {
    const res = await stack.query('{ me { accessLog { viewerKind viewerId bank { id } purpose fields } } }', {}, { token: t.alice });
    const entry = res.body.data.me.accessLog.find((e: any) => e.viewerId === 'agent-nora');
    expect(entry).toMatchObject({ viewerKind: 'BANK_AGENT', bank: { id: 'northwind' }, purpose: 'CUSTOMER_SERVICE' });
    expect(entry.fields).toContain('BankAccount.balance');
    const other = await stack.query('{ user(id: "alice") { accessLog { viewerId } } }', {}, { token: t.bob });
    expect(forbiddenAt(other, 'user.accessLog')).toBe('NOT_OWNER');
  });
});

describe("reviewers' auditEvents", () => {
  it('answers with the records of every subgraph and every bank, newest first', async () => {
    const res = await events();
    expect(res.body.errors).toBeUndefined();
    const all = nodes(res);
    expect(new Set(all.map((d: any) => d.subgraph))).toEqual(new Set(['user-profile', 'messaging', 'bank-account']));
    expect(new Set(all.map((d: any) => d.bankId))).toEqual(new Set(['northwind', 'contoso', null]));
    expect(res.body.data.auditEvents.unavailable).toEqual([]);
    const order = all.map((d: any) => [d.at, d.id]);
    expect(order).toEqual([...order].sort((a: string[], b: string[]) => b[0]!.localeCompare(a[0]!) || (a[1]! < b[1]! ? -1 : 1)));
  });

  it.each([
    ['userId: "alice"', (d: any) => d.subjectUserId === 'alice'],
    ['viewerId: "agent-nora"', (d: any) => d.viewerId === 'agent-nora'],
    ['bankId: "northwind"', (d: any) => d.bankId === 'northwind'],
    ['outcome: DENY', (d: any) => d.outcome === 'DENY' && !!d.reason],
    ['reason: "PURPOSE_NOT_ALLOWED"', (d: any) => d.reason === 'PURPOSE_NOT_ALLOWED'],
    ['field: "User.email"', (d: any) => d.field === 'User.email' && d.subgraph === 'user-profile'],
    ['client: "bank-console"', (d: any) => d.client === 'bank-console'],
    ['purpose: SPENDING_INSIGHTS', (d: any) => d.purpose === 'SPENDING_INSIGHTS'],
    ['operationName: "Overview"', (d: any) => d.operationName === 'Overview'],
    ['operation: "x"', null],
  ])('filters by %s', async (filter, matches) => {
    if (!matches) {
      // Not a filter: an unknown criterion is refused by validation, before any store is asked.
      expect(await storesAsked(async () => expect((await events(filter)).status).toBe(400))).toEqual([]);
      return;
    }
    const res = await events(filter);
    expect(res.body.errors).toBeUndefined();
    const found = nodes(res);
    expect(found.length).toBeGreaterThan(0);
    for (const d of found) expect(matches(d), JSON.stringify(d)).toBe(true);
  });

  it('finds every decision behind the x-request-id a client was answered with, and behind an operation by its name or its hash, in every store', async () => {
    const q = 'query RequestTrail { me { displayName accounts { balance { minorUnits } } } }';
    const answered = (await stack.query(q, {}, { token: t.alice })) as Awaited<ReturnType<TestStack['query']>> & { headers: Headers };
    const requestId = answered.headers.get('x-request-id')!;
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    const byRequest = nodes(await events(`requestId: "${requestId}"`));
    expect(new Set(byRequest.map((d: any) => d.subgraph))).toEqual(new Set(['user-profile', 'bank-account']));
    expect(byRequest.map((d: any) => d.field)).toEqual(expect.arrayContaining(['Query.me', 'User.displayName', 'BankAccount.balance']));
    for (const d of byRequest) expect(d).toMatchObject({ requestId, operationName: 'RequestTrail', operationHash: sha256(q), viewerId: 'alice' });
    const ids = byRequest.map((d: any) => d.id).sort();
    expect(nodes(await events('operationName: "RequestTrail"')).map((d: any) => d.id).sort()).toEqual(ids);
    expect(nodes(await events(`operationHash: "${sha256(q)}", field: "BankAccount.balance"`)).map((d: any) => d.id)).toEqual(byRequest.filter((d: any) => d.field === 'BankAccount.balance').map((d: any) => d.id));
    // Any request id may be asked for: one no request had finds nothing.
    const none = await events('requestId: "no-such-request"');
    expect(none.body.errors).toBeUndefined();
    expect(nodes(none)).toEqual([]);
  });

  it.each(['operationHash: "abc"', 'operationName: "not a name"', 'field: "balance"', 'field: "Bogus.x"'])('refuses %s as bad input before asking any store', async (filter) => {
    const asked = await storesAsked(async () => {
      const res = await events(filter);
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([expect.objectContaining({ path: ['auditEvents'], extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }) })]);
    });
    expect(asked).toEqual([]);
  });

  it('filters by consent and by time, together with the rest', async () => {
    const all = nodes(await events('outcome: ALLOW'));
    const middle = all[Math.floor(all.length / 2)].at;
    const recent = nodes(await events(`from: "${middle}"`));
    expect(recent.length).toBeGreaterThan(0);
    for (const d of recent) expect(d.at >= middle).toBe(true);
    const older = nodes(await events(`to: "${middle}"`));
    for (const d of older) expect(d.at <= middle).toBe(true);
    const byConsent = nodes(await events(`userId: "alice", bankId: "northwind", consentId: "${seedConsent()}", outcome: ALLOW`));
    expect(byConsent.length).toBeGreaterThan(0);
    for (const d of byConsent) expect(d).toMatchObject({ outcome: 'ALLOW', subjectUserId: 'alice', bankId: 'northwind' });
    for (const d of byConsent) expect(d.consentId.split(',')).toContain(seedConsent());
  });

  it('pages with opaque cursors through exactly the records of one long page, across every store', async () => {
    // Every query writes a read record in every store: page through what existed before it only.
    const until = new Date(Date.now() - 1).toISOString();
    const everything = nodes(await events(`to: "${until}"`, 500)).map((d: any) => d.id);
    expect(everything.length).toBeGreaterThan(30);
    const seen: string[] = [];
    let after: string | undefined;
    for (let page = 0; page < 100; page++) {
      const conn = (await events(`to: "${until}"`, 7, after)).body.data.auditEvents;
      expect(conn.edges.length).toBeLessThanOrEqual(7);
      seen.push(...conn.edges.map((e: any) => e.node.id));
      expect(conn.edges.at(-1).cursor).toBe(conn.pageInfo.endCursor);
      expect(conn.pageInfo.endCursor).toMatch(/^[\w-]+$/); // opaque
      if (!conn.pageInfo.hasNextPage) break;
      after = conn.pageInfo.endCursor;
    }
    expect(seen).toEqual(everything);
    expect((await events('', 5, 'not-a-cursor')).body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('asks the platform subgraphs and the one bank a bank or consent filter names; every store records the read', async () => {
    expect(await storesAsked(() => events())).toEqual(['user-profile', 'messaging', 'northwind', 'contoso']);
    expect(await storesAsked(() => events('bankId: "contoso"'))).toEqual(['user-profile', 'messaging', 'contoso']);
    expect(await storesAsked(() => events(`consentId: "${seedConsent()}"`))).toEqual(['user-profile', 'messaging', 'northwind']);
    const read = await audit().find({ field: 'Query.auditEvents' }).sort({ at: -1 }).limit(1).next();
    expect(read).toMatchObject({ outcome: 'ALLOW', viewerId: 'rita', viewerKind: 'SECURITY_REVIEWER', rule: 'isSecurityReviewer', operationHash: expect.any(String) });
  });

  it('refuses a security reviewer in a third-party app, and asks no store for records', async () => {
    const thirdParty = await stack.token({ sub: 'rita', roles: ['security_reviewer'], client: 'partner-app' });
    const res = await stack.query('{ auditEvents(first: 5) { edges { node { id viewerId } } } }', {}, { token: thirdParty });
    expect(res.body.data?.auditEvents ?? null).toBeNull();
    expect(forbiddenAt(res, 'auditEvents')).toBe('THIRD_PARTY_CLIENT');
  });

  it('gives nobody else anything and asks no store for records; each refusal is recorded, where a reviewer finds it', async () => {
    const refusals = () => stack.dbs['user-profile'].collection(AUDIT_COLLECTION).countDocuments({ field: 'Query.auditEvents', outcome: 'DENY' });
    const before = await refusals();
    const q = 'query Peek { auditEvents(first: 5) { edges { node { id viewerId } } } }';
    const callers = { alice: t.alice, 'agent-nora': t.nora, rita: await stack.token({ sub: 'rita', roles: ['user'] }), anonymous: undefined };
    for (const token of Object.values(callers)) {
      const asked = await storesAsked(async () => {
        const res = await stack.query(q, {}, { token });
        expect(res.body.data?.auditEvents ?? null).toBeNull();
        expect(forbiddenAt(res, 'auditEvents')).toMatch(/NOT_OWNER|NOT_AUTHENTICATED/);
      });
      expect(asked).toEqual([]);
    }
    // Recorded by user-profile, the keeper of the gateway's own decisions, one per refusal, before the answer went out.
    expect(await refusals()).toBe(before + 4);
    const found = nodes(await events('field: "Query.auditEvents", outcome: DENY')).filter((d: any) => d.operationName === 'Peek');
    expect(found.map((d: any) => [d.viewerKind, d.viewerId, d.reason]).sort()).toEqual([
      ['ANONYMOUS', null, 'NOT_AUTHENTICATED'],
      ['BANK_AGENT', 'agent-nora', 'NOT_OWNER'],
      ['USER', 'alice', 'NOT_OWNER'],
      ['USER', 'rita', 'NOT_OWNER'],
    ]);
    for (const d of found) expect(d).toMatchObject({ subgraph: 'user-profile', rule: 'isSecurityReviewer', operationHash: sha256(q), count: 1 });
    // The reviewer in a partner's app, refused above, is there too.
    expect(nodes(await events('field: "Query.auditEvents", reason: "THIRD_PARTY_CLIENT"'))).toEqual([expect.objectContaining({ viewerId: 'rita', client: 'partner-app' })]);
  });

  it('refuses a bad filter value itself, once, before asking any store (400), naming the value and the allowed ones', async () => {
    const byVariable = () => stack.query('query($f: AuditFilter) { auditEvents(filter: $f) { edges { node { id } } } }', { f: { reason: 'bogus' } }, { token: t.rita });
    for (const ask of [() => events('reason: "bogus"'), byVariable]) {
      const asked = await storesAsked(async () => {
        const res = await ask();
        expect(res.status).toBe(400);
        expect(res.body.errors).toHaveLength(1);
        expect(res.body.errors![0]).toMatchObject({ path: ['auditEvents'], extensions: { code: 'BAD_USER_INPUT' } });
        expect(res.body.errors![0]!.message).toMatch(/"bogus".*NOT_AUTHENTICATED, NOT_OWNER, CONSENT_REQUIRED/);
      });
      expect(asked).toEqual([]);
    }
  });

  it("names a store that does not answer, and still pages through the others' records", async () => {
    await stack.banks.contoso!.stop();
    try {
      const res = await events('', 20);
      expect(res.body.data.auditEvents.unavailable).toEqual(['bank:contoso']);
      expect(res.body.errors).toEqual([
        expect.objectContaining({ path: ['auditEvents'], extensions: expect.objectContaining({ code: 'SUBGRAPH_UNAVAILABLE', service: 'bank-account', bank: 'contoso' }) }),
      ]);
      expect(nodes(res).length).toBe(20);
      expect(nodes(res).some((d: any) => d.bankId === 'contoso')).toBe(false);
    } finally {
      await stack.banks.contoso!.start();
    }
  });
});

describe('npm run audit:verify', () => {
  const run = promisify(execFile);
  const verify = (...dbs: string[]) =>
    run('npx', ['tsx', KIT_SOURCE_FLAG, 'scripts/audit-verify.ts', '--uri', stack.client.options.hosts.map((h) => `mongodb://${h.host}:${h.port}/`)[0]!, ...dbs]).then(
      ({ stdout }) => ({ code: 0, stdout }),
      (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
    );
  const stores = () => [databaseName(stack.dbPrefix, 'user-profile'), databaseName(stack.dbPrefix, 'messaging'), bankDatabaseName(stack.dbPrefix, 'contoso'), bankDatabaseName(stack.dbPrefix, 'northwind')];

  it('walks every store and reports OK with the number of records; an altered record and a deleted one are both caught', async () => {
    const ok = await verify(...stores());
    expect(ok.code, ok.stdout).toBe(0);
    for (const name of stores()) {
      const count = await stack.client.db(name).collection(AUDIT_COLLECTION).countDocuments();
      expect(ok.stdout).toContain(`${name}: OK ${count} records`);
    }

    // Someone with write access to two databases: one record changed to an ALLOW, one record deleted.
    const altered = await northwind().collection(AUDIT_COLLECTION).findOne({ outcome: 'DENY', seq: { $gt: 0 } });
    await northwind().collection(AUDIT_COLLECTION).updateOne({ _id: altered!._id }, { $set: { outcome: 'ALLOW', reason: null } });
    const messaging = stack.dbs.messaging.collection(AUDIT_COLLECTION);
    const deleted = await messaging.findOne({ seq: 1 });
    await messaging.deleteOne({ _id: deleted!._id });

    const broken = await verify(...stores());
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain(`${bankDatabaseName(stack.dbPrefix, 'northwind')}: BROKEN`);
    expect(broken.stdout).toContain(`chain ${altered!.chain}, record ${altered!.seq} (${altered!._id}): the record was altered: its content does not match its hash`);
    expect(broken.stdout).toContain(`${databaseName(stack.dbPrefix, 'messaging')}: BROKEN`);
    expect(broken.stdout).toContain(`chain ${deleted!.chain}, record 1: record 1 is missing (deleted)`);
    expect(broken.stdout).toContain(`${bankDatabaseName(stack.dbPrefix, 'contoso')}: OK`);
  });

  it("catches a person's plain ids removed from a record when that person never asked for erasure", async () => {
    const profile = stack.dbs['user-profile'].collection(AUDIT_COLLECTION);
    const name = databaseName(stack.dbPrefix, 'user-profile');
    expect((await verify(name)).stdout).toContain(`${name}: OK`);
    // What erasure does to a record (plain ids gone, pseudonyms and hash untouched), done to one of alice's who never erased.
    const doctored = await profile.findOne({ viewerId: 'alice', subjectUserId: 'alice', seq: { $gt: 0 } });
    await profile.updateOne({ _id: doctored!._id }, { $set: { viewerId: null, subjectUserId: null } });
    const broken = await verify(name);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain(`chain ${doctored!.chain}, record ${doctored!.seq} (${doctored!._id}): viewerId was removed, but this store recorded no erasure of that person at or after the record`);
  });

  it('reports a deleted record, and not the removals of a legitimate erasure made after it', async () => {
    const name = bankDatabaseName(stack.dbPrefix, 'contoso');
    const contoso = stack.dbs.banks.contoso!.collection(AUDIT_COLLECTION);
    const cleo = await stack.token({ sub: 'agent-cleo', roles: ['bank_agent'], bank: 'contoso', client: 'bank-console' });
    // contoso records a look at bob's data (his ids, to be erased), then another record, which is deleted.
    await stack.query('query LookAtBob { user(id: "bob") { accounts { id } } }', {}, { token: cleo });
    const bobs = await contoso.find({ subjectUserId: 'bob' }).sort({ seq: -1 }).toArray();
    expect(bobs.length).toBeGreaterThan(0);
    await stack.query('query LookAgain { user(id: "alice") { accounts { id } } }', {}, { token: cleo });
    const deleted = await contoso.findOne({ chain: bobs[0]!.chain, seq: { $gt: bobs[0]!.seq } });
    await contoso.deleteOne({ _id: deleted!._id });
    // Then bob erases his data: contoso records his erasure (after the deletion, in the same chain) and removes his ids.
    expect((await stack.query('mutation { eraseMyData { complete } }', {}, { token: t.bob })).body.data.eraseMyData.complete).toBe(true);
    expect(await contoso.countDocuments({ subjectUserId: 'bob' })).toBe(0);
    expect(await contoso.countDocuments({ chain: bobs[0]!.chain, field: 'Mutation.eraseMyData', seq: { $gt: deleted!.seq } })).toBe(1);

    const broken = await verify(name);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain(`chain ${deleted!.chain}, record ${deleted!.seq}: record ${deleted!.seq} is missing (deleted)`);
    expect(broken.stdout).not.toContain('was removed');
  });
});
