// The authorization map: every field has an explicit rule, bank data is consent-gated, every rule
// has a stated meaning, and the reviewers' table in schema/authorization.md is current.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { authorizationTable, coverage } from '@consent-gateway/kit/authorization-table';
import { bankContractTypeDefs, bankPermissions } from '@consent-gateway/kit/bank';
import { impliedBy, parseRuleName } from '@consent-gateway/kit/rule-meanings';
import { AUTHORIZATION_FILE, permissionMaps, renderAuthorizationTable, ruleMeanings } from '../scripts/authorization-table.ts';

const table = (name: string) => Object.fromEntries(authorizationTable(permissionMaps().find((m) => m.name === name)!).map((r) => [`${r.type}.${r.field}`, r.rule]));

describe('authorization map', () => {
  it.each(permissionMaps().map((m) => [m.name, m] as const))('%s: every field of every type has an explicit rule (100 % coverage)', (_name, map) => {
    const rows = authorizationTable(map);
    expect(rows.filter((r) => r.rule.startsWith('NO RULE'))).toEqual([]);
    expect(coverage(rows)).toEqual({ ruled: rows.length, total: rows.length, percent: 100 });
  });

  it("marks the fields no client's operation reaches (@inaccessible), so the map never reads as if anyone could", () => {
    const rows = authorizationTable(permissionMaps().find((m) => m.name === 'user-profile')!);
    expect(rows.filter((r) => r.hidden).map((r) => `${r.type}.${r.field}`).sort()).toEqual(['Mutation.linkUserToBank', 'Mutation.recordDecisionsWithoutBank', 'User.bankIds']);
    const rendered = renderAuthorizationTable();
    expect(rendered).toMatch(/\| User \| bankIds \| `isAuthenticated` \| \*\*Not in the public API\*\*/);
    expect(rendered).not.toMatch(/\| User \| displayName \| [^|]+ \| \*\*Not in the public API/);
  });

  it('counts a field without a rule against coverage', () => {
    const rows = authorizationTable({ typeDefs: bankContractTypeDefs(), permissions: { ...bankPermissions, Merchant: {} } });
    expect(coverage(rows).percent).toBeLessThan(100);
  });

  it('gates every financial field of the consent policy with its permission, in the bank subgraph every bank runs', () => {
    expect(table('bank-account')).toMatchObject({
      'User.accounts': 'canListAccounts',
      'BankAccount.maskedNumber': 'accountConsent(ACCOUNTS_BASIC)',
      'BankAccount.accountNumber': 'accountConsent(ACCOUNTS_DETAIL)',
      'BankAccount.balance': 'accountConsent(BALANCES)',
      'BankAccount.transactions': 'accountConsent(TRANSACTIONS_BASIC)',
      'CardTransaction.amount': 'transactionConsent(TRANSACTIONS_BASIC)',
      'CardTransaction.postedAt': 'transactionConsent(TRANSACTIONS_BASIC)',
      'CardTransaction.merchant': 'transactionConsent(TRANSACTIONS_DETAIL)',
      'CardTransaction.description': 'transactionConsent(TRANSACTIONS_DETAIL)',
      'Merchant.location': 'merchantConsent(MERCHANT_LOCATION_COARSE)',
      'MerchantLocation.city': 'merchantConsent(MERCHANT_LOCATION_COARSE)',
      'MerchantLocation.latitude': 'merchantConsent(MERCHANT_LOCATION_PRECISE)',
      'MerchantLocation.longitude': 'merchantConsent(MERCHANT_LOCATION_PRECISE)',
      'User.consents': 'isSelf',
      'Mutation.grantConsent': 'isFirstPartyUser',
      'Mutation.revokeConsent': 'isFirstPartyUser',
      // Only the gateway's routing uses it (from user-profile); a bank never serves it.
      'User.bankIds': 'deny',
    });
  });

  it("keeps the records for reviewers and a person's export and erasure for the person themself", () => {
    expect(table('records')).toMatchObject({ 'Query.auditEvents': 'isSecurityReviewer', 'Query.myData': 'isFirstPartyUser', 'Mutation.eraseMyData': 'isFirstPartyUser' });
  });

  it('states the meaning of every rule used in any permission map', () => {
    const meanings = ruleMeanings();
    const used = new Set(permissionMaps().flatMap((map) => authorizationTable(map).map((r) => parseRuleName(r.rule).base)));
    expect([...used].filter((rule) => !meanings[rule])).toEqual([]);
    expect(used.size).toBeGreaterThan(10);
  });

  it('prints next to each field the rule, its permission, what implies it, the row filters and the section of the policy', () => {
    const text = readFileSync(AUTHORIZATION_FILE, 'utf8');
    const line = (type: string, field: string) => text.split('\n').find((l) => l.startsWith(`| ${type} | ${field} |`))!;
    expect(impliedBy('TRANSACTIONS_BASIC')).toEqual(['TRANSACTIONS_DETAIL']);
    expect(line('CardTransaction', 'amount')).toMatch(/Permission `TRANSACTIONS_BASIC`.*also granted by `TRANSACTIONS_DETAIL`.*OUT_OF_WINDOW.*TRANSACTIONS_CREDITS.*TRANSACTIONS_DEBITS.*consent-policy\.md#row-filters/);
    expect(line('BankAccount', 'transactions')).toMatch(/window.*clamped/);
    expect(line('User', 'accounts')).toMatch(/canListAccounts.*Permission `ACCOUNTS_BASIC`.*also granted by `ACCOUNTS_DETAIL`/);
    expect(line('Conversation', 'body') ?? line('Message', 'body')).toMatch(/isParticipant.*participants.*consent-policy\.md#6-messaging/);
    expect(line('Mutation', 'sendMessage')).toMatch(/canSendMessage.*opted in/);
    expect(text).toContain('[docs/consent-policy.md](../docs/consent-policy.md)');
    for (const map of permissionMaps()) expect(text).toMatch(new RegExp(`## ${map.name}\\n[\\s\\S]*?Coverage: (\\d+) of \\1 fields have a rule \\(100 %\\)`));
    expect(text).not.toContain('no meaning stated');
  });

  it('schema/authorization.md is current (run `npm run authz`)', () => {
    expect(readFileSync(AUTHORIZATION_FILE, 'utf8')).toBe(renderAuthorizationTable());
  });
});
