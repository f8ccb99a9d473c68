// /ready says which subgraph is up at which address: that is for this machine or an operator
// (OPERATOR_TOKEN, compared in constant time). Anyone else learns only whether it is ready.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadGatewayConfig } from '../gateway/config.ts';
import { startTestStack, type TestStack } from './support/stack.ts';

const OPERATOR_TOKEN = 'operator-token-for-tests-0123456789abcdef';
// An address of this machine that is not loopback: a request to it arrives from that address (a
// machine with loopback only cannot play a remote caller, so the tests that need one skip there).
const external = Object.values(networkInterfaces())
  .flat()
  .find((i) => i && !i.internal && i.family === 'IPv4')?.address;

// Every machine the suite runs on so far has one; a machine with loopback only skips the
// non-loopback cases (the loopback case still runs).
describe('/ready', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ env: { GATEWAY_HOST: '0.0.0.0', OPERATOR_TOKEN }, seedData: false });
  });
  afterAll(() => stack?.close());

  const ready = async (host: string, headers: Record<string, string> = {}) => {
    const { port } = new URL(stack.gateway.url);
    const res = await fetch(`http://${host}:${port}/ready`, { headers });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };

  it('shows the subgraphs to a caller on this machine', async () => {
    const res = await ready('127.0.0.1');
    expect(res.status).toBe(200);
    expect(Object.keys(res.body.subgraphs).sort()).toEqual(['messaging', 'user-profile']);
    expect(Object.keys(res.body.banks).sort()).toEqual(['contoso', 'northwind']);
  });

  it.skipIf(!external)('shows only the status to anyone else', async () => {
    const res = await ready(external!);
    expect(res).toEqual({ status: 200, body: { status: 'ready' } });
  });

  it.skipIf(!external)('shows the subgraphs to an operator with the token, not with a wrong one', async () => {
    expect((await ready(external!, { authorization: `Bearer ${OPERATOR_TOKEN}` })).body.subgraphs).toBeDefined();
    expect((await ready(external!, { authorization: `Bearer ${OPERATOR_TOKEN.slice(0, -1)}x` })).body).toEqual({ status: 'ready' });
    expect((await ready(external!, { authorization: `Bearer ${OPERATOR_TOKEN}${OPERATOR_TOKEN}` })).body).toEqual({ status: 'ready' });
  });

  it('refuses an operator token too short to be secret, at start', () => {
    expect(() => loadGatewayConfig({ OPERATOR_TOKEN: 'short' })).toThrow(/OPERATOR_TOKEN must be at least 32 characters/);
  });
});

describe('/ready is no amplifier', () => {
  it('probes each bank about once per two seconds, however many callers ask', async () => {
    let probes = 0;
    const bank = createServer((req, res) => {
      if (req.url === '/ready') probes += 1;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ready"}');
    });
    await new Promise<void>((resolve) => bank.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(bank.address() as AddressInfo).port}/graphql`;
    const registry = join(mkdtempSync(join(tmpdir(), 'ready-banks-')), 'banks.json');
    writeFileSync(registry, JSON.stringify([{ id: 'northwind', name: 'Northwind Bank', url }]));
    const stack = await startTestStack({ env: { BANK_REGISTRY_FILE: registry }, seedData: false });
    try {
      const started = performance.now();
      const answers = await Promise.all(Array.from({ length: 40 }, () => fetch(`${stack.gateway.url}/ready`).then((r) => r.status)));
      const seconds = (performance.now() - started) / 1000;
      expect(answers.every((status) => status === 200)).toBe(true);
      expect(probes).toBeGreaterThanOrEqual(1);
      expect(probes).toBeLessThanOrEqual(1 + Math.ceil(seconds / 2));
    } finally {
      await stack.close();
      await new Promise<void>((resolve) => (bank.closeAllConnections(), bank.close(() => resolve())));
    }
  });
});
