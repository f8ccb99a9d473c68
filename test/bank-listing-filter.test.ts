// Defence in depth in the kit's own User.consents, User.accessLog and export: whatever an adapter hands
// back, a user's listings hold their own entries at this bank only (an adapter whose
// consentsOfUsers or findRecords forgets its user filter lists no one else's receipts or reads).
import { describe, expect, it } from 'vitest';
import { auditResolvers } from '../kit/src/bank/audit-queries.ts';
import { consentResolvers } from '../kit/src/bank/consents.ts';
import { bankDataSubject } from '../kit/src/bank/data-subject.ts';

const bank = { id: 'fabrikam', name: 'Fabrikam Bank' };
const consent = (id: string, userId: string, bankId = 'fabrikam', grantedAt = '2026-01-01T00:00:00.000Z') => ({
  _id: id,
  userId,
  bankId,
  permissions: ['ACCOUNTS_BASIC'],
  purposes: ['customer_service'],
  grantedAt,
  revokedAt: null,
  events: [],
  receipt: {},
});
const record = (requestId: string, subjectUserId: string, bankId = 'fabrikam') => ({
  _id: `r-${requestId}-${subjectUserId}-${bankId}`,
  at: '2026-01-01T00:00:00.000Z',
  requestId,
  outcome: 'ALLOW',
  viewerKind: 'USER',
  viewerId: subjectUserId,
  subjectUserId,
  bankId,
  purpose: 'customer_service',
  field: 'BankAccount.balance',
  permission: 'BALANCES',
});

describe("the kit's User listings", () => {
  it('User.consents lists the user\'s own consents at this bank, whatever the adapter returns', async () => {
    // An adapter that forgot `WHERE userId = ?`: every consent for everyone.
    const all = [consent('fabrikam:cns_1', 't1'), consent('fabrikam:cns_2', 't2', 'fabrikam', '2026-02-01T00:00:00.000Z'), consent('contoso:cns_3', 't1', 'contoso')];
    const ctx = { bank, loaders: { consentsByUser: { load: async () => all } } };
    const listed = await consentResolvers.User.consents({ id: 't1' }, {}, ctx as never);
    expect(listed.map((c) => c.id)).toEqual(['fabrikam:cns_1']);
  });

  it('User.accessLog lists reads of the user\'s own data at this bank, whatever the adapter returns', async () => {
    const records = [record('req-1', 't1'), record('req-2', 't2'), record('req-3', 't1', 'contoso')];
    const ctx = { bank, store: { findRecords: async () => records } };
    const log = await auditResolvers.User.accessLog({ id: 't1' }, {}, ctx as never);
    expect(log.map((e) => e.requestId)).toEqual(['req-1']);
  });

  it("the export holds the user's own consents at this bank, whatever the adapter returns", async () => {
    const all = [consent('fabrikam:cns_1', 't1'), consent('fabrikam:cns_2', 't2'), consent('contoso:cns_3', 't1', 'contoso')];
    const store = { consentsOfUsers: async () => [all] };
    const exported = (await bankDataSubject(bank, store as never).exportSubject('t1')) as { consents: Array<{ id: string }> };
    expect(exported.consents.map((c) => c.id)).toEqual(['fabrikam:cns_1']);
  });
});
