// A failing subgraph or database degrades only what depends on it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from './support/stack.ts';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack?.close());

describe('degradation', () => {
  it('a subgraph that is down fails its own fields only; /ready says which', async () => {
    const alice = await stack.token({ sub: 'alice' });
    await stack.subgraphs.messaging.stop();
    const res = await stack.query('{ me { displayName accounts { id } conversations { id } } }', {}, { token: alice });
    expect(res.status).toBe(200);
    expect(res.body.data.me.displayName).toBe('Alice Martin');
    expect(res.body.data.me.accounts).toHaveLength(2);
    expect(res.body.data.me.conversations).toBeNull();
    expect(res.body.errors?.map((e) => [e.path?.join('.'), e.extensions?.code, e.extensions?.service])).toEqual([['me.conversations', 'SUBGRAPH_UNAVAILABLE', 'messaging']]);
    expect(JSON.stringify(res.body.errors)).not.toMatch(/at .*\.ts:\d+|127\.0\.0\.1|ECONNREFUSED/); // no stack traces, no addresses
    const ready = await fetch(`${stack.gateway.url}/ready`);
    expect(ready.status).toBe(200); // the gateway still serves the rest of the graph
    const body = (await ready.json()) as any;
    expect(body.status).toBe('degraded');
    expect(body.subgraphs.messaging.ok).toBe(false);
    expect(body.subgraphs['user-profile'].ok).toBe(true);
    expect(body.banks.northwind.ok).toBe(true);
  });

  it('a database that is down gives a clear error, not a crash, and the process keeps serving', async () => {
    const alice = await stack.token({ sub: 'alice' });
    await stack.client.close(true);
    const res = await stack.query('{ me { displayName } }', {}, { token: alice });
    expect(res.status).toBe(200);
    expect(res.body.data.me).toBeNull();
    // Masked, but it says which service failed, and where.
    expect(res.body.errors?.[0]).toEqual({ message: 'Internal server error', path: ['me'], extensions: { code: 'INTERNAL_SERVER_ERROR', service: 'user-profile' } });
    const ready = await fetch(`${stack.subgraphs['user-profile'].url}/ready`);
    expect(ready.status).toBe(503);
    expect((await fetch(`${stack.gateway.url}/health`)).status).toBe(200);
  });
});
