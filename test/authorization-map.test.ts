// The authorization map: every field has an explicit rule, bank data is consent-gated, and the
// reviewers' table in schema/authorization.md is current.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { authorizationTable } from '@consent-gateway/kit/authorization-table';
import { bankContractTypeDefs, bankPermissions } from '@consent-gateway/kit/bank';
import { AUTHORIZATION_FILE, permissionMaps, renderAuthorizationTable } from '../scripts/authorization-table.ts';

describe('authorization map', () => {
  it.each(permissionMaps().map((m) => [m.name, m] as const))('%s: every field of every type has an explicit rule', (_name, map) => {
    const missing = authorizationTable(map).filter((r) => r.rule.startsWith('NO RULE'));
    expect(missing).toEqual([]);
  });

  it('gates every financial field of the consent policy with its permission, in the bank subgraph every bank runs', () => {
    const table = Object.fromEntries(authorizationTable({ typeDefs: bankContractTypeDefs(), permissions: bankPermissions }).map((r) => [`${r.type}.${r.field}`, r.rule]));
    expect(table).toMatchObject({
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
      'Query.auditEvents': 'isSecurityReviewer',
      'Mutation.grantConsent': 'isFirstPartyUser',
      'Mutation.revokeConsent': 'isFirstPartyUser',
      // Only the gateway's routing uses it (from user-profile); a bank never serves it.
      'User.bankIds': 'deny',
    });
  });

  it('schema/authorization.md is current (run `npm run authz`)', () => {
    expect(readFileSync(AUTHORIZATION_FILE, 'utf8')).toBe(renderAuthorizationTable());
  });
});
