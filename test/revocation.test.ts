// Revocation race: once revokeConsent has returned, no request that starts later is opened by
// that consent, however many were in flight around it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from './support/stack.ts';

let stack: TestStack;
beforeAll(async () => {
  // RATE_LIMIT_USER_IN_FLIGHT: alice's stream starts a request every 5 ms without waiting for the last; on a
  // loaded machine more than the default 16 may be running at once, and none of them may be refused.
  stack = await startTestStack({ env: { RATE_LIMIT_USER_IN_FLIGHT: '1000' } });
});
afterAll(() => stack?.close());

describe('revocation', () => {
  it('closes every request that starts after the mutation returned', async () => {
    const alice = await stack.token({ sub: 'alice' });
    const BALANCE = '{ me { accounts { balance { minorUnits } } } }';
    // Requests before and during the revoke may see the data; keep a steady stream going.
    let revokedAt = Infinity;
    const started: Array<{ at: number; result: Promise<any> }> = [];
    let running = true;
    const stream = (async () => {
      while (running) {
        const at = performance.now();
        const result = stack.query(BALANCE, {}, { token: alice });
        started.push({ at, result });
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    // The first request is answered before the revoke is sent, however loaded the machine is
    // (a fixed head start was not enough when the browser tests ran alongside).
    await started[0]!.result;
    const res = await stack.query('mutation($id: ID!) { revokeConsent(id: $id) { status } }', { id: stack.bank('northwind').consents[0]!._id }, { token: alice });
    revokedAt = performance.now();
    expect(res.body.data.revokeConsent.status).toBe('REVOKED');
    await new Promise((r) => setTimeout(r, 300));
    running = false;
    await stream;

    const later = started.filter((s) => s.at > revokedAt);
    expect(later.length).toBeGreaterThan(5);
    for (const { result } of later) {
      const body = (await result).body;
      expect(body.data.me.accounts).toBeNull();
      expect(body.errors?.[0]?.extensions?.reason).toBe('CONSENT_REQUIRED');
    }
    const earlier = started.filter((s) => s.at < revokedAt);
    expect(earlier.length).toBeGreaterThan(0);
    expect((await earlier[0]!.result).body.data.me.accounts.length).toBe(2);
    // Every request is answered before the stack stops (one still in flight would fail unhandled).
    await Promise.allSettled(started.map((s) => s.result));
  });
});
