// A gateway behind a reverse proxy: from a proxy the operator trusts (TRUSTED_PROXIES),
// `X-Forwarded-For` names the client, for rate limits and for what only this machine may see
// (/ready's details, /metrics); from anyone else the header is ignored, so it cannot be forged.
import type { IncomingMessage } from 'node:http';
import { BlockList } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientAddressFrom, forwardedAddress, UNKNOWN_CLIENT } from '@consent-gateway/kit/http';
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

  it('is the peer when the peer is not a trusted proxy, or without trusted proxies', () => {
    expect(clientAddressFrom(request('198.51.100.1', '127.0.0.1'), proxies)).toBe('198.51.100.1'); // a forged header
    expect(clientAddressFrom(request('127.0.0.1', '203.0.113.9'), undefined)).toBe('127.0.0.1');
    expect(clientAddressFrom(request('127.0.0.1'), undefined)).toBe('127.0.0.1');
  });

  it('is unknown, never the proxy (nor this machine), when a trusted proxy forwards nothing or nonsense', () => {
    expect(UNKNOWN_CLIENT).toBe('unknown');
    for (const peer of ['10.0.0.2', '127.0.0.1', '::ffff:127.0.0.1']) {
      expect(clientAddressFrom(request(peer), proxies)).toBe(UNKNOWN_CLIENT);
      expect(clientAddressFrom(request(peer, ''), proxies)).toBe(UNKNOWN_CLIENT);
      expect(clientAddressFrom(request(peer, 'garbage'), proxies)).toBe(UNKNOWN_CLIENT);
      expect(clientAddressFrom(request(peer, '203.0.113.9, not-an-address'), proxies)).toBe(UNKNOWN_CLIENT);
      expect(clientAddressFrom(request(peer, '10.0.0.7'), proxies)).toBe(UNKNOWN_CLIENT); // only trusted proxies
      expect(clientAddressFrom(request(peer, '127.0.0.1'), proxies)).toBe(UNKNOWN_CLIENT); // the proxy itself
      expect(clientAddressFrom(request(peer, '203.0.113.9:99999'), proxies)).toBe(UNKNOWN_CLIENT);
    }
  });

  it('takes forwarded addresses with a port (ip:port, [v6]:port), the port dropped', () => {
    expect(clientAddressFrom(request('10.0.0.2', '203.0.113.9:4444'), proxies)).toBe('203.0.113.9');
    expect(clientAddressFrom(request('10.0.0.2', '[2001:db8::1]:4444'), proxies)).toBe('2001:db8::1');
    expect(clientAddressFrom(request('10.0.0.2', '[2001:db8::1]'), proxies)).toBe('2001:db8::1');
    expect(clientAddressFrom(request('10.0.0.2', '198.51.100.7:1, 10.0.0.3:80'), proxies)).toBe('198.51.100.7');
    expect(forwardedAddress('2001:db8::1')).toBe('2001:db8::1');
    expect(forwardedAddress('[203.0.113.9]:1')).toBeUndefined(); // brackets are for IPv6
    expect(forwardedAddress('300.0.0.1:80')).toBeUndefined();
    expect(forwardedAddress('host:80')).toBeUndefined();
  });

  it('TRUSTED_PROXIES takes addresses and CIDR ranges, and refuses anything else at start', () => {
    const config = loadGatewayConfig({ GATEWAY_PRIVATE_KEY_FILE: 'k', AUTH_PUBLIC_KEY_FILE: 'k', AUTH_ISSUER: 'test', TRUSTED_PROXIES: '10.0.0.5, 10.1.0.0/16, fd00::/8' });
    expect(config.trustedProxies?.check('10.1.200.3', 'ipv4')).toBe(true);
    expect(config.trustedProxies?.check('fd00::1', 'ipv6')).toBe(true);
    expect(config.trustedProxies?.check('10.0.0.6', 'ipv4')).toBe(false);
    expect(() => loadGatewayConfig({ GATEWAY_PRIVATE_KEY_FILE: 'k', AUTH_PUBLIC_KEY_FILE: 'k', AUTH_ISSUER: 'test', TRUSTED_PROXIES: '10.0.0.0/33, proxy.internal' })).toThrow(/"10\.0\.0\.0\/33" is not an IP address[\s\S]*"proxy\.internal" is not an IP address/);
  });
});

const OPERATOR_TOKEN = 'operator-token-for-trusted-proxies-0123456789';

describe('a gateway behind a trusted proxy (the tests play the proxy, from this machine)', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ env: { TRUSTED_PROXIES: '127.0.0.1, ::1', OPERATOR_TOKEN, RATE_LIMIT_ANONYMOUS_BURST: '2', RATE_LIMIT_ANONYMOUS_PER_SECOND: '1' }, seedData: false });
  });
  afterAll(() => stack?.close());

  const headers = (forwardedFor?: string): Record<string, string> => (forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor });
  const ready = async (forwardedFor?: string) => (await fetch(`${stack.gateway.url}/ready`, { headers: headers(forwardedFor) })).json() as Promise<Record<string, unknown>>;
  const metrics = async (forwardedFor?: string) => (await fetch(`${stack.gateway.url}/metrics`, { headers: headers(forwardedFor) })).status;

  it("shows /ready's details and /metrics to no client the proxy forwards, named or not", async () => {
    expect(await ready('203.0.113.9')).toEqual({ status: expect.any(String) });
    expect(await metrics('203.0.113.9')).toBe(403);
    // The proxy runs on this machine, but what comes through it is not this machine: no header,
    // nonsense, an address with a port, the proxy itself, or a client that says it is 127.0.0.1.
    for (const forwardedFor of [undefined, 'garbage', '203.0.113.9:4444', '127.0.0.1', '::1', '127.0.0.2']) {
      expect(await ready(forwardedFor), String(forwardedFor)).toEqual({ status: expect.any(String) });
      expect(await metrics(forwardedFor), String(forwardedFor)).toBe(403);
    }
    // An operator behind the proxy shows the token.
    const operator = { authorization: `Bearer ${OPERATOR_TOKEN}` };
    expect(await (await fetch(`${stack.gateway.url}/ready`, { headers: operator })).json()).toHaveProperty('subgraphs');
    expect((await fetch(`${stack.gateway.url}/metrics`, { headers: operator })).status).toBe(200);
  });

  it('limits each forwarded client on its own bucket', async () => {
    const banks = (client: string) => fetch(stack.gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': client }, body: '{"query":"{ banks { id } }"}' }).then((r) => r.status);
    const first = [await banks('198.51.100.1'), await banks('198.51.100.1'), await banks('198.51.100.1')];
    expect(first).toContain(429);
    expect(await banks('198.51.100.2')).toBe(200); // another client behind the same proxy
  });

  it("limits every request the proxy names no client for on one 'unknown' bucket, not a named client's", async () => {
    const banks = (forwardedFor?: string) => fetch(stack.gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...headers(forwardedFor) }, body: '{"query":"{ banks { id } }"}' }).then((r) => r.status);
    const unknown = [await banks(), await banks('garbage'), await banks('127.0.0.1'), await banks()];
    expect(unknown).toContain(429);
    expect(await banks('198.51.100.3')).toBe(200);
  });
});
