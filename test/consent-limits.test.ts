// One user cannot starve a bank by piling up consents (docs/consent-policy.md, "Lifecycle"): a grant
// with exactly the terms of a live consent is refused, naming that consent; at most
// CONSENT_LIMITS.live active consents and CONSENT_LIMITS.total in all (revoked and expired
// included) per user and bank. Refusals are BAD_USER_INPUT with a clear message, and nothing is stored.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSENT_LIMITS, heldConsentsRefusal, sameTerms, type ConsentRecord } from '@consent-gateway/kit/consent-policy';
import { bankDatabaseName } from '../subgraphs/registry.ts';
import { startTestStack, type TestStack } from './support/stack.ts';

const NOW = new Date('2026-06-01T00:00:00Z');
const DAY = 86_400_000;
const consent = (id: string, over: Partial<ConsentRecord> = {}): ConsentRecord => ({
  _id: id,
  userId: 'u',
  bankId: 'northwind',
  permissions: ['ACCOUNTS_BASIC', 'BALANCES'],
  purposes: ['customer_service'],
  grantedAt: new Date(NOW.getTime() - DAY).toISOString(),
  expiresAt: null,
  revokedAt: null,
  transactionsFrom: null,
  transactionsTo: null,
  ...over,
});

describe('the rule', () => {
  it('same terms: the same sets of permissions and purposes, the same expiry and window (as instants)', () => {
    const a = consent('a', { expiresAt: '2027-01-01T00:00:00.000Z' });
    expect(sameTerms(a, { ...a, permissions: ['BALANCES', 'ACCOUNTS_BASIC', 'BALANCES'] })).toBe(true);
    expect(sameTerms(a, { ...a, expiresAt: '2027-01-01T01:00:00+01:00' })).toBe(true);
    expect(sameTerms(a, { ...a, expiresAt: null })).toBe(false);
    expect(sameTerms(a, { ...a, permissions: ['ACCOUNTS_BASIC'] })).toBe(false);
    expect(sameTerms(a, { ...a, purposes: ['customer_service', 'spending_insights'] })).toBe(false);
    expect(sameTerms(a, { ...a, transactionsFrom: '2026-01-01T00:00:00.000Z' })).toBe(false);
  });

  it('refuses a duplicate of a live consent only: the same terms revoked or expired may be granted again', () => {
    const terms = consent('x');
    expect(heldConsentsRefusal(terms, [consent('live')], 'Northwind Bank', NOW)).toMatchObject({ kind: 'duplicate', consentId: 'live' });
    expect(heldConsentsRefusal(terms, [consent('gone', { revokedAt: NOW.toISOString() })], 'Northwind Bank', NOW)).toBeUndefined();
    const expired = consent('old', { expiresAt: new Date(NOW.getTime() - 1).toISOString() });
    expect(heldConsentsRefusal({ ...terms, expiresAt: expired.expiresAt }, [expired], 'Northwind Bank', NOW)).toBeUndefined();
  });

  it('caps live consents and all consents, naming the limit and what to do', () => {
    const live = Array.from({ length: CONSENT_LIMITS.live }, (_, i) => consent(`l${i}`, { expiresAt: new Date(NOW.getTime() + (i + 1) * DAY).toISOString() }));
    const refusal = heldConsentsRefusal(consent('x'), live, 'Northwind Bank', NOW);
    expect(refusal).toMatchObject({ kind: 'live', limit: CONSENT_LIMITS.live });
    expect(refusal?.message).toMatch(/the most one person may hold there at once \(20\): revoke ones you no longer use/);
    const ended = Array.from({ length: CONSENT_LIMITS.total - 1 }, (_, i) => consent(`r${i}`, { revokedAt: NOW.toISOString() }));
    expect(heldConsentsRefusal(consent('x'), ended, 'Northwind Bank', NOW)).toBeUndefined();
    const total = heldConsentsRefusal(consent('x'), [...ended, consent('r-last', { revokedAt: NOW.toISOString() })], 'Northwind Bank', NOW);
    expect(total).toMatchObject({ kind: 'total', limit: CONSENT_LIMITS.total });
    expect(total?.message).toMatch(/revoked and expired ones included, the most one person may hold there \(200\): no more can be granted; ask Northwind Bank/);
    expect(CONSENT_LIMITS).toEqual({ live: 20, total: 200 });
  });
});

describe('at a bank, through the gateway', () => {
  let stack: TestStack;
  beforeAll(async () => {
    // One user's grants are stored one at a time at a bank: 25 at once queue there, and on a busy
    // machine the last would outwait the default 5 s a bank call may take.
    // RATE_LIMIT_USER_IN_FLIGHT: the concurrent grants below are one user's 25 operations at once, past the default cap of 16.
    stack = await startTestStack({ seedData: false, env: { BANK_TIMEOUT_MS: '60000', RATE_LIMIT_USER_IN_FLIGHT: '100' } });
  });
  afterAll(() => stack?.close());

  const GRANT = 'mutation($input: GrantConsentInput!) { grantConsent(input: $input) { id status } }';
  /** What the bank stored for the user (any status). */
  const stored = (userId: string) => stack.client.db(bankDatabaseName(stack.dbPrefix, 'northwind')).collection('consents').countDocuments({ userId });
  const terms = (days?: number) => ({
    bankId: 'northwind',
    permissions: ['ACCOUNTS_BASIC'],
    purposes: ['CUSTOMER_SERVICE'],
    ...(days === undefined ? {} : { expiresAt: new Date(Date.now() + days * DAY).toISOString() }),
  });

  it('refuses a second live consent with the same terms, stores nothing, and grants them again once revoked', async () => {
    const token = await stack.token({ sub: 'dup-user' });
    const first = await stack.query(GRANT, { input: terms() }, { token });
    const id = first.body.data.grantConsent.id;
    const again = await stack.query(GRANT, { input: { ...terms(), permissions: ['ACCOUNTS_BASIC', 'ACCOUNTS_BASIC'] } }, { token });
    expect(again.body.data?.grantConsent ?? null).toBeNull();
    expect(again.body.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'CONSENT_DUPLICATE' });
    expect(again.body.errors![0]!.message).toContain(`already have an active consent at Northwind Bank with exactly these terms (${id})`);
    expect(await stored('dup-user')).toBe(1);
    // Concurrent duplicates: none of them is stored.
    const racing = await Promise.all(Array.from({ length: 5 }, () => stack.query(GRANT, { input: terms() }, { token })));
    expect(racing.every((r) => r.body.errors?.[0]?.extensions?.code === 'BAD_USER_INPUT')).toBe(true);
    expect(await stored('dup-user')).toBe(1);
    await stack.query('mutation($id: ID!) { revokeConsent(id: $id) { id } }', { id }, { token });
    expect((await stack.query(GRANT, { input: terms() }, { token })).body.data.grantConsent.status).toBe('ACTIVE');
  });

  it(`holds at most ${CONSENT_LIMITS.live} live consents per user and bank, concurrent grants included`, async () => {
    const token = await stack.token({ sub: 'many-user' });
    const answers = await Promise.all(Array.from({ length: CONSENT_LIMITS.live + 5 }, (_, i) => stack.query(GRANT, { input: terms(i + 1) }, { token })));
    const granted = answers.filter((r) => r.body.data?.grantConsent);
    const refused = answers.filter((r) => r.body.errors?.[0]?.extensions?.code === 'BAD_USER_INPUT');
    expect(answers.filter((r) => !granted.includes(r) && !refused.includes(r)).map((r) => r.body.errors)).toEqual([]);
    expect(granted).toHaveLength(CONSENT_LIMITS.live);
    expect(refused).toHaveLength(5);
    expect(refused[0]!.body.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'CONSENT_LIMIT' });
    expect(refused[0]!.body.errors![0]!.message).toMatch(/the most one person may hold there at once \(20\): revoke ones you no longer use/);
    expect(await stored('many-user')).toBe(CONSENT_LIMITS.live);
    // Another user at the same bank is not held back.
    const other = await stack.token({ sub: 'other-user' });
    expect((await stack.query(GRANT, { input: terms() }, { token: other })).body.data.grantConsent.status).toBe('ACTIVE');
  });
});
