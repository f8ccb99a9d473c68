// A request's consent decisions, each made once (kit/src/bank/access.ts), are exactly what the
// consent policy decides for every field (decideAccess): over random consents, viewers and
// sequences of asks, in any order, with and without rows, the memo never answers differently.
import DataLoader from 'dataloader';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AccessDecisions } from '../kit/src/bank/access.ts';
import { decideAccess, PERMISSIONS, type ConsentRecord, type Permission, type RowScope } from '@consent-gateway/kit/consent-policy';
import type { Identity, Purpose } from '@consent-gateway/kit/identity';

const NOW = new Date('2026-11-01T00:00:00.000Z');
const DAY = 86_400_000;
const PURPOSES: Purpose[] = ['customer_service', 'account_overview', 'spending_insights', 'fraud_prevention'];
const iso = (daysAgo: number) => new Date(NOW.getTime() - daysAgo * DAY).toISOString();

const consentArb = fc.record({
  bankId: fc.constantFrom('northwind', 'northwind', 'contoso'),
  permissions: fc.subarray([...PERMISSIONS]),
  purposes: fc.subarray(PURPOSES, { minLength: 1 }),
  state: fc.constantFrom('active', 'active', 'expired', 'revoked'),
  from: fc.option(fc.integer({ min: 10, max: 400 })),
  to: fc.option(fc.integer({ min: 0, max: 200 })),
  grantedDaysAgo: fc.integer({ min: 1, max: 500 }),
});

const viewers: Record<string, Identity> = {
  alice: { sub: 'alice', client: 'messenger-web', clientType: 'first-party', roles: ['user'], purpose: 'customer_service' },
  aliceOverview: { sub: 'alice', client: 'messenger-web', clientType: 'first-party', roles: ['user'], purpose: 'account_overview' },
  aliceThirdParty: { sub: 'alice', client: 'partner-app', clientType: 'third-party', roles: ['user'], purpose: 'customer_service' },
  agent: { sub: 'agent-nora', client: 'bank-console', clientType: 'first-party', roles: ['bank_agent'], bank: 'northwind', purpose: 'customer_service' },
  bob: { sub: 'bob', client: 'messenger-web', clientType: 'first-party', roles: ['user'], purpose: 'customer_service' },
};

const askArb = fc.record({
  owner: fc.constantFrom('alice', 'alice', 'bob'),
  permission: fc.constantFrom(...PERMISSIONS),
  row: fc.option(fc.record({ daysAgo: fc.integer({ min: 0, max: 420 }), direction: fc.constantFrom('CREDIT' as const, 'DEBIT' as const) })),
});

describe("a request's consent decisions", () => {
  it('answer every ask as the consent policy does, whatever the order and repetition', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(consentArb, { maxLength: 4 }), fc.constantFrom(...Object.keys(viewers)), fc.array(askArb, { minLength: 1, maxLength: 40 }), async (generated, viewerName, asks) => {
        const consents: ConsentRecord[] = generated.map((g, i) => ({
          _id: `northwind:cns_${i}`,
          userId: 'alice',
          bankId: g.bankId,
          permissions: g.permissions as Permission[],
          purposes: g.purposes,
          grantedAt: iso(g.grantedDaysAgo),
          expiresAt: g.state === 'expired' ? iso(1) : null,
          revokedAt: g.state === 'revoked' ? iso(1) : null,
          transactionsFrom: g.from === null ? null : iso(g.from),
          transactionsTo: g.to === null ? null : iso(g.to),
        }));
        const viewer = viewers[viewerName]!;
        const consentsByUser = new DataLoader(async (ids: readonly string[]) => ids.map((id) => consents.filter((c) => c.userId === id)));
        const access = new AccessDecisions({ identity: viewer, bank: { id: 'northwind', name: 'Northwind Bank' }, now: NOW, loaders: { consentsByUser } as never });
        // Asked twice over, so that the second time every answer comes from the memo.
        for (const ask of [...asks, ...asks]) {
          const row: RowScope | undefined = ask.row ? { postedAt: iso(ask.row.daysAgo), direction: ask.row.direction } : undefined;
          const expected = decideAccess({ viewer, ownerId: ask.owner, bankId: 'northwind', permission: ask.permission, row }, consents, NOW);
          const decided = await access.decide(ask.owner, ask.permission, row);
          const judged = await access.judge(`rule(${ask.permission})`, ask.owner, ask.permission, row);
          const shape = (d: { outcome: string; reason?: string; consentId?: string }) => ({ outcome: d.outcome, reason: d.outcome === 'DENY' ? d.reason : undefined, consentId: d.consentId });
          expect(shape(decided)).toEqual(shape(expected));
          expect(shape(judged)).toEqual(shape(expected));
          expect(judged).toMatchObject({ permission: ask.permission, subjectUserId: ask.owner, bankId: 'northwind' });
        }
      }),
      { numRuns: 300 },
    );
  });
});
