// The edge's configuration: safe defaults, every bad value named at start, and the introspection
// switch (off unless configured; the development stack turns it on for signed-in callers).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '@consent-gateway/kit/config';
import { loadClientRegistry } from '../gateway/clients.ts';
import { loadGatewayConfig } from '../gateway/config.ts';
import { startGateway } from '../gateway/server.ts';
import { ensureDevKeys } from '../scripts/dev-keys.ts';
import { startTestStack, type TestStack } from './support/stack.ts';

const dir = mkdtempSync(join(tmpdir(), 'edge-config-'));
const keys = ensureDevKeys(`${dir}/keys/`);
const BASE = { AUTH_PUBLIC_KEY_FILE: keys.idpPublic, AUTH_ISSUER: 'test', GATEWAY_PRIVATE_KEY_FILE: keys.gatewayPrivate, GATEWAY_PORT: '0' };

describe('defaults', () => {
  it('introspection off, arbitrary operations for anonymous callers, in-memory rate limits, bounded subgraph calls', () => {
    const config = loadGatewayConfig(BASE);
    expect(config.introspection).toBe('off');
    expect(config.anonymousOperations).toBe('arbitrary');
    expect(config.rateLimit).toMatchObject({ store: 'memory', user: { perSecond: 60, burst: 600 }, anonymous: { perSecond: 10, burst: 100 }, client: { perSecond: 500, burst: 5_000 } });
    expect(config.limits).toMatchObject({ maxTokens: 3_000, maxNesting: 40, maxDepth: 15, maxFields: 300, maxAliases: 30, maxDirectives: 20, maxRootFields: 10 });
    expect(config.limits.maxCost).toEqual({ anonymous: 200, 'third-party': 5_000, 'first-party': 20_000 });
    expect(config.subgraphCalls).toEqual({ timeoutMs: 15_000, timeoutOverridesMs: {}, maxConnections: 32, maxResponseBytes: 10_000_000 });
    expect(config.banks).toEqual({ timeoutMs: 5_000, concurrency: 8 });
    expect(config.connections).toEqual({ maxConnections: 4_096, maxConnectionsPerAddress: 256, headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 65_000 });
  });

  it('the connection limits and deadlines are validated together', () => {
    expect(() => loadGatewayConfig({ ...BASE, GATEWAY_HEADERS_TIMEOUT_MS: '20000', GATEWAY_REQUEST_TIMEOUT_MS: '15000' })).toThrow(
      /GATEWAY_REQUEST_TIMEOUT_MS \(15000\) covers the headers and the body: it may not be shorter than GATEWAY_HEADERS_TIMEOUT_MS \(20000\)/,
    );
    expect(() => loadGatewayConfig({ ...BASE, GATEWAY_MAX_CONNECTIONS: '100', GATEWAY_MAX_CONNECTIONS_PER_ADDRESS: '200' })).toThrow(/GATEWAY_MAX_CONNECTIONS_PER_ADDRESS \(200\) may not be more than GATEWAY_MAX_CONNECTIONS \(100\)/);
    expect(() => loadGatewayConfig({ ...BASE, GATEWAY_MAX_CONNECTIONS: '0', GATEWAY_HEADERS_TIMEOUT_MS: '10' })).toThrow(/GATEWAY_MAX_CONNECTIONS must be an integer from 1[\s\S]*GATEWAY_HEADERS_TIMEOUT_MS must be an integer from 1000/);
  });

  it('a shared rate-limit store gets a deadline per Redis command, 200 ms unless configured', () => {
    expect(loadGatewayConfig({ ...BASE, RATE_LIMIT_STORE: 'redis' }).rateLimit).toMatchObject({ redisUrl: 'redis://127.0.0.1:6379', redisCommandTimeoutMs: 200 });
    expect(loadGatewayConfig({ ...BASE, RATE_LIMIT_STORE: 'redis', RATE_LIMIT_REDIS_TIMEOUT_MS: '50' }).rateLimit.redisCommandTimeoutMs).toBe(50);
    expect(() => loadGatewayConfig({ ...BASE, RATE_LIMIT_STORE: 'redis', RATE_LIMIT_REDIS_TIMEOUT_MS: '0' })).toThrow(/RATE_LIMIT_REDIS_TIMEOUT_MS must be an integer from 5/);
  });

  it('third-party apps may send registered operations only unless the registry says otherwise', () => {
    const file = join(dir, 'clients.json');
    writeFileSync(file, JSON.stringify({ a: { type: 'first-party' }, b: { type: 'third-party' }, c: { type: 'third-party', allowArbitraryOperations: true } }));
    const registry = loadClientRegistry(file);
    expect([...registry].map(([id, c]) => [id, c.allowArbitraryOperations])).toEqual([
      ['a', true],
      ['b', false],
      ['c', true],
    ]);
  });
});

describe('bad values are named at start', () => {
  it('every problem of the edge settings at once', () => {
    let message = '';
    try {
      loadGatewayConfig({
        ...BASE,
        INTROSPECTION: 'everyone',
        ANONYMOUS_OPERATIONS: 'all',
        RATE_LIMIT_STORE: 'disk',
        RATE_LIMIT_USER_BURST: '0',
        MAX_QUERY_COST_ANONYMOUS: '-5',
        SUBGRAPH_TIMEOUT_MS: '5',
        SUBGRAPH_TIMEOUT_MS_MESSAGING: 'soon',
        SUBGRAPH_TIMEOUT_MS_BANK_ACCOUNT: '3000',
        OPERATOR_TOKEN: 'short',
        SUBGRAPH_MAX_RESPONSE_BYTES: '10kB',
      });
    } catch (error) {
      message = (error as Error).message;
    }
    for (const problem of [
      /INTROSPECTION must be one of off, authenticated \(got "everyone"\)/,
      /ANONYMOUS_OPERATIONS must be one of arbitrary, safelist/,
      /RATE_LIMIT_STORE must be one of memory, redis/,
      /RATE_LIMIT_USER_BURST must be an integer from 1/,
      /MAX_QUERY_COST_ANONYMOUS must be an integer from 1/,
      /SUBGRAPH_TIMEOUT_MS must be an integer from 100/,
      /SUBGRAPH_TIMEOUT_MS_MESSAGING must be an integer/,
      /SUBGRAPH_TIMEOUT_MS_BANK_ACCOUNT is not used: bank calls have their own deadline, BANK_TIMEOUT_MS \(and BANK_CONCURRENCY\)/,
      /OPERATOR_TOKEN must be at least 32 characters/,
      /SUBGRAPH_MAX_RESPONSE_BYTES must be an integer from 10000/,
    ]) expect(message).toMatch(problem);
  });

  it('a client registry entry with a malformed setting', () => {
    const file = join(dir, 'bad-clients.json');
    writeFileSync(file, JSON.stringify({ app: { type: 'third-party', allowArbitraryOperations: 'yes' } }));
    expect(() => loadClientRegistry(file)).toThrow(/client "app" has "allowArbitraryOperations" that is not true or false/);
    writeFileSync(file, JSON.stringify({ app: { type: 'first-party', rateLimit: { perSecond: 0, burst: 10 } } }));
    expect(() => loadClientRegistry(file)).toThrow(/client "app" has a "rateLimit" that is not/);
  });

  it('a timeout for a subgraph the supergraph does not have, or a Redis that does not answer', async () => {
    await expect(startGateway(loadGatewayConfig({ ...BASE, SUBGRAPH_TIMEOUT_MS_PAYMENTS: '1000' }))).rejects.toThrow(/SUBGRAPH_TIMEOUT_MS_\* name subgraphs .* payments/);
    const noRedis = startGateway(loadGatewayConfig({ ...BASE, RATE_LIMIT_STORE: 'redis', REDIS_URL: 'redis://127.0.0.1:1' }));
    await expect(noRedis).rejects.toThrow(ConfigError);
    await expect(noRedis).rejects.toThrow(/RATE_LIMIT_STORE=redis: cannot connect to REDIS_URL redis:\/\/127\.0\.0\.1:1/);
  });
});

describe('INTROSPECTION=off', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ env: { INTROSPECTION: 'off' }, seedData: false });
  });
  afterAll(() => stack?.close());

  it('refuses introspection to signed-in callers too', async () => {
    const res = await stack.query('{ __schema { queryType { name } } }', {}, { token: await stack.token({ sub: 'alice' }) });
    expect(res.status).toBe(403);
    expect(res.body.errors?.[0]).toMatchObject({ message: 'Introspection is disabled on this gateway', extensions: { code: 'INTROSPECTION_DISABLED' } });
  });
});
