// The graph as separate processes under the supervisor, as deployed: user-profile, messaging, one
// bank subgraph process per bank of the registry that lives on this machine (its port from its
// URL; its own database `<prefix>bank_<id>`), and the gateway. `npm start` runs it on the default
// ports; a test or a benchmark on any others.
import { randomBytes } from 'node:crypto';
import { PSEUDONYM_KEY_ENV } from '@consent-gateway/kit/pseudonym';
import type { BankRegistry } from '../gateway/bank-registry.ts';
import { bankServiceName, PLATFORM_SUBGRAPHS, subgraphUrlEnvName, type PlatformSubgraph } from '../subgraphs/catalog.ts';
import { bankDatabaseName } from '../subgraphs/registry.ts';
import { DEV_AUDIENCE, DEV_ISSUER, ensureAuditKey, type DevKeys } from './dev-keys.ts';
import { supervise, type ServiceSpec, type Supervisor, type SupervisorOptions } from './supervisor.ts';

export interface ProcessStackOptions {
  mongoUri: string;
  dbPrefix: string;
  keys: DevKeys;
  gatewayPort: number;
  ports: Record<PlatformSubgraph, number>;
  registry: BankRegistry;
  registryFile: string;
  /** Extra environment for every service (NODE_ENV...). */
  env?: NodeJS.ProcessEnv;
  supervisor?: SupervisorOptions;
}

export interface ProcessStack {
  supervisor: Supervisor;
  gatewayUrl: string;
  /** Base URL of every service, by service name. */
  urls: Record<string, string>;
  /** The banks this machine runs (their registry URL is on localhost). */
  localBanks: BankRegistry['banks'];
  stop(): Promise<void>;
}

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);
const base = (port: number) => `http://localhost:${port}`;

export function localBanks(registry: BankRegistry): BankRegistry['banks'] {
  return registry.banks.filter((b) => LOCAL_HOSTS.has(new URL(b.url).hostname));
}

/** What a gateway process of this stack is configured with (a benchmark runs other engines with it too). */
export function gatewayEnv(options: Pick<ProcessStackOptions, 'env' | 'keys' | 'registryFile'>, urls: Record<string, string>, port: number): NodeJS.ProcessEnv {
  return {
    ...options.env,
    AUTH_ISSUER: DEV_ISSUER,
    AUTH_AUDIENCE: DEV_AUDIENCE,
    AUTH_PUBLIC_KEY_FILE: options.keys.idpPublic,
    GATEWAY_PRIVATE_KEY_FILE: options.keys.gatewayPrivate,
    GATEWAY_PORT: String(port),
    BANK_REGISTRY_FILE: options.registryFile,
    ...Object.fromEntries(PLATFORM_SUBGRAPHS.map((n) => [subgraphUrlEnvName(n), `${urls[n]}/graphql`])),
    // A development stack: signed-in callers may introspect, and the explorer is served.
    INTROSPECTION: 'authenticated',
  };
}

export async function startProcessStack(options: ProcessStackOptions): Promise<ProcessStack> {
  // One pseudonym key for the session, so that a person has the same pseudonym in every service's
  // log lines (pseudonym.ts); an operator's own OBSERVABILITY_ID_KEY wins.
  const pseudonymKey = options.env?.[PSEUDONYM_KEY_ENV] ?? process.env[PSEUDONYM_KEY_ENV] ?? randomBytes(32).toString('base64url');
  const shared = { ...options.env, [PSEUDONYM_KEY_ENV]: pseudonymKey, MONGODB_URI: options.mongoUri, MONGODB_DB_PREFIX: options.dbPrefix, GATEWAY_PUBLIC_KEY_FILE: options.keys.gatewayPublic };
  const urls: Record<string, string> = {};
  const specs: ServiceSpec[] = [];
  for (const name of PLATFORM_SUBGRAPHS) {
    urls[name] = base(options.ports[name]);
    specs.push({
      name,
      script: 'subgraphs/main.ts',
      env: { ...shared, SUBGRAPH_NAME: name, PORT: String(options.ports[name]), AUDIT_KEY_FILE: ensureAuditKey(options.keys.dir, name) },
      healthUrl: `${urls[name]}/health`,
    });
  }
  const banks = localBanks(options.registry);
  for (const bank of banks) {
    const port = new URL(bank.url).port || '80';
    const name = bankServiceName(bank.id);
    urls[name] = base(Number(port));
    specs.push({
      name,
      script: 'subgraphs/bank/main.ts',
      env: { ...shared, BANK_ID: bank.id, BANK_NAME: bank.name, PORT: port, MONGODB_DATABASE: bankDatabaseName(options.dbPrefix, bank.id), AUDIT_KEY_FILE: ensureAuditKey(options.keys.dir, name) },
      healthUrl: `${urls[name]}/health`,
    });
  }
  urls.gateway = base(options.gatewayPort);
  specs.push({ name: 'gateway', script: 'gateway/main.ts', env: { ...gatewayEnv(options, urls, options.gatewayPort), [PSEUDONYM_KEY_ENV]: pseudonymKey }, healthUrl: `${urls.gateway}/health` });
  const supervisor = supervise(specs, options.supervisor);
  try {
    await supervisor.ready();
  } catch (error) {
    await supervisor.stop();
    throw error;
  }
  return { supervisor, gatewayUrl: `${urls.gateway}/graphql`, urls, localBanks: banks, stop: () => supervisor.stop() };
}
