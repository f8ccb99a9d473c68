// The authorization map: every field has an explicit rule, bank data is consent-gated, and the
// reviewers' table in schema/authorization.md is current.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SUBGRAPH_NAMES } from '../subgraphs/catalog.ts';
import { authorizationTable } from '@consent-gateway/kit/authorization-table';
import { SUBGRAPHS } from '../subgraphs/registry.ts';
import { AUTHORIZATION_FILE, renderAuthorizationTable } from '../scripts/authorization-table.ts';

describe('authorization map', () => {
  it.each(SUBGRAPH_NAMES)('%s: every field of every type has an explicit rule', (name) => {
    const missing = authorizationTable(SUBGRAPHS[name].definition).filter((r) => r.rule.startsWith('NO RULE'));
    expect(missing).toEqual([]);
  });

  it('gates every financial field of CONSENT.md with its permission', () => {
    const table = Object.fromEntries(authorizationTable(SUBGRAPHS['bank-account'].definition).map((r) => [`${r.type}.${r.field}`, r.rule]));
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
    });
  });

  it('schema/authorization.md is current (run `npm run authz`)', () => {
    expect(readFileSync(AUTHORIZATION_FILE, 'utf8')).toBe(renderAuthorizationTable());
  });
});
