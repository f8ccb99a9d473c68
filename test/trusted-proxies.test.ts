// A gateway behind a reverse proxy: from a proxy the operator trusts (TRUSTED_PROXIES),
// `X-Forwarded-For` names the client, for rate limits and for what only this machine may see
// (/ready's details, /metrics); from anyone else the header is ignored, so it cannot be forged.
import type { IncomingMessage } from 'node:http';
import { BlockList } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientAddressFrom } from '@consent-gateway/kit/http';
import { loadGatewayConfig } from '../gateway/config.ts';
import { startTestStack, type TestStack } from './support/stack.ts';

const request = (peer: string, forwardedFor?: string) => ({ socket: { remoteAddress: peer }, headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor } }) as unknown as IncomingMessage;

describe('the client address', () => {
  const proxies = new BlockList();
  proxies.addSubnet('10.0.0.0', 8, 'ipv4');
  proxies.addAddress('127.0.0.1', 'ipv4');

  it('is the nearest forwarded address that is not a trusted proxy, read from the right', () => {
    expect(clientAddressFrom(request('10.0.0.2', '203.0.113.9'), proxies)).toBe('203.0.113.9');
    // The client wrote the left part itself; the proxies appended the rest.
    expect(clientAddressFrom(request('10.0.0.2', '127.0.0.1, 198.51.100.7, 10.0.0.3'), proxies)).toBe('198.51.100.7');
    expect(clientAddressFrom(request('::ffff:10.0.0.2', '203.0.113.9'), proxies)).toBe('203.0.113.9');
  });

  it('is the peer when the peer is not a trusted proxy, when nothing or nonsense is forwarded, or without trusted proxies', () => {
    expect(clientAddressFrom(request('198.51.100.1', '127.0.0.1'), proxies)).toBe('198.51.100.1'); // a forged header
    expect(clientAddressFrom(request('10.0.0.2'), proxies)).toBe('10.0.0.2');
    expect(clientAddressFrom(request('10.0.0.2', '203.0.113.9, not-an-address'), proxies)).toBe('10.0.0.2');
    expect(clientAddressFrom(request('10.0.0.2', '10.0.0.7'), proxies)).toBe('10.0.0.2');
    expect(clientAddressFrom(request('127.0.0.1', '203.0.113.9'), undefined)).toBe('127.0.0.1');
  });

  it('TRUSTED_PROXIES takes addresses and CIDR ranges, and refuses anything else at start', () => {
    const config = loadGatewayConfig({ GATEWAY_PRIVATE_KEY_FILE: 'k', AUTH_PUBLIC_KEY_FILE: 'k', AUTH_ISSUER: 'test', TRUSTED_PROXIES: '10.0.0.5, 10.1.0.0/16, fd00::/8' });
    expect(config.trustedProxies?.check('10.1.200.3', 'ipv4')).toBe(true);
    expect(config.trustedProxies?.check('fd00::1', 'ipv6')).toBe(true);
    expect(config.trustedProxies?.check('10.0.0.6', 'ipv4')).toBe(false);
    expect(() => loadGatewayConfig({ GATEWAY_PRIVATE_KEY_FILE: 'k', AUTH_PUBLIC_KEY_FILE: 'k', AUTH_ISSUER: 'test', TRUSTED_PROXIES: '10.0.0.0/33, proxy.internal' })).toThrow(/"10\.0\.0\.0\/33" is not an IP address[\s\S]*"proxy\.internal" is not an IP address/);
  });
});

describe('a gateway behind a trusted proxy (the tests play the proxy, from this machine)', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ env: { TRUSTED_PROXIES: '127.0.0.1, ::1', RATE_LIMIT_ANONYMOUS_BURST: '2', RATE_LIMIT_ANONYMOUS_PER_SECOND: '1' }, seedData: false });
  });
  afterAll(() => stack?.close());

  const ready = async (forwardedFor?: string) => (await fetch(`${stack.gateway.url}/ready`, { headers: forwardedFor ? { 'x-forwarded-for': forwardedFor } : {} })).json() as Promise<Record<string, unknown>>;

  it("shows /ready's details to this machine only, not to a client the proxy forwards", async () => {
    expect(await ready()).toHaveProperty('subgraphs');
    expect(await ready('203.0.113.9')).toEqual({ status: expect.any(String) });
    expect((await fetch(`${stack.gateway.url}/metrics`, { headers: { 'x-forwarded-for': '203.0.113.9' } })).status).toBe(403);
  });

  it('limits each forwarded client on its own bucket', async () => {
    const banks = (client: string) => fetch(stack.gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': client }, body: '{"query":"{ banks { id } }"}' }).then((r) => r.status);
    const first = [await banks('198.51.100.1'), await banks('198.51.100.1'), await banks('198.51.100.1')];
    expect(first).toContain(429);
    expect(await banks('198.51.100.2')).toBe(200); // another client behind the same proxy
  });
});
