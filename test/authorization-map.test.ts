// The authorization map: every field has an explicit rule, bank data is consent-gated, every rule
// has a stated meaning, and the reviewers' table in schema/authorization.md is current.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { authorizationTable, coverage } from '@consent-gateway/kit/authorization-table';
import { bankContractTypeDefs, bankPermissions } from '@consent-gateway/kit/bank';
import { impliedBy, parseRuleName } from '@consent-gateway/kit/rule-meanings';
import { AUTHORIZATION_FILE, gatewayDecisions, permissionMaps, recordedRules, renderAuthorizationTable, ruleMeanings, unexplainedRules } from '../scripts/authorization-table.ts';

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

  it('states, in the map, the meaning of every rule name a decision record can carry, the gateway\'s own decisions included', () => {
    const recorded = recordedRules();
    // Those of the permission maps, of the records routes, and of the gateway's own answers.
    expect([...recorded.keys()]).toEqual(expect.arrayContaining(['accountConsent', 'transactionConsent', 'canListAccounts', 'isParticipant', 'isSecurityReviewer', 'isFirstPartyUser', 'withoutBankRelationship']));
    // Rules that record nothing are not among them.
    for (const silent of ['allow', 'deny', 'gatewayOnly']) expect(recorded.has(silent), silent).toBe(false);
    expect(unexplainedRules()).toEqual([]);
    // A recordable rule without a meaning is caught.
    const { withoutBankRelationship: _gone, ...fewer } = ruleMeanings();
    expect(unexplainedRules(fewer)).toEqual(['withoutBankRelationship']);

    const text = readFileSync(AUTHORIZATION_FILE, 'utf8');
    const section = (title: string) => text.slice(text.indexOf(`## ${title}\n`)).split('\n## ')[0]!;
    const rules = section('Rules in decision records');
    for (const rule of recorded.keys()) {
      const line = rules.split('\n').find((l) => l.startsWith(`| \`${rule}\` |`));
      expect(line, rule).toMatch(/consent-policy\.md#/);
      expect(line, rule).not.toContain('no meaning stated');
    }
    // The gateway's own decisions, field by field, recorded by user-profile.
    const own = section('Decisions the gateway makes itself');
    expect(own).toContain('decides each again, with the same function, for the request\'s viewer, and records it');
    for (const field of ['User.accounts', 'User.accessLog', 'User.consents']) expect(own).toMatch(new RegExp(`\\| ${field} \\| \`withoutBankRelationship\` \\| [^|]+ \\| The gateway's own answer`));
    expect(gatewayDecisions().map((d) => `${d.field} ${d.rule}`)).toEqual(expect.arrayContaining(['Query.auditEvents isSecurityReviewer', 'Mutation.eraseMyData isFirstPartyUser']));
  });

  it('knows every place that records decisions (a new one must add its rules to recordedRules())', () => {
    // Decisions are recorded by a protected rule (rules.ts: the permission maps' rules), by the
    // records routes (their RECORDS_FIELD_RULES) and by user-profile for the gateway (gatewayDecisions()).
    const sources = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
    const recording = ['kit/src', 'subgraphs', 'gateway']
      .flatMap(sources)
      .filter((file) => readFileSync(file, 'utf8').split('\n').some((line) => !line.trim().startsWith('//') && /\.(record|tally)\(/.test(line)))
      .sort();
    expect(recording).toEqual(['kit/src/records-routes.ts', 'kit/src/rules.ts', 'subgraphs/user-profile/resolvers.ts']);
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
