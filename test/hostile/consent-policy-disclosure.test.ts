// The consent policy is not a service to callers who may not grant: an anonymous caller, a
// third-party app or a bank's agent sending grantConsent gets what the field's own rule answers
// (FORBIDDEN at the field with NOT_AUTHENTICATED, THIRD_PARTY_CLIENT or NOT_OWNER), whatever the
// input, and learns no permission, purpose or policy rule from it. A signed-in user who may not
// introspect (INTROSPECTION=off here) is told what is wrong with a grant in words that name only
// what it wrote. Nothing is stored.
import { beforeAll, describe, expect, it } from 'vitest';
import { POLICY_HIDDEN } from '../../gateway/references.ts';
import { type GraphQLResponse } from '../support/stack.ts';
import { afterTheSuite, expectNoInternals, hostileStack } from './support.ts';

const hostile = hostileStack({ env: { INTROSPECTION: 'off' } });

const GRANT = 'mutation($i: GrantConsentInput!) { grantConsent(input: $i) { id } }';
type Caller = 'anonymous' | 'thirdParty' | 'agent' | 'alice';
const tokens: Partial<Record<Caller, string>> = {};
beforeAll(async () => {
  const s = hostile.stack;
  tokens.thirdParty = await s.token({ sub: 'alice', client: 'partner-app' });
  tokens.agent = await s.token({ sub: 'agent-nora', roles: ['bank_agent'], bank: 'northwind', client: 'bank-console' });
  tokens.alice = await s.token({ sub: 'alice' });
});
const grant = (who: Caller, input: Record<string, unknown>) => hostile.stack.query(GRANT, { i: input }, { token: tokens[who] });

const VALID = { bankId: 'northwind', permissions: ['ACCOUNTS_BASIC'], purposes: ['ACCOUNT_OVERVIEW'] };
/** Every enum member valid, the combination not: the bank's policy would list what is missing. */
const AGAINST_POLICY = { bankId: 'northwind', permissions: ['TRANSACTIONS_BASIC', 'MERCHANT_LOCATION_PRECISE'], purposes: [] };
/** The reviewer's request: a permission and a purpose the enums do not have. */
const NOT_IN_ENUMS = { bankId: 'northwind', permissions: ['ACCOUNTS_BASIC', 'FOO'], purposes: ['ADVERTISING'] };

/** Names a caller must not learn from a refusal it did not write: the policy's and the enums'. */
const POLICY_WORDS = ['ACCOUNTS_DETAIL', 'TRANSACTIONS_CREDITS', 'TRANSACTIONS_DEBITS', 'MERCHANT_LOCATION_COARSE', 'CUSTOMER_SERVICE', 'unknown permission', 'unknown purpose', 'Permission', 'Purpose'];

const expectNoPolicy = (res: GraphQLResponse, wrote: string[] = []) => {
  const text = JSON.stringify(res.body);
  for (const word of POLICY_WORDS.filter((w) => !wrote.includes(w))) expect(text, `tells ${word}`).not.toContain(word);
  expectNoInternals(res);
};

describe('a caller the grant rule refuses gets that rule answer, whatever the input', () => {
  it.each([
    ['anonymous', 'NOT_AUTHENTICATED'],
    ['thirdParty', 'THIRD_PARTY_CLIENT'],
    ['agent', 'NOT_OWNER'],
  ] as const)('%s: %s at the field, for a valid grant and for one against the policy alike', async (who, reason) => {
    const valid = await grant(who, VALID);
    expect(valid.status).toBe(200);
    expect(valid.body.data).toBeNull();
    expect(valid.body.errors).toEqual([expect.objectContaining({ path: ['grantConsent'], extensions: expect.objectContaining({ code: 'FORBIDDEN', reason }) })]);
    const invalid = await grant(who, AGAINST_POLICY);
    expect(invalid.status).toBe(200);
    expect(invalid.body).toEqual(valid.body);
    expectNoPolicy(invalid, AGAINST_POLICY.permissions);
  });

  it('as a literal in the document too', async () => {
    const res = await hostile.stack.query('mutation { grantConsent(input: { bankId: "northwind", permissions: [TRANSACTIONS_BASIC], purposes: [ACCOUNT_OVERVIEW] }) { id } }');
    expect(res.body.errors).toEqual([expect.objectContaining({ path: ['grantConsent'], extensions: expect.objectContaining({ code: 'FORBIDDEN', reason: 'NOT_AUTHENTICATED' }) })]);
    expectNoPolicy(res, ['TRANSACTIONS_BASIC']);
  });

  it.each(['anonymous', 'thirdParty'] as const)('%s: values the enums do not have are refused by GraphQL, naming neither the enums nor the policy', async (who) => {
    const res = await grant(who, NOT_IN_ENUMS);
    expect(res.status).toBe(400);
    expect(res.body.errors?.[0]).toMatchObject({ message: 'Variable "$i" got a value its declared type does not accept.', extensions: { code: 'BAD_USER_INPUT' } });
    expectNoPolicy(res, NOT_IN_ENUMS.permissions);
    expect(JSON.stringify(res.body)).not.toMatch(/FOO|ADVERTISING/);
  });
});

describe('a signed-in user who may not introspect', () => {
  it('is told a grant is against the policy without the names it did not write', async () => {
    const res = await grant('alice', AGAINST_POLICY);
    expect(res.status).toBe(400);
    expect(res.body.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', problems: [POLICY_HIDDEN, 'purposes must not be empty'] } });
    expect(res.body.errors?.[0]?.message).toBe(`invalid consent: ${POLICY_HIDDEN}; purposes must not be empty`);
    expectNoPolicy(res, AGAINST_POLICY.permissions);
  });

  it('keeps a problem that names only what it wrote (a date, an empty list, a bank id)', async () => {
    const res = await grant('alice', { ...VALID, permissions: ['ACCOUNTS_BASIC', 'MERCHANT_LOCATION_PRECISE', 'MERCHANT_LOCATION_COARSE'], expiresAt: '2001-01-01T00:00:00Z' });
    expect(res.status).toBe(400);
    // 'MERCHANT_LOCATION_COARSE needs TRANSACTIONS_DETAIL' would name a permission it did not write.
    expect(res.body.errors?.[0]?.extensions?.problems).toEqual([POLICY_HIDDEN, 'expiresAt is in the past']);
  });

  it('values the enums do not have: the filtered GraphQL refusal, not a list of what exists', async () => {
    const res = await grant('alice', NOT_IN_ENUMS);
    expect(res.status).toBe(400);
    expect(res.body.errors?.[0]?.message).toBe('Variable "$i" got a value its declared type does not accept.');
    expectNoPolicy(res, NOT_IN_ENUMS.permissions);
  });
});

afterTheSuite(hostile);
