// A bank that goes down degrades its own part only: the other banks' data still comes back, with an
// error that names the bank; /ready says which bank is down (the gateway itself is still ready:
// `degraded`, 200); once it is back, the same request works again without restarting the gateway.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestStack, type TestStack } from './support/stack.ts';

let stack: TestStack;
let alice: string;
beforeAll(async () => {
  stack = await startTestStack();
  alice = await stack.token({ sub: 'alice' });
});
afterAll(() => stack?.close());

const ACCOUNTS = '{ me { displayName accounts { id bank { id } balance { minorUnits } } } }';
const ready = async () => {
  const res = await fetch(`${stack.gateway.url}/ready`);
  return { status: res.status, body: (await res.json()) as any };
};

describe('a bank that is down', () => {
  it("costs alice her Contoso accounts only, says so, and recovers without a restart", async () => {
    const grant = await stack.query(
      'mutation { grantConsent(input: { bankId: "contoso", permissions: [ACCOUNTS_BASIC, BALANCES], purposes: [CUSTOMER_SERVICE] }) { id } }',
      {},
      { token: alice },
    );
    expect(grant.body.errors).toBeUndefined();
    const healthy = await stack.query(ACCOUNTS, {}, { token: alice });
    expect(healthy.body.errors).toBeUndefined();
    expect(healthy.body.data.me.accounts.map((a: any) => a.bank.id)).toEqual(['contoso', 'northwind', 'northwind']);

    await stack.banks.contoso!.stop();
    const degraded = await stack.query(ACCOUNTS, {}, { token: alice });
    expect(degraded.status).toBe(200);
    expect(degraded.body.data.me.displayName).toBe('Alice Martin');
    expect(degraded.body.data.me.accounts.map((a: any) => a.bank.id)).toEqual(['northwind', 'northwind']);
    expect(degraded.body.errors).toHaveLength(1);
    const [error] = degraded.body.errors!;
    expect(error).toMatchObject({ path: ['me', 'accounts'], extensions: { code: 'SUBGRAPH_UNAVAILABLE', service: 'bank-account', bank: 'contoso' } });
    expect(error!.message).toMatch(/Contoso Bank/);
    expect(error!.message).not.toMatch(/localhost|127\.0\.0\.1|ECONNREFUSED|:\d{4,5}/); // no internal detail

    const down = await ready();
    expect(down.status).toBe(200);
    expect(down.body.status).toBe('degraded');
    expect(down.body.banks.contoso.ok).toBe(false);
    expect(down.body.banks.northwind.ok).toBe(true);
    expect(down.body.subgraphs['user-profile'].ok).toBe(true);

    await stack.banks.contoso!.start(); // the same port, as a restarted process would
    const recovered = await stack.query(ACCOUNTS, {}, { token: alice });
    expect(recovered.body).toEqual(healthy.body);
    // Probes are reused for two seconds (/ready is no amplifier): it says so at the next round.
    await vi.waitFor(async () => expect((await ready()).body.status).toBe('ready'), { timeout: 10_000, interval: 500 });
  });

  it('leaves lookups at the other bank alone, and answers a lookup at the bad one with a named error', async () => {
    await stack.banks.northwind!.stop();
    try {
      const nw = stack.bank('northwind').accounts.find((a) => a.userId === 'alice')!._id;
      const ct = stack.bank('contoso').accounts.find((a) => a.userId === 'alice')!._id;
      const res = await stack.query('query($a: ID!, $b: ID!) { a: bankAccount(id: $a) { id } b: bankAccount(id: $b) { id } }', { a: nw, b: ct }, { token: alice });
      expect(res.body.data).toEqual({ a: null, b: { id: ct } });
      expect(res.body.errors?.map((e) => [e.path, e.extensions?.code, e.extensions?.bank])).toEqual([[['a'], 'SUBGRAPH_UNAVAILABLE', 'northwind']]);
    } finally {
      await stack.banks.northwind!.start();
    }
  });

  it('a grant is refused, and nothing stored, when the platform cannot record the relationship (user-profile down)', async () => {
    const before = await stack.consentCount();
    await stack.subgraphs['user-profile'].stop();
    const res = await stack.query('mutation { grantConsent(input: { bankId: "contoso", permissions: [ACCOUNTS_BASIC], purposes: [FRAUD_PREVENTION] }) { id } }', {}, { token: alice });
    expect(res.body.data).toBeNull();
    expect(res.body.errors?.[0]).toMatchObject({ path: ['grantConsent'], extensions: { code: 'SUBGRAPH_UNAVAILABLE', service: 'user-profile' } });
    expect(res.body.errors?.[0]?.message).toMatch(/not granted.*nothing was stored/);
    expect(await stack.consentCount()).toBe(before);
  });
});
