// Property: over random consent states, viewers, purposes and queries drawn from the schema's
// bank fields, no response ever contains a value the consent rules forbid. The oracle below is
// written from docs/consent-policy.md on its own, not with the code under test.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from './support/stack.ts';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack?.close());

const PERMISSIONS = ['ACCOUNTS_BASIC', 'ACCOUNTS_DETAIL', 'BALANCES', 'TRANSACTIONS_BASIC', 'TRANSACTIONS_DETAIL', 'TRANSACTIONS_CREDITS', 'TRANSACTIONS_DEBITS', 'MERCHANT_LOCATION_COARSE', 'MERCHANT_LOCATION_PRECISE'];
const PURPOSES = ['customer_service', 'account_overview', 'spending_insights', 'fraud_prevention'];
const DAY = 86_400_000;
const NOW = Date.now();

interface GeneratedConsent {
  bankId: string;
  permissions: string[];
  purposes: string[];
  state: 'active' | 'expired' | 'revoked';
  fromDaysAgo: number | null;
  toDaysAgo: number | null;
}

const consentArb: fc.Arbitrary<GeneratedConsent> = fc.record({
  bankId: fc.constantFrom('northwind', 'contoso'),
  permissions: fc.subarray(PERMISSIONS),
  purposes: fc.subarray(PURPOSES, { minLength: 1 }),
  state: fc.constantFrom('active', 'active', 'expired', 'revoked'),
  fromDaysAgo: fc.option(fc.integer({ min: 30, max: 400 })),
  toDaysAgo: fc.option(fc.integer({ min: 0, max: 200 })),
});

const VIEWERS = {
  alice: { sub: 'alice' },
  aliceThirdParty: { sub: 'alice', client: 'partner-app' },
  bob: { sub: 'bob' },
  northwindAgent: { sub: 'agent-nora', roles: ['bank_agent'], bank: 'northwind', client: 'bank-console' },
  contosoAgent: { sub: 'agent-carl', roles: ['bank_agent'], bank: 'contoso', client: 'bank-console' },
  reviewer: { sub: 'rita', roles: ['security_reviewer'] },
} as const;
type ViewerName = keyof typeof VIEWERS;

// Selections drawn from the schema's bank types; `id` always comes along to find the row.
const ACCOUNT_FIELDS = ['maskedNumber', 'currency', 'accountNumber', 'balance { minorUnits }', 'bank { id }'];
const TXN_FIELDS = ['amount { minorUnits }', 'postedAt', 'direction', 'description', 'merchant { name category }', 'merchant { location { city country } }', 'merchant { location { latitude longitude } }'];

function live(c: GeneratedConsent) {
  return c.state === 'active';
}
function effective(c: GeneratedConsent) {
  const p = new Set(c.permissions);
  if (p.has('ACCOUNTS_DETAIL')) p.add('ACCOUNTS_BASIC');
  if (p.has('TRANSACTIONS_DETAIL')) p.add('TRANSACTIONS_BASIC');
  return p;
}
function windowOf(c: GeneratedConsent) {
  return {
    from: c.fromDaysAgo === null ? -Infinity : NOW - c.fromDaysAgo * DAY,
    to: c.toDaysAgo === null ? Infinity : NOW - c.toDaysAgo * DAY,
  };
}

/** docs/consent-policy.md as an oracle: may `viewer` with `purpose` see `permission` of alice's data at `bank`? */
function oracle(consents: GeneratedConsent[], viewer: ViewerName, purpose: string, bank: string, permission: string, row?: { postedAt: string; direction: string }): boolean {
  const v = VIEWERS[viewer] as { sub: string; client?: string; roles?: string[]; bank?: string };
  if (v.client === 'partner-app') return false;
  const self = v.sub === 'alice' && !v.roles;
  const agent = v.roles?.includes('bank_agent') && v.bank === bank && purpose === 'customer_service';
  if (!self && !agent) return false;
  return consents.some((c) => {
    if (c.bankId !== bank || !live(c) || !c.purposes.includes(purpose) || !effective(c).has(permission)) return false;
    if (!row) return true;
    const t = Date.parse(row.postedAt);
    const w = windowOf(c);
    if (t < w.from || t > w.to) return false;
    return c.permissions.includes(row.direction === 'CREDIT' ? 'TRANSACTIONS_CREDITS' : 'TRANSACTIONS_DEBITS');
  });
}

/** Each bank gets its own consents in its own database (and the directory links alice to it). */
async function storeConsents(consents: GeneratedConsent[]) {
  for (const bankId of ['northwind', 'contoso'] as const) {
    const docs = consents.flatMap((c, i) => {
      if (c.bankId !== bankId) return [];
      const w = windowOf(c);
      return [
        {
          _id: `${bankId}:cns_prop${String(i).padStart(18, '0')}`,
          userId: 'alice',
          bankId,
          permissions: c.permissions,
          purposes: c.purposes,
          grantedAt: new Date(NOW - 500 * DAY).toISOString(),
          expiresAt: c.state === 'expired' ? new Date(NOW - DAY).toISOString() : null,
          revokedAt: c.state === 'revoked' ? new Date(NOW - DAY).toISOString() : null,
          transactionsFrom: Number.isFinite(w.from) ? new Date(w.from).toISOString() : null,
          transactionsTo: Number.isFinite(w.to) ? new Date(w.to).toISOString() : null,
          events: [],
          receipt: {},
        } as any,
      ];
    });
    await stack.setConsents(bankId, 'alice', docs);
  }
}

describe('no response ever contains a value the rules forbid', () => {
  it('holds over random consents, viewers, purposes and queries', async () => {
    const tokens = new Map<string, string>();
    const tokenFor = async (viewer: ViewerName, purpose: string) => {
      const key = `${viewer}|${purpose}`;
      if (!tokens.has(key)) tokens.set(key, await stack.token({ ...(VIEWERS[viewer] as any), purpose }));
      return tokens.get(key)!;
    };
    const banks = Object.values(stack.data.banks);
    const rows = new Map(banks.flatMap((b) => b.transactions.map((t) => [t._id, t] as const)));
    const accounts = new Map(banks.flatMap((b) => b.accounts.map((a) => [a._id, { ...a, bankId: b.bank.id }] as const)));
    let revealed = 0;

    await fc.assert(
      fc.asyncProperty(
        fc.array(consentArb, { maxLength: 3 }),
        fc.constantFrom(...(Object.keys(VIEWERS) as ViewerName[])),
        fc.constantFrom(...PURPOSES),
        fc.subarray(ACCOUNT_FIELDS),
        fc.subarray(TXN_FIELDS),
        fc.boolean(),
        async (consents, viewer, purpose, accountFields, txnFields, withTransactions) => {
          await storeConsents(consents);
          const txnSelection = withTransactions ? `transactions(first: 8) { edges { node { id ${txnFields.join(' ')} } } }` : '';
          const query = `{ user(id: "alice") { accounts { id ${accountFields.join(' ')} ${txnSelection} } } }`;
          const res = await stack.query(query, {}, { token: await tokenFor(viewer, purpose) });
          expect(res.status).toBe(200);
          const may = (bank: string, permission: string, row?: { postedAt: string; direction: string }) => oracle(consents, viewer, purpose, bank, permission, row);
          for (const a of res.body.data?.user?.accounts ?? []) {
            if (!a) continue;
            const acc = accounts.get(a.id)!;
            expect(may(acc.bankId, 'ACCOUNTS_BASIC')).toBe(true);
            revealed++;
            if (a.accountNumber != null) expect(may(acc.bankId, 'ACCOUNTS_DETAIL')).toBe(true);
            if (a.balance != null) expect(may(acc.bankId, 'BALANCES')).toBe(true);
            if (a.transactions != null) expect(may(acc.bankId, 'TRANSACTIONS_BASIC')).toBe(true);
            for (const edge of a.transactions?.edges ?? []) {
              const node = edge?.node;
              if (!node) continue;
              const row = rows.get(node.id)!;
              expect(row.accountId).toBe(a.id);
              expect(may(acc.bankId, 'TRANSACTIONS_BASIC', row)).toBe(true);
              if (node.description != null || node.merchant?.name != null) expect(may(acc.bankId, 'TRANSACTIONS_DETAIL', row)).toBe(true);
              if (node.merchant?.location?.city != null) expect(may(acc.bankId, 'MERCHANT_LOCATION_COARSE', row)).toBe(true);
              if (node.merchant?.location?.latitude != null) expect(may(acc.bankId, 'MERCHANT_LOCATION_PRECISE', row)).toBe(true);
            }
          }
          // Every denial is a FORBIDDEN with a known reason, never another failure.
          for (const e of res.body.errors ?? []) expect(e.extensions?.code).toBe('FORBIDDEN');
        },
      ),
      {
        numRuns: 80,
        // Known cases first, so the property is never checked only on denials.
        examples: [
          [[{ bankId: 'northwind', permissions: PERMISSIONS, purposes: ['customer_service'], state: 'active', fromDaysAgo: 100, toDaysAgo: 10 }], 'alice', 'customer_service', ACCOUNT_FIELDS, TXN_FIELDS, true],
          [[{ bankId: 'northwind', permissions: ['ACCOUNTS_BASIC', 'TRANSACTIONS_DETAIL', 'TRANSACTIONS_CREDITS', 'MERCHANT_LOCATION_COARSE'], purposes: ['customer_service', 'fraud_prevention'], state: 'active', fromDaysAgo: null, toDaysAgo: null }], 'northwindAgent', 'customer_service', ACCOUNT_FIELDS, TXN_FIELDS, true],
        ],
      },
    );
    // Not vacuous: some runs did reveal data.
    expect(revealed).toBeGreaterThan(0);
  }, 120_000);
});
