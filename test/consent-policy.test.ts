// docs/consent-policy.md, rule by rule, on the pure decision functions (no I/O).
import { describe, expect, it } from 'vitest';
import { consentStatus, decideAccess, effectivePermissions, grantProblems, reviewerDenial, type ConsentRecord } from '@consent-gateway/kit/consent-policy';
import { isPurpose, type Identity } from '@consent-gateway/kit/identity';

const NOW = new Date('2026-06-01T12:00:00Z');
const alice: Identity = { sub: 'alice', client: 'messenger-web', clientType: 'first-party', roles: ['user'], purpose: 'customer_service' };

function consent(overrides: Partial<ConsentRecord> = {}): ConsentRecord {
  return {
    _id: 'c1',
    userId: 'alice',
    bankId: 'northwind',
    permissions: ['ACCOUNTS_BASIC', 'BALANCES', 'TRANSACTIONS_DETAIL', 'TRANSACTIONS_DEBITS', 'MERCHANT_LOCATION_COARSE'],
    purposes: ['customer_service'],
    grantedAt: '2026-01-01T00:00:00.000Z',
    ...overrides,
  };
}

const ask = (overrides: Partial<Parameters<typeof decideAccess>[0]> = {}) => ({
  viewer: alice,
  ownerId: 'alice',
  bankId: 'northwind',
  permission: 'BALANCES' as const,
  ...overrides,
});

describe('decideAccess', () => {
  it('allows the owner under a live consent that covers the permission and the purpose', () => {
    expect(decideAccess(ask(), [consent()], NOW)).toMatchObject({ outcome: 'ALLOW', consentId: 'c1' });
  });

  it.each([
    ['anonymous', { viewer: { roles: [] } as Identity }, 'NOT_AUTHENTICATED'],
    ['a third-party client', { viewer: { ...alice, clientType: 'third-party' } as Identity }, 'THIRD_PARTY_CLIENT'],
    ['another user', { viewer: { ...alice, sub: 'bob' } }, 'NOT_OWNER'],
    ['an agent of another bank', { viewer: { ...alice, sub: 'agent-c', roles: ['bank_agent'], bank: 'contoso' } as Identity }, 'NOT_OWNER'],
    ['an agent of the bank with another purpose', { viewer: { ...alice, sub: 'agent-n', roles: ['bank_agent'], bank: 'northwind', purpose: 'fraud_prevention' } as Identity }, 'PURPOSE_NOT_ALLOWED'],
    ['a security reviewer', { viewer: { ...alice, sub: 'rev', roles: ['security_reviewer'] } as Identity }, 'NOT_OWNER'],
    ['a permission the consent lacks', { permission: 'ACCOUNTS_DETAIL' as const }, 'CONSENT_REQUIRED'],
    ['another bank', { bankId: 'contoso' }, 'CONSENT_REQUIRED'],
    ['a purpose the consent lacks', { viewer: { ...alice, purpose: 'spending_insights' } as Identity }, 'PURPOSE_NOT_ALLOWED'],
  ])('denies %s', (_name, overrides, reason) => {
    expect(decideAccess(ask(overrides), [consent()], NOW)).toMatchObject({ outcome: 'DENY', reason });
  });

  it('allows an agent of that bank for customer_service', () => {
    const agent: Identity = { sub: 'agent-n', client: 'bank-console', clientType: 'first-party', roles: ['bank_agent'], bank: 'northwind', purpose: 'customer_service' };
    expect(decideAccess(ask({ viewer: agent }), [consent()], NOW)).toMatchObject({ outcome: 'ALLOW' });
  });

  it('derives expiry from the clock and names it', () => {
    const c = consent({ expiresAt: '2026-05-01T00:00:00.000Z' });
    expect(consentStatus(c, NOW)).toBe('EXPIRED');
    expect(consentStatus(c, new Date('2026-04-01T00:00:00Z'))).toBe('ACTIVE');
    expect(decideAccess(ask(), [c], NOW)).toMatchObject({ outcome: 'DENY', reason: 'CONSENT_EXPIRED' });
  });

  it('opens nothing once revoked', () => {
    const c = consent({ revokedAt: '2026-05-01T00:00:00.000Z' });
    expect(consentStatus(c, NOW)).toBe('REVOKED');
    expect(decideAccess(ask(), [c], NOW)).toMatchObject({ outcome: 'DENY', reason: 'CONSENT_REQUIRED' });
  });

  it('never combines the permissions of two consents with different purposes', () => {
    const balances = consent({ _id: 'a', permissions: ['ACCOUNTS_BASIC', 'BALANCES'], purposes: ['account_overview'] });
    const detail = consent({ _id: 'b', permissions: ['ACCOUNTS_DETAIL'], purposes: ['customer_service'] });
    expect(decideAccess(ask({ permission: 'BALANCES' }), [balances, detail], NOW)).toMatchObject({ outcome: 'DENY', reason: 'PURPOSE_NOT_ALLOWED' });
    expect(decideAccess(ask({ permission: 'ACCOUNTS_DETAIL' }), [balances, detail], NOW)).toMatchObject({ outcome: 'ALLOW', consentId: 'b' });
  });

  it('detail permissions imply basic ones', () => {
    expect([...effectivePermissions(['ACCOUNTS_DETAIL', 'TRANSACTIONS_DETAIL'])].sort()).toEqual(
      ['ACCOUNTS_BASIC', 'ACCOUNTS_DETAIL', 'TRANSACTIONS_BASIC', 'TRANSACTIONS_DETAIL'],
    );
  });

  it('applies the window and the credit/debit permissions to a row', () => {
    const c = consent({ transactionsFrom: '2026-03-01T00:00:00.000Z', transactionsTo: '2026-04-01T00:00:00.000Z' });
    const row = (postedAt: string, direction: 'CREDIT' | 'DEBIT' = 'DEBIT') => ask({ permission: 'TRANSACTIONS_BASIC', row: { postedAt, direction } });
    expect(decideAccess(row('2026-03-15T00:00:00.000Z'), [c], NOW)).toMatchObject({ outcome: 'ALLOW' });
    expect(decideAccess(row('2026-02-15T00:00:00.000Z'), [c], NOW)).toMatchObject({ outcome: 'DENY', reason: 'OUT_OF_WINDOW' });
    expect(decideAccess(row('2026-04-15T00:00:00.000Z'), [c], NOW)).toMatchObject({ outcome: 'DENY', reason: 'OUT_OF_WINDOW' });
    expect(decideAccess(row('2026-03-15T00:00:00.000Z', 'CREDIT'), [c], NOW)).toMatchObject({ outcome: 'DENY', reason: 'CONSENT_REQUIRED' });
  });

  it('keeps coarse and precise location apart', () => {
    const row = { postedAt: '2026-03-15T00:00:00.000Z', direction: 'DEBIT' as const };
    expect(decideAccess(ask({ permission: 'MERCHANT_LOCATION_COARSE', row }), [consent()], NOW).outcome).toBe('ALLOW');
    expect(decideAccess(ask({ permission: 'MERCHANT_LOCATION_PRECISE', row }), [consent()], NOW)).toMatchObject({ outcome: 'DENY', reason: 'CONSENT_REQUIRED' });
  });
});

describe('reviewerDenial', () => {
  const rita: Identity = { sub: 'rita', client: 'messenger-web', clientType: 'first-party', roles: ['security_reviewer'], purpose: 'customer_service' };
  it('lets a security reviewer in a first-party app read decision records, and nobody else', () => {
    expect(reviewerDenial(rita)).toBeUndefined();
    expect(reviewerDenial({ roles: [] })).toBe('NOT_AUTHENTICATED');
    expect(reviewerDenial(alice)).toBe('NOT_OWNER');
  });

  it('refuses a reviewer in a third-party app, as every rule about personal data does', () => {
    expect(reviewerDenial({ ...rita, client: 'partner-app', clientType: 'third-party' })).toBe('THIRD_PARTY_CLIENT');
    expect(reviewerDenial({ ...rita, clientType: undefined })).toBe('THIRD_PARTY_CLIENT');
  });
});

describe('grantProblems', () => {
  const valid = { bankId: 'northwind', permissions: ['ACCOUNTS_BASIC', 'TRANSACTIONS_BASIC', 'TRANSACTIONS_DEBITS'], purposes: ['customer_service'] };
  const problems = (overrides: Record<string, unknown>) => grantProblems({ ...valid, ...overrides }, NOW, isPurpose);

  it('accepts a valid grant, and basic together with detail', () => {
    expect(problems({})).toEqual([]);
    expect(problems({ permissions: ['ACCOUNTS_BASIC', 'ACCOUNTS_DETAIL'] })).toEqual([]);
  });

  it.each([
    ['an empty set', { permissions: [] }, /must not be empty/],
    ['no accounts permission', { permissions: ['BALANCES'] }, /ACCOUNTS_BASIC or ACCOUNTS_DETAIL/],
    ['an unknown permission', { permissions: ['ACCOUNTS_BASIC', 'EVERYTHING'] }, /unknown permission/],
    ['transactions without credits or debits', { permissions: ['ACCOUNTS_BASIC', 'TRANSACTIONS_BASIC'] }, /CREDITS and\/or/],
    ['credits without transactions', { permissions: ['ACCOUNTS_BASIC', 'TRANSACTIONS_CREDITS'] }, /need TRANSACTIONS_BASIC/],
    ['coarse location without transaction detail', { permissions: ['ACCOUNTS_BASIC', 'TRANSACTIONS_BASIC', 'TRANSACTIONS_DEBITS', 'MERCHANT_LOCATION_COARSE'] }, /needs TRANSACTIONS_DETAIL/],
    ['precise without coarse location', { permissions: ['ACCOUNTS_BASIC', 'TRANSACTIONS_DETAIL', 'TRANSACTIONS_DEBITS', 'MERCHANT_LOCATION_PRECISE'] }, /needs MERCHANT_LOCATION_COARSE/],
    ['an empty purpose set', { purposes: [] }, /purposes must not be empty/],
    ['advertising as a purpose', { purposes: ['advertising'] }, /unknown purpose/],
    ['an expiry in the past', { expiresAt: '2026-05-01T00:00:00Z' }, /in the past/],
    ['a window that ends before it starts', { transactionsFrom: '2026-05-01T00:00:00Z', transactionsTo: '2026-04-01T00:00:00Z' }, /before transactionsFrom/],
  ])('refuses %s', (_name, overrides, message) => {
    const found = problems(overrides);
    expect(found.length).toBeGreaterThan(0);
    expect(found.join('; ')).toMatch(message);
  });
});
