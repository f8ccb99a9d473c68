// Query bombs: documents made to cost the gateway or the subgraphs far more than they weigh. Each
// is refused by the gate with 400 and the figure against the limit, before anything is planned or
// fetched: no subgraph sees a request (no MongoDB command, no decision record).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AUDIT_COLLECTION } from '@consent-gateway/kit/audit-mongo';
import { DEFAULT_PERSISTED_OPERATIONS_FILE } from '../../gateway/config.ts';
import { postGraphQL, type GraphQLResponse } from '../support/stack.ts';
import { afterTheSuite, expectNoInternals, expectRefusal, hostileStack } from './support.ts';

const hostile = hostileStack();
const token = (sub: string, client?: string) => hostile.stack.token({ sub, client });

/** The response, and proof from outside the gateway that no subgraph did any work for it. */
async function refusedBeforeAnySubgraph(send: () => Promise<GraphQLResponse>): Promise<GraphQLResponse> {
  const auditBefore = await auditRecords();
  const { result, commands } = await hostile.stack.commands.watch(send);
  expect(commands.map((c) => `${c.name} ${c.collection ?? ''}`)).toEqual([]);
  expect(await auditRecords()).toBe(auditBefore);
  return result;
}

async function auditRecords(): Promise<number> {
  const snapshot = await hostile.stack.snapshotDatabases();
  return Object.values(snapshot).reduce((sum, collections) => sum + (collections[AUDIT_COLLECTION] ?? 0), 0);
}

function fragmentBomb(levels: number): string {
  let q = `query{me{...F${levels}}} fragment F0 on User{id}`;
  for (let i = 1; i <= levels; i++) q += ` fragment F${i} on User{...F${i - 1} ...F${i - 1}}`;
  return q;
}

const errorFor = (res: GraphQLResponse, code: string) => res.body.errors?.find((e) => e.extensions?.code === code);

/** The registered MyOverview (operations/), whose page sizes are variables. */
const MY_OVERVIEW = (JSON.parse(readFileSync(DEFAULT_PERSISTED_OPERATIONS_FILE, 'utf8')) as { operations: Array<{ id: string; name: string }> }).operations.find((o) => o.name === 'MyOverview')!.id;

describe('documents that grow when expanded', () => {
  it('nested fragments, 30 levels, no token (the issue\'s repro): refused, no subgraph called', async () => {
    const res = await refusedBeforeAnySubgraph(() => hostile.stack.query(fragmentBomb(30)));
    expectRefusal(res, 400, 'FIELD_LIMIT_EXCEEDED');
    expect(errorFor(res, 'FIELD_LIMIT_EXCEEDED')!.extensions).toEqual({ code: 'FIELD_LIMIT_EXCEEDED', measured: 2 ** 30 + 1, limit: 300 });
  });

  it('nested fragments, 60 levels, signed in', async () => {
    const res = await refusedBeforeAnySubgraph(async () => hostile.stack.query(fragmentBomb(60), {}, { token: await token('alice') }));
    expectRefusal(res, 400, 'FIELD_LIMIT_EXCEEDED');
  });

  it('fragments that spread each other (a cycle)', async () => {
    const res = await refusedBeforeAnySubgraph(() => hostile.stack.query('{ me { ...A } } fragment A on User { ...B } fragment B on User { id ...A }'));
    expectRefusal(res, 400, 'FRAGMENT_CYCLE');
  });
});

describe('cost', () => {
  const PAGE = 'me { accounts { transactions(first: 100) { edges { node { id } } } } }';
  const RICH_PAGE = 'me { accounts { transactions(first: 100) { edges { node { id amount { minorUnits } merchant { name location { city } } } } } } }';

  it('100 aliases of a 100-row page: refused by cost before any subgraph is called', async () => {
    const query = `{ ${Array.from({ length: 100 }, (_, i) => `a${i}: ${PAGE}`).join(' ')} }`;
    const res = await refusedBeforeAnySubgraph(async () => hostile.stack.query(query, {}, { token: await token('alice') }));
    expectRefusal(res, 400, 'COST_LIMIT_EXCEEDED');
    const cost = errorFor(res, 'COST_LIMIT_EXCEEDED')!;
    expect(cost.extensions).toMatchObject({ limit: 20_000 });
    expect(cost.extensions!.measured).toBeGreaterThan(100 * 2 * 100); // 100 aliases × (at least) 2 accounts × 100 rows
    expect(cost.message).toMatch(/^The operation costs too much: \d+, the limit is 20000 for first-party clients\.$/);
    // The other exceeded limits are reported alongside.
    expect(res.body.errors!.map((e) => e.extensions?.code)).toEqual(expect.arrayContaining(['ALIAS_LIMIT_EXCEEDED', 'ROOT_FIELD_LIMIT_EXCEEDED', 'FIELD_LIMIT_EXCEEDED']));
  });

  it('one 100-row page is within the first-party limit (control)', async () => {
    const res = await hostile.stack.query(`{ ${RICH_PAGE} }`, {}, { token: await token('alice') });
    expect(res.status).toBe(200);
    expect(res.body.data.me.accounts[0].transactions.edges.length).toBeGreaterThan(0);
  });

  it('a page size passed as a variable is the one measured', async () => {
    const query = 'query($n: Int) { me { accounts { transactions(first: $n) { edges { node { id } } } } } }';
    const res = await refusedBeforeAnySubgraph(async () => hostile.stack.query(query, { n: 1_000_000 }, { token: await token('alice') }));
    expectRefusal(res, 400, 'COST_LIMIT_EXCEEDED');
  });

  it('anonymous callers have the smallest budget', async () => {
    const query = '{ user(id: "alice") { accounts { transactions(first: 100) { edges { node { id } } } } } }';
    const res = await refusedBeforeAnySubgraph(() => hostile.stack.query(query));
    expectRefusal(res, 400, 'COST_LIMIT_EXCEEDED');
    expect(errorFor(res, 'COST_LIMIT_EXCEEDED')!.message).toMatch(/for anonymous callers/);
  });

  it('third-party apps have a smaller budget than first-party ones', async () => {
    const res = await refusedBeforeAnySubgraph(async () => hostile.stack.query(`{ ${RICH_PAGE} }`, {}, { token: await token('alice', 'partner-app') }));
    expectRefusal(res, 400, 'COST_LIMIT_EXCEEDED');
    expect(errorFor(res, 'COST_LIMIT_EXCEEDED')!.message).toMatch(/limit is 5000 for third-party clients/);
  });
});

describe('reads the cost did not see', () => {
  it("four aliases of accessLog(first: 200): refused by cost, which counts the 25 decision records the bank reads per entry", async () => {
    const query = `{ me { ${Array.from({ length: 4 }, (_, i) => `l${i}: accessLog(first: 200) { at }`).join(' ')} } }`;
    const res = await refusedBeforeAnySubgraph(async () => hostile.stack.query(query, {}, { token: await token('alice') }));
    expectRefusal(res, 400, 'COST_LIMIT_EXCEEDED');
    expect(errorFor(res, 'COST_LIMIT_EXCEEDED')!.extensions).toEqual({ code: 'COST_LIMIT_EXCEEDED', measured: 1 + 4 * 200 * 25, limit: 20_000 });
  });

  it('one accessLog(first: 200) is within the first-party limit (control)', async () => {
    const res = await hostile.stack.query('{ me { accessLog(first: 200) { at } } }', {}, { token: await token('alice') });
    expect(res.status).toBe(200);
    expect(res.body.data.me.accessLog).toBeInstanceOf(Array);
  });
});

describe('page sizes outside their range: refused at the gate, naming the argument, the value and the range', () => {
  const PAGE = (first: string) => `me { accounts { transactions(first: ${first}) { edges { node { id } } } } }`;

  it('a negative first (which once made everything below it cost nothing)', async () => {
    const res = await refusedBeforeAnySubgraph(async () => hostile.stack.query(`{ ${PAGE('-1')} }`, {}, { token: await token('alice') }));
    expectRefusal(res, 400, 'BAD_USER_INPUT');
    expect(res.body.errors![0]).toEqual({
      message: '"first" of transactions must be between 0 and 100 (got -1).',
      extensions: { code: 'BAD_USER_INPUT', argument: 'first', field: 'transactions', value: -1, min: 0, max: 100 },
    });
  });

  it('100 aliases of a page of -1 rows', async () => {
    const query = `{ ${Array.from({ length: 100 }, (_, i) => `a${i}: ${PAGE('-1')}`).join(' ')} }`;
    const res = await refusedBeforeAnySubgraph(async () => hostile.stack.query(query, {}, { token: await token('alice') }));
    expectRefusal(res, 400, 'BAD_USER_INPUT');
    expect(res.body.errors!.filter((e) => e.extensions?.code === 'BAD_USER_INPUT')).toHaveLength(1); // once, not once per alias
  });

  it('a negative page size in a variable, and in the default of a variable not given', async () => {
    const query = 'query($n: Int = -7) { me { conversations { messages(first: $n) { edges { node { body } } } } } }';
    const given = await refusedBeforeAnySubgraph(async () => hostile.stack.query(query, { n: -2 }, { token: await token('alice') }));
    expectRefusal(given, 400, 'BAD_USER_INPUT');
    expect(given.body.errors![0]!.extensions).toMatchObject({ field: 'messages', value: -2, min: 0, max: 100 });
    const defaulted = await refusedBeforeAnySubgraph(async () => hostile.stack.query(query, {}, { token: await token('alice') }));
    expect(defaulted.body.errors![0]!.extensions).toMatchObject({ field: 'messages', value: -7 });
  });

  it('a registered operation sent by hash, with a hostile page size in its variables', async () => {
    const body = { variables: { transactions: -100 }, extensions: { persistedQuery: { version: 1, sha256Hash: MY_OVERVIEW } } };
    const res = await refusedBeforeAnySubgraph(async () => postGraphQL(hostile.stack.gatewayUrl, body, { authorization: `Bearer ${await token('alice')}` }));
    expectRefusal(res, 400, 'BAD_USER_INPUT');
  });

  it.each([
    ['transactions above the page size', `{ ${PAGE('101')} }`, { field: 'transactions', value: 101, min: 0, max: 100 }],
    ['accessLog above its 200', '{ me { accessLog(first: 201) { at } } }', { field: 'accessLog', value: 201, min: 1, max: 200 }],
    ['accessLog of none (it starts at 1)', '{ me { accessLog(first: 0) { at } } }', { field: 'accessLog', value: 0, min: 1, max: 200 }],
    ['auditEvents above its 500', '{ auditEvents(first: 501) { edges { node { id } } } }', { field: 'auditEvents', value: 501, min: 1, max: 500 }],
    ['messages of 2^31 - 1', '{ me { conversations { messages(first: 2147483647) { edges { node { body } } } } } }', { field: 'messages', value: 2 ** 31 - 1 }],
  ])('%s', async (_what, query, extensions) => {
    const res = await refusedBeforeAnySubgraph(async () => hostile.stack.query(query, {}, { token: await token('alice') }));
    expectRefusal(res, 400, 'BAD_USER_INPUT');
    expect(res.body.errors![0]!.extensions).toMatchObject({ argument: 'first', ...extensions });
  });

  it('the largest page of each is answered (control)', async () => {
    const res = await hostile.stack.query(`{ ${PAGE('100')} }`, {}, { token: await token('alice') });
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
  });
});

describe('width', () => {
  it('the same field 400 times, no aliases', async () => {
    const res = await refusedBeforeAnySubgraph(async () => hostile.stack.query(`{ me { ${'displayName '.repeat(400)} } }`, {}, { token: await token('alice') }));
    expectRefusal(res, 400, 'FIELD_LIMIT_EXCEEDED');
  });

  it('forty root fields under aliases', async () => {
    const res = await refusedBeforeAnySubgraph(() => hostile.stack.query(`{ ${Array.from({ length: 40 }, (_, i) => `b${i}: banks { id }`).join(' ')} }`));
    expectRefusal(res, 400, 'ROOT_FIELD_LIMIT_EXCEEDED');
    expect(res.body.errors!.map((e) => e.extensions?.code)).toContain('ALIAS_LIMIT_EXCEEDED');
  });

  it('a hundred directives', async () => {
    const res = await refusedBeforeAnySubgraph(() => hostile.stack.query(`{ banks { id ${'@include(if: true) '.repeat(100)} } }`));
    expectRefusal(res, 400, 'DIRECTIVE_LIMIT_EXCEEDED');
  });

  it('15,000 tokens', async () => {
    const res = await refusedBeforeAnySubgraph(() => hostile.stack.query(`{ ${'a '.repeat(15_000)}}`));
    expectRefusal(res, 400, 'TOKEN_LIMIT_EXCEEDED');
    expect(errorFor(res, 'TOKEN_LIMIT_EXCEEDED')!.extensions).toMatchObject({ measured: 15_002, limit: 3_000 });
  });
});

describe('depth and nesting', () => {
  it('types that lead back to each other, 20 levels deep', async () => {
    let inner = 'id';
    for (let i = 0; i < 10; i++) inner = `conversations { user { ${inner} } }`;
    const res = await refusedBeforeAnySubgraph(async () => hostile.stack.query(`{ me { ${inner} } }`, {}, { token: await token('alice') }));
    expectRefusal(res, 400, 'DEPTH_LIMIT_EXCEEDED');
  });

  it.each([
    ['selections', `{${'me{'.repeat(10_000)}id${'}'.repeat(10_001)}`],
    ['list values', `{ user(id: ${'['.repeat(10_000)}"x"${']'.repeat(10_000)}) { id } }`],
    ['input objects', `mutation { grantConsent(input: ${'{a:'.repeat(10_000)}1${'}'.repeat(10_000)}) { id } }`],
    ['unbalanced brackets', `{ ${'['.repeat(20_000)}`],
  ])('%s nested 10,000 deep: measured before the parser recurses', async (_what, query) => {
    const res = await refusedBeforeAnySubgraph(() => hostile.stack.query(query));
    expectRefusal(res, 400, 'NESTING_LIMIT_EXCEEDED');
    expect(errorFor(res, 'NESTING_LIMIT_EXCEEDED')!.extensions!.measured).toBeGreaterThan(10_000);
    expect(JSON.stringify(res.body)).not.toMatch(/call stack/i);
  });

  it('brackets inside strings and comments do not count (control)', async () => {
    const res = await hostile.stack.query(`# ${'{'.repeat(5_000)}\n{ user(id: "${'['.repeat(1_000)}") { id } banks { id } }`);
    expect(res.status).toBe(200);
    expect(res.body.data.user).toBeNull();
  });
});

describe('introspection', () => {
  const aliasedSchema = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `s${i}: __schema { types { name fields { name } } }`).join(' ')} }`;

  it("700 aliased __schema selections, no token (the issue's 38 KB → 5 MB): refused, and the answer is small", async () => {
    const res = await refusedBeforeAnySubgraph(() => hostile.stack.query(aliasedSchema(700)));
    expectRefusal(res, 400, 'TOKEN_LIMIT_EXCEEDED');
    expect(JSON.stringify(res.body).length).toBeLessThan(500);
  });

  it('100 aliased __schema selections, no token: introspection is not for anonymous callers', async () => {
    const res = await refusedBeforeAnySubgraph(() => hostile.stack.query(aliasedSchema(100)));
    expectRefusal(res, 403, 'INTROSPECTION_DISABLED');
    expect(JSON.stringify(res.body).length).toBeLessThan(500);
  });

  it('the same, signed in: the limits apply to introspection too', async () => {
    const res = await hostile.stack.query(aliasedSchema(100), {}, { token: await token('alice') });
    expectRefusal(res, 400, 'ALIAS_LIMIT_EXCEEDED');
    expect(res.body.errors!.map((e) => e.extensions?.code)).toContain('ROOT_FIELD_LIMIT_EXCEEDED');
  });

  it("every type's fields with their descriptions, 25 times under aliases: priced at the schema's real size (a third-party budget is 5,000)", async () => {
    const query = `{ __schema { ${Array.from({ length: 25 }, (_, i) => `t${i}: types { name description fields { name description } }`).join(' ')} } }`;
    const res = await refusedBeforeAnySubgraph(async () => hostile.stack.query(query, {}, { token: await token('alice', 'partner-app') }));
    expectRefusal(res, 400, 'COST_LIMIT_EXCEEDED');
    // Each alias returns every type and every field of the graph: well over 200 objects, not the 111 of lists assumed to hold 10.
    expect(errorFor(res, 'COST_LIMIT_EXCEEDED')!.extensions!.measured).toBeGreaterThan(25 * 200);
  });

  it('__type without a token', async () => {
    expectRefusal(await hostile.stack.query('{ __type(name: "BankAccount") { fields { name } } }'), 403, 'INTROSPECTION_DISABLED', ['accountNumber']);
  });

  it('introspection hidden in a fragment, without a token', async () => {
    expectRefusal(await hostile.stack.query('{ ...Q } fragment Q on Query { __schema { queryType { name } } }'), 403, 'INTROSPECTION_DISABLED');
  });

  it('a signed-in caller may introspect on this development stack (control); __typename is not introspection', async () => {
    const res = await hostile.stack.query('{ __schema { queryType { name } } }', {}, { token: await token('alice') });
    expect(res.body.data.__schema.queryType.name).toBe('Query');
    const anonymous = await hostile.stack.query('{ banks { __typename id } }');
    expect(anonymous.status).toBe(200);
    expectNoInternals(anonymous);
  });
});

afterTheSuite(hostile);
