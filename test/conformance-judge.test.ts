// The conformance judge on its own, without a bank: whose entries a user's consents and access log
// list (another customer's receipt or read is a leak), and a consent that expired while the search
// ran (judged as of when the request left, less the clock tolerance).
import { describe, expect, it } from 'vitest';
import { viewers } from '../kit/src/conformance/caller.ts';
import { CLOCK_TOLERANCE_MS, ConsentBook, Judge, type Truth } from '../kit/src/conformance/oracle.ts';

const BANK = 'fabrikam';
const truth = (): Truth => ({
  accounts: new Map([['fabrikam:acc_t1', 't1']]),
  transactions: new Map(),
});
const grant = (book: ConsentBook, id: string, userId: string, expiresAt: string | null = null) =>
  book.add({ _id: id, userId, bankId: BANK, permissions: ['ACCOUNTS_BASIC', 'BALANCES'], purposes: ['customer_service'], grantedAt: '2026-01-01T00:00:00.000Z', expiresAt, revokedAt: null });

describe('the conformance judge', () => {
  it("finds another customer's consent in a user's own list, by the checks' record of grants and by its receipt", () => {
    const book = new ConsentBook();
    grant(book, 'fabrikam:cns_1', 't1');
    grant(book, 'fabrikam:cns_2', 't2');
    const judge = new Judge(BANK, truth(), book);
    const self = viewers.self('t1', 'customer_service');
    judge.user({ consents: [{ id: 'fabrikam:cns_1', bank: { id: BANK }, receipt: { userId: 't1', bankId: BANK } }] }, self, 't1');
    expect(judge.findings).toEqual([]);
    judge.user({ consents: [{ id: 'fabrikam:cns_2', bank: { id: BANK }, receipt: { userId: 't2', bankId: BANK } }] }, self, 't1');
    expect(judge.findings).toEqual([expect.stringMatching(/^User\.consents of t1 listed a consent that t2 granted \(fabrikam:cns_2\)/)]);
    // One the checks did not grant (made before the run), told by its receipt; one of another bank.
    judge.user({ consents: [{ id: 'fabrikam:cns_old', receipt: { userId: 't3', bankId: BANK } }, { id: 'contoso:cns_9', bank: { id: 'contoso' }, receipt: { userId: 't1', bankId: 'contoso' } }] }, self, 't1');
    expect(judge.findings.slice(1)).toEqual([
      expect.stringMatching(/^User\.consents of t1 listed a consent whose receipt names t3/),
      expect.stringMatching(/^User\.consents of t1 listed a consent at contoso/),
    ]);
  });

  it("finds a read of another customer's data in a user's access log, by the request ids of the checks", () => {
    const about = new Map([['req-t1', 't1'], ['req-t2', 't2']]);
    const judge = new Judge(BANK, truth(), new ConsentBook(), (id) => about.get(id));
    const self = viewers.self('t1', 'customer_service');
    judge.user({ accessLog: [{ requestId: 'req-t1', bank: { id: BANK } }, { requestId: 'req-unknown', bank: { id: BANK } }] }, self, 't1');
    expect(judge.findings).toEqual([]);
    judge.user({ accessLog: [{ requestId: 'req-t2', bank: { id: BANK } }] }, self, 't1');
    expect(judge.findings).toEqual([expect.stringMatching(/^User\.accessLog of t1 listed a read of t2's data \(request req-t2\)/)]);
  });

  it('judges a value under a consent that expired after the request left as allowed, and one asked later as a leak', () => {
    const book = new ConsentBook();
    const expiresAt = new Date('2026-01-01T12:00:00.000Z');
    grant(book, 'fabrikam:cns_short', 't1', expiresAt.toISOString());
    const judge = new Judge(BANK, truth(), book);
    const self = viewers.self('t1', 'customer_service');
    const account = { id: 'fabrikam:acc_t1', balance: { minorUnits: 100, currency: 'EUR' } };
    // Sent within the clock tolerance after the expiry: the bank's clock may lag, no finding.
    judge.sentAt = new Date(expiresAt.getTime() + CLOCK_TOLERANCE_MS - 1);
    judge.account(account, self, 'fabrikam:acc_t1', 't1');
    expect(judge.findings).toEqual([]);
    judge.sentAt = new Date(expiresAt.getTime() + CLOCK_TOLERANCE_MS + 1);
    judge.account(account, self, 'fabrikam:acc_t1', 't1');
    expect(judge.findings).toContainEqual(expect.stringMatching(/^BankAccount\.balance of fabrikam:acc_t1 \(owner t1\) resolved for t1 themself .*CONSENT_EXPIRED/));
  });
});
