// Malformed, misspelled, out-of-range and booby-trapped input: a clear refusal with a stable code,
// no field suggestions (they would read the schema out without introspection), no write.
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bankAudience, mintInternalToken } from '@consent-gateway/kit/internal-token';
import { postGraphQL, startTestStack, type TestStack } from '../support/stack.ts';
import { afterTheSuite, expectNoInternals, expectRefusal, hostileStack } from './support.ts';

const hostile = hostileStack();
let alice = '';
beforeAll(async () => {
  alice = await hostile.stack.token({ sub: 'alice' });
});
const asAlice = (query: string, variables?: Record<string, unknown>, operationName?: string) =>
  postGraphQL(hostile.stack.gatewayUrl, { query, variables, operationName }, { authorization: `Bearer ${alice}` });

const GRANT = 'mutation($input: GrantConsentInput!) { grantConsent(input: $input) { id } }';
const grant = (input: Record<string, unknown>) => asAlice(GRANT, { input: { bankId: 'contoso', permissions: ['BALANCES'], purposes: ['ACCOUNT_OVERVIEW'], ...input } });

describe('no field suggestions, in validation or in variables', () => {
  // Each mistake is one letter off a name of the schema that graphql-js would otherwise suggest.
  it.each([
    ['an enum value misspelled in a variable', () => grant({ permissions: ['BALANCE'] }), 'BAD_USER_INPUT', 'BALANCES'],
    ['an input field misspelled in a variable', () => asAlice(GRANT, { input: { bankId: 'contoso', permissions: ['BALANCES'], purposes: ['ACCOUNT_OVERVIEW'], expiresAtt: null } }), 'BAD_USER_INPUT', 'expiresAt"'],
    ['an enum value misspelled in the document', () => asAlice('mutation { grantConsent(input: { bankId: "contoso", permissions: [BALANCE], purposes: [ACCOUNT_OVERVIEW] }) { id } }'), 'GRAPHQL_VALIDATION_FAILED', 'BALANCES'],
    ['an argument misspelled', () => asAlice('{ me { accounts { transactions(frist: 5) { edges { cursor } } } } }'), 'GRAPHQL_VALIDATION_FAILED', '"first"'],
    ['a field misspelled', () => asAlice('{ me { acounts { id } } }'), 'GRAPHQL_VALIDATION_FAILED', '"accounts"'],
    ['a type misspelled in a variable definition', () => asAlice('query($p: Permision) { me { id } }'), 'GRAPHQL_VALIDATION_FAILED', '"Permission"'],
    ['a purpose that does not exist', () => grant({ purposes: ['CUSTOMER_SERVIC'] }), 'BAD_USER_INPUT', 'CUSTOMER_SERVICE'],
  ] as const)('%s', async (_what, send, code, suggestion) => {
    const res = await send();
    expectRefusal(res, 400, code);
    expect(JSON.stringify(res.body)).not.toContain(suggestion);
  });

  it('not in a subgraph either, reached directly with a valid gateway token', async () => {
    const key = createPrivateKey(readFileSync(hostile.stack.keys.gatewayPrivate, 'utf8'));
    const identity = { sub: 'alice', client: 'messenger-web', clientType: 'first-party' as const, roles: ['user' as const], purpose: 'customer_service' as const };
    const res = await postGraphQL(
      `${hostile.stack.serviceUrls()['bank-contoso']}/graphql`,
      { query: GRANT, variables: { input: { bankid: 'contoso', permissions: ['BALANCE'], purposes: ['ACCOUNT_OVERVIEW'] } } },
      { authorization: `Bearer ${await mintInternalToken({ identity, requestId: 'r' }, bankAudience('contoso'), key)}` },
    );
    expectRefusal(res, 400, 'BAD_USER_INPUT');
  });
});

describe('no schema details for callers who may not introspect', () => {
  // Each names a type, field or argument the caller never wrote; validation would say it.
  const CASES = [
    ['a required input field left out', 'mutation { grantConsent(input: {}) { id } }', ['GrantConsentInput', 'bankId', 'Permission']],
    ['a field of object type without a selection', '{ me }', ['"User"']],
    ['a required argument left out', '{ cardTransaction { id } }', ['"id"', 'ID!']],
    ['a variable of the wrong type', 'query($x: Boolean) { bank(id: $x) { id } }', ['ID!']],
  ] as const;

  it.each(CASES)('%s: an anonymous caller gets the refusal, in words naming nothing of the schema', async (_what, query, details) => {
    const res = await postGraphQL(hostile.stack.gatewayUrl, { query });
    expectRefusal(res, 400, 'GRAPHQL_VALIDATION_FAILED');
    for (const detail of details) expect(JSON.stringify(res.body)).not.toContain(detail);
    expect((res.body.errors?.[0] as { locations?: unknown } | undefined)?.locations).toBeDefined(); // still says where
  });

  it('a variable coerced against its type: the anonymous caller learns nothing of the type', async () => {
    const res = await postGraphQL(hostile.stack.gatewayUrl, { query: 'mutation($i: GrantConsentInput!) { grantConsent(input: $i) { id } }', variables: { i: { bankId: 'contoso' } } });
    expectRefusal(res, 400, 'BAD_USER_INPUT');
    expect(res.body.errors?.[0]?.message).toMatch(/^Variable "\$i" got a value its declared type does not accept\.$/);
  });

  it('a signed-in caller, where introspection is enabled (this stack), gets the details (control)', async () => {
    const res = await asAlice('mutation { grantConsent(input: {}) { id } }');
    expectRefusal(res, 400, 'GRAPHQL_VALIDATION_FAILED');
    expect(JSON.stringify(res.body)).toContain('GrantConsentInput');
  });
});

describe('values out of range or malformed', () => {
  it('an Int beyond 32 bits', async () => {
    expectRefusal(await asAlice('{ me { accounts { transactions(first: 99999999999) { edges { cursor } } } } }'), 400, 'GRAPHQL_VALIDATION_FAILED');
    expectRefusal(await asAlice('query($n: Int) { me { accounts { transactions(first: $n) { edges { cursor } } } } }', { n: 2 ** 40 }), 400, 'BAD_USER_INPUT');
  });
  it('a negative page size', async () => {
    const res = await asAlice('{ me { accounts { transactions(first: -1) { edges { cursor } } } } }');
    expect(res.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expectNoInternals(res);
  });
  it('a date that is not ISO-8601, as a variable', async () => {
    expectRefusal(await asAlice('query($f: DateTime) { me { accounts { transactions(from: $f) { edges { cursor } } } } }', { f: '2026-02-30T25:61:00Z' }), 400, 'BAD_USER_INPUT');
  });
  it('a cursor that was never issued', async () => {
    const res = await asAlice('{ me { accounts { transactions(after: "eyJub3BlIjp0cnVlfQ") { edges { cursor } } } } }');
    expect(res.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expectNoInternals(res);
  });
  // Invalid grants are refused as a whole before anything runs (the gateway applies the policy's
  // own check before it links the user to the bank in the directory).
  it('a consent without permissions', async () => {
    expectRefusal(await grant({ permissions: [] }), 400, 'BAD_USER_INPUT');
  });
  it('a consent that has already expired', async () => {
    const res = await grant({ expiresAt: '2001-01-01T00:00:00Z' });
    expectRefusal(res, 400, 'BAD_USER_INPUT');
    expectNoInternals(res);
  });
  it('a consent for a bank that does not exist', async () => {
    const res = await grant({ bankId: 'no-such-bank' });
    expect(res.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expectNoInternals(res);
  });
  it('a message longer than a message may be', async () => {
    const conversations = await asAlice('{ me { conversations { id } } }');
    const res = await asAlice('mutation($c: ID!, $b: String!) { sendMessage(conversationId: $c, body: $b) { id } }', { c: conversations.body.data.me.conversations[0].id, b: 'x'.repeat(5_000) });
    // Found only while executing, and nothing else came back: the request failed for what the client sent.
    expectRefusal(res, 400, 'BAD_USER_INPUT');
  });
  it('an empty message: found while executing, nothing came back, 400', async () => {
    const conversations = await asAlice('{ me { conversations { id } } }');
    const c = conversations.body.data.me.conversations[0].id;
    expectRefusal(await asAlice('mutation($c: ID!) { sendMessage(conversationId: $c, body: "  ") { id } }', { c }), 400, 'BAD_USER_INPUT');
  });
});

describe('booby-trapped input', () => {
  it('NUL bytes and control characters in an id', async () => {
    const res = await asAlice('query($id: ID!) { user(id: $id) { id } bankAccount(id: $id) { id } }', { id: 'alice\u0000\u001b[2J' });
    expect(res.status).toBe(200);
    expect(res.body.data.user).toBeNull();
    expectNoInternals(res);
  });
  it('an id of 30,000 characters', async () => {
    const res = await asAlice('query($id: ID!) { user(id: $id) { id } }', { id: 'a'.repeat(30_000) });
    expect(res.body.data?.user ?? null).toBeNull();
    expectNoInternals(res);
    expect(JSON.stringify(res.body).length).toBeLessThan(2_000);
  });
  it('a MongoDB operator where an id goes', async () => {
    const res = await asAlice('query($id: ID!) { user(id: $id) { id email } }', { id: { $ne: null } });
    expectRefusal(res, 400, 'BAD_USER_INPUT', ['alice@example.org']);
  });
  it('"__proto__" in the variables', async () => {
    const res = await postGraphQL(hostile.stack.gatewayUrl, `{"query":"query($id: ID!) { user(id: $id) { id } }","variables":{"id":"bob","__proto__":{"admin":true,"roles":["security_reviewer"]}}}`, { authorization: `Bearer ${alice}` });
    expect(res.body.data.user).toEqual({ id: 'bob' });
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });
  it('variables nested 30,000 levels deep, declared or not', async () => {
    const deep = `${'['.repeat(30_000)}"BALANCES"${']'.repeat(30_000)}`; // written by hand: JSON.stringify itself would overflow
    const declared = `{"query":${JSON.stringify(GRANT)},"variables":{"input":{"bankId":"contoso","permissions":${deep},"purposes":["ACCOUNT_OVERVIEW"]}}}`;
    expectRefusal(await postGraphQL(hostile.stack.gatewayUrl, declared, { authorization: `Bearer ${alice}` }), 400, 'BAD_USER_INPUT');
    const undeclared = `{"query":"{ me { displayName } }","variables":{"extra":${deep}}}`;
    const res = await postGraphQL(hostile.stack.gatewayUrl, undeclared, { authorization: `Bearer ${alice}` });
    expect(res.body.data.me.displayName).toBe('Alice Martin');
  });
  it('an operationName of 10,000 characters is not echoed back whole', async () => {
    const name = 'N'.repeat(10_000);
    const res = await asAlice('query A { me { id } }', undefined, name);
    expectRefusal(res, 400, 'OPERATION_RESOLUTION_FAILURE');
    expect(JSON.stringify(res.body).length).toBeLessThan(500);
  });
});

describe('with NODE_ENV=development (control: the switch is what hides suggestions)', () => {
  let dev: TestStack;
  beforeAll(async () => {
    dev = await startTestStack({ env: { NODE_ENV: 'development' }, seedData: false });
  });
  afterAll(() => dev?.close());

  it('suggestions are shown to developers', async () => {
    const res = await dev.query('{ me { acounts { id } } }', {}, { token: await dev.token({ sub: 'alice' }) });
    expect(res.body.errors?.[0]?.message).toMatch(/Did you mean "accounts"\?/);
  });
});

afterTheSuite(hostile);
