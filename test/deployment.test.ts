// docker-compose.yml cannot run here (no Docker engine), so its structure is checked: services,
// order, health checks, ports, and environment names that the code actually reads.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadGatewayConfig } from '../gateway/config.ts';
import { startGateway } from '../gateway/server.ts';
import { ensureDevKeys } from '../scripts/dev-keys.ts';
import { loadBankRegistry } from '../gateway/bank-registry.ts';
import { bankServiceName, DEFAULT_PORTS, PLATFORM_SUBGRAPHS } from '../subgraphs/catalog.ts';
import { loadBankConfig } from '../subgraphs/bank/config.ts';
import { loadSubgraphConfig } from '../subgraphs/config.ts';
import { serviceNodeArgs } from '../scripts/supervisor.ts';
import { ConfigError, EnvReader } from '@consent-gateway/kit/config';

const compose = parse(readFileSync(new URL('../docker-compose.yml', import.meta.url), 'utf8'), { merge: true });
const services = compose.services as Record<string, any>;
/** The image's /app is this repository. */
const inRepo = (path: string) => fileURLToPath(new URL(`..${path.replace(/^\/app/, '')}`, import.meta.url));
const registry = loadBankRegistry(inRepo(services.gateway.environment.BANK_REGISTRY_FILE));
const BANKS = registry.banks.map((b) => bankServiceName(b.id));
const SUBGRAPHS = [...PLATFORM_SUBGRAPHS, ...BANKS];

/** The names a config loader reads, found by running it against an environment that records. */
function namesRead(load: (env: NodeJS.ProcessEnv, reader: EnvReader) => unknown): Set<string> {
  const reader = new EnvReader({});
  try {
    load({}, reader);
  } catch {
    // an empty environment is invalid; the names were still recorded
  }
  return reader.names;
}

describe('docker-compose.yml', () => {
  it('has mongo, user-profile, messaging, one service per bank of its registry, and the gateway', () => {
    expect(BANKS).toEqual(['bank-contoso', 'bank-northwind']);
    expect(Object.keys(services)).toEqual(expect.arrayContaining(['mongo', 'gateway', ...SUBGRAPHS]));
    expect(services.mongo.image).toMatch(/^mongo:/);
    expect(services.mongo.volumes.join()).toMatch(/:\/data\/db/);
  });

  it('gives every long-running service a health check', () => {
    for (const name of ['mongo', 'gateway', ...SUBGRAPHS]) expect(services[name].healthcheck?.test, name).toBeDefined();
  });

  it("gives every service the operator's shared settings (one pseudonym key, traces), from one optional file", () => {
    for (const name of ['gateway', ...SUBGRAPHS]) expect(services[name].env_file, name).toEqual([{ path: 'observability.env', required: false }]);
  });

  it('runs every service with the Node flags npm start uses (a fixed young generation, the kit from its sources), as does the image', () => {
    const entry = (name: string) => (name === 'gateway' ? 'gateway/main.ts' : BANKS.includes(name) ? 'subgraphs/bank/main.ts' : 'subgraphs/main.ts');
    for (const name of ['gateway', ...SUBGRAPHS]) expect(services[name].command, name).toEqual(['node', ...serviceNodeArgs(entry(name))]);
    const cmd = readFileSync(new URL('../Dockerfile', import.meta.url), 'utf8').match(/^CMD (.+)$/m)?.[1];
    expect(JSON.parse(cmd!)).toEqual(['node', ...serviceNodeArgs('gateway/main.ts')]);
  });

  it('starts in dependency order: mongo, then subgraphs and banks, then the gateway (which does not wait for a bank to be healthy: one bank down costs its own part only)', () => {
    for (const name of SUBGRAPHS) expect(services[name].depends_on.mongo.condition).toBe('service_healthy');
    for (const name of SUBGRAPHS) expect(services.gateway.depends_on[name].condition).toBe(BANKS.includes(name) ? 'service_started' : 'service_healthy');
  });

  it('publishes the default ports, and each bank where its registry entry says it listens', () => {
    expect(services.gateway.ports).toContain('4000:4000');
    for (const name of PLATFORM_SUBGRAPHS) expect(services[name].ports).toContain(`${DEFAULT_PORTS[name]}:${DEFAULT_PORTS[name]}`);
    for (const bank of registry.banks) {
      const url = new URL(bank.url);
      expect(url.hostname).toBe(bankServiceName(bank.id));
      expect(services[bankServiceName(bank.id)].environment.PORT).toBe(url.port);
    }
  });

  it('sets only environment names the code reads, and every one it requires', () => {
    const gatewayNames = namesRead((env, r) => loadGatewayConfig(env, r));
    const gatewayEnv = Object.keys(services.gateway.environment);
    const reads = (names: Set<string>, name: string) => names.has(name) || [...names].some((n) => n.endsWith('*') && name.startsWith(n.slice(0, -1)));
    expect(gatewayEnv.filter((n) => !reads(gatewayNames, n))).toEqual([]);
    expect(gatewayEnv).toEqual(expect.arrayContaining(['AUTH_ISSUER', 'GATEWAY_PRIVATE_KEY_FILE', 'BANK_REGISTRY_FILE', 'SUBGRAPH_URL_USER_PROFILE']));
    // And that environment is a valid configuration (key files aside, which exist only in the volume).
    expect(() => loadGatewayConfig(services.gateway.environment)).not.toThrow();

    const subgraphNames = namesRead((env, r) => loadSubgraphConfig(env, undefined, r));
    for (const name of PLATFORM_SUBGRAPHS) {
      const env = services[name].environment;
      expect(Object.keys(env).filter((n) => !subgraphNames.has(n)), name).toEqual([]);
      expect(loadSubgraphConfig(env).name).toBe(name);
    }
    const bankNames = namesRead((env, r) => loadBankConfig(env, r));
    const databases = new Set<string>();
    for (const bank of registry.banks) {
      const env = services[bankServiceName(bank.id)].environment;
      expect(Object.keys(env).filter((n) => !bankNames.has(n)), bank.id).toEqual([]);
      const config = loadBankConfig(env);
      expect(config.bank).toEqual({ id: bank.id, name: bank.name });
      databases.add(config.database);
    }
    expect(databases.size).toBe(registry.banks.length); // each bank its own database
  });
});

describe('configuration errors are clear', () => {
  it('names every problem of a bad gateway configuration at once', () => {
    let message = '';
    try {
      loadGatewayConfig({ GATEWAY_PORT: 'eighty', AUTH_ALGORITHMS: 'none' });
    } catch (error) {
      message = (error as Error).message;
    }
    for (const problem of [
      /GATEWAY_PORT must be an integer/,
      /set AUTH_JWKS_URL or AUTH_PUBLIC_KEY_FILE/,
      /AUTH_ALGORITHMS may only list .* \(got none\)/,
      /AUTH_ISSUER is required/,
      /GATEWAY_PRIVATE_KEY_FILE is required/,
    ]) expect(message).toMatch(problem);
  });

  it('refuses an unknown subgraph name and a missing database URI', () => {
    expect(() => loadSubgraphConfig({ SUBGRAPH_NAME: 'payments', GATEWAY_PUBLIC_KEY_FILE: '/k' })).toThrow(/unknown subgraph "payments"[\s\S]*MONGODB_URI is required/);
  });

  it('names every problem of a bad bank configuration at once', () => {
    expect(() => loadBankConfig({ BANK_ID: 'North Wind', MONGODB_URI: 'mongodb://x' })).toThrow(
      /BANK_ID must be lower-case[\s\S]*BANK_NAME is required[\s\S]*PORT is required[\s\S]*GATEWAY_PUBLIC_KEY_FILE is required[\s\S]*AUDIT_KEY_FILE is required/,
    );
    expect(loadBankConfig({ BANK_ID: 'northwind', BANK_NAME: 'N', PORT: '4002', MONGODB_URI: 'mongodb://x', GATEWAY_PUBLIC_KEY_FILE: '/k', AUDIT_KEY_FILE: '/a', MONGODB_DB_PREFIX: 'p_' }).database).toBe('p_bank_northwind');
  });

  it('refuses a gateway URL override for bank-account: banks are routed by the registry', () => {
    expect(() => loadGatewayConfig({ SUBGRAPH_URL_BANK_ACCOUNT: 'http://x/graphql' })).toThrow(/SUBGRAPH_URL_BANK_ACCOUNT is not used: banks are routed by the bank registry/);
  });

  it('refuses missing or invalid files by name, before listening', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bad-config-'));
    const keys = ensureDevKeys(`${dir}/keys/`);
    const notGraphQL = join(dir, 'supergraph.graphql');
    writeFileSync(notGraphQL, 'type {');
    const notJson = join(dir, 'clients.json');
    writeFileSync(notJson, '{ "messenger-web": ');
    const base = { AUTH_PUBLIC_KEY_FILE: keys.idpPublic, AUTH_ISSUER: 'test', GATEWAY_PRIVATE_KEY_FILE: keys.gatewayPrivate, GATEWAY_PORT: '0' };
    const cases: Array<[NodeJS.ProcessEnv, RegExp]> = [
      [{ SUPERGRAPH_PATH: join(dir, 'missing.graphql') }, /cannot read the supergraph .*missing\.graphql.*npm run compose/],
      [{ SUPERGRAPH_PATH: notGraphQL }, /the supergraph .*supergraph\.graphql cannot be loaded: Syntax Error/],
      [{ GATEWAY_PRIVATE_KEY_FILE: keys.gatewayPublic }, /the gateway signing key .* is not valid/],
      [{ AUTH_PUBLIC_KEY_FILE: notGraphQL }, /the identity provider's public key .* is not valid/],
      [{ CLIENT_REGISTRY_FILE: notJson }, /the client registry .*clients\.json is not valid/],
      [{ BANK_REGISTRY_FILE: notJson }, /the bank registry .*clients\.json is not valid/],
      [{ BANK_REGISTRY_FILE: join(dir, 'no-banks.json') }, /cannot read the bank registry .*no-banks\.json/],
    ];
    for (const [env, message] of cases) {
      const started = startGateway(loadGatewayConfig({ ...base, ...env }));
      await expect(started).rejects.toThrow(ConfigError);
      await expect(started).rejects.toThrow(message);
    }
  });
});
