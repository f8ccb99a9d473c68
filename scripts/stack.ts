// The whole graph in one process, each service on its own HTTP server and database: user-profile,
// messaging, one bank subgraph per bank (each with its own database) and the gateway, wired with
// development keys and a bank registry file naming the banks' URLs. Tests and benchmarks run a
// disposable one on free ports; `npm start` runs the same services as separate processes
// (scripts/start.ts).
import { createPublicKey, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MongoClient } from 'mongodb';
import type { KeyObject } from 'node:crypto';
import { loadGatewayConfig } from '../gateway/config.ts';
import { startGateway, type RunningGateway } from '../gateway/server.ts';
import { bankServiceName, DEFAULT_PORTS, PLATFORM_SUBGRAPHS, subgraphUrlEnvName, type PlatformSubgraph } from '../subgraphs/catalog.ts';
import { serveBank } from '../subgraphs/bank/serve.ts';
import { serveSubgraph, type RunningSubgraph } from '../subgraphs/serve.ts';
import { loadAuditKey } from '@consent-gateway/kit/audit-chain';
import { loadConfigFile } from '@consent-gateway/kit/config';
import type { ListeningSubgraph, RequestLogEntry } from '@consent-gateway/kit/create-subgraph';
import { createLogger, LOG_LEVELS, type LoggerSettings, type LogLevel } from '@consent-gateway/kit/log';
import { connectMongo } from '@consent-gateway/kit/mongo';
import { tracingEnabled, traceMongoCommands } from '@consent-gateway/kit/tracing';
import { DEMO_BANKS, demoData, type DemoData } from './demo-data.ts';
import { DEV_AUDIENCE, DEV_ISSUER, ensureAuditKey, ensureDevKeys, type DevKeys } from './dev-keys.ts';
import { graphDbs, seed, type GraphDbs } from './seed.ts';

export interface StackOptions {
  client: MongoClient;
  dbPrefix: string;
  keys: DevKeys;
  /** 0 everywhere picks free ports (tests). */
  gatewayPort?: number;
  subgraphPorts?: Partial<Record<PlatformSubgraph, number>>;
  /** The banks to run (default: the demo banks), each on its own port (0: a free one). */
  banks?: Array<{ id: string; name: string; port?: number }>;
  /** Extra gateway environment (limits, NODE_ENV...). */
  env?: NodeJS.ProcessEnv;
  /** Every service's log lines: level (default LOG_LEVEL, else `warn`: a stack of tests and benchmarks) and destination. */
  log?: LoggerSettings;
}

/** One bank's subgraph, which a test may stop and start again on the same port. */
export interface RunningBank {
  id: string;
  name: string;
  /** Base URL (`http://localhost:<port>`); its GraphQL endpoint is `${url}/graphql`. */
  url: string;
  port: number;
  /** Every request the bank accepted, as the bank saw it (its own request log). */
  requests: RequestLogEntry[];
  stop(): Promise<void>;
  start(): Promise<void>;
}

export interface Stack {
  gateway: RunningGateway;
  subgraphs: Record<PlatformSubgraph, RunningSubgraph>;
  banks: Record<string, RunningBank>;
  dbs: GraphDbs;
  registryFile: string;
  /** Base URL of every running service, by service name (`gateway`, `user-profile`, `bank-northwind`...). */
  serviceUrls(): Record<string, string>;
  /** The audit key of each service's store, by service name (to verify pseudonyms). */
  auditKeys: Record<string, string>;
  stop(): Promise<void>;
}

async function startBank(bank: { id: string; name: string; port?: number }, db: GraphDbs['banks'][string], gatewayKey: KeyObject, auditKey: string, exposeErrors: boolean, log: LoggerSettings): Promise<RunningBank> {
  const requests: RequestLogEntry[] = [];
  const logger = createLogger(bankServiceName(bank.id), log);
  let serving: ListeningSubgraph | undefined;
  let port = bank.port ?? 0;
  const running: RunningBank = {
    id: bank.id,
    name: bank.name,
    url: '',
    port,
    requests,
    start: async () => {
      if (serving) return;
      serving = await serveBank({ bank, db, gatewayKey, auditKey, port, exposeErrors, onRequest: (entry) => requests.push(entry), log: logger });
      port = running.port = Number(new URL(serving.url).port);
      running.url = serving.url;
    },
    stop: async () => {
      await serving?.stop();
      serving = undefined;
    },
  };
  await running.start();
  return running;
}

export async function startStack(options: StackOptions): Promise<Stack> {
  const banksWanted = options.banks ?? DEMO_BANKS.map((b) => ({ ...b, port: 0 }));
  const dbs = graphDbs(options.client, options.dbPrefix, banksWanted.map((b) => b.id));
  const gatewayKey = loadConfigFile(options.keys.gatewayPublic, "the gateway's public key", createPublicKey);
  const env = { ...process.env, ...options.env };
  const exposeErrors = env.NODE_ENV === 'development';
  const level = (LOG_LEVELS as readonly string[]).includes(env.LOG_LEVEL ?? '') ? (env.LOG_LEVEL as LogLevel) : 'warn';
  const log: LoggerSettings = { level: options.log?.level ?? level, destination: options.log?.destination };
  const services = [...PLATFORM_SUBGRAPHS, ...banksWanted.map((b) => bankServiceName(b.id))];
  const auditKeys = Object.fromEntries(services.map((service) => [service, loadAuditKey(ensureAuditKey(options.keys.dir, service))]));
  const subgraphList = await Promise.all(
    PLATFORM_SUBGRAPHS.map((name) =>
      serveSubgraph({ name, db: dbs[name], gatewayKey, auditKey: auditKeys[name]!, port: options.subgraphPorts?.[name] ?? DEFAULT_PORTS[name], exposeErrors, log: createLogger(name, log) }),
    ),
  );
  const bankList = await Promise.all(banksWanted.map((b) => startBank(b, dbs.banks[b.id]!, gatewayKey, auditKeys[bankServiceName(b.id)]!, exposeErrors, log)));
  const stopServices = () => Promise.all([...subgraphList, ...bankList].map((s) => s.stop()));
  const registryFile = join(mkdtempSync(join(tmpdir(), 'consent-banks-')), 'banks.json');
  writeFileSync(registryFile, JSON.stringify(bankList.map((b) => ({ id: b.id, name: b.name, url: `${b.url}/graphql` })), null, 2));
  try {
    const gateway = await startGateway(
      loadGatewayConfig({
        AUTH_ISSUER: DEV_ISSUER,
        AUTH_AUDIENCE: DEV_AUDIENCE,
        AUTH_PUBLIC_KEY_FILE: options.keys.idpPublic,
        GATEWAY_PRIVATE_KEY_FILE: options.keys.gatewayPrivate,
        GATEWAY_PORT: String(options.gatewayPort ?? 4000),
        BANK_REGISTRY_FILE: registryFile,
        ...Object.fromEntries(subgraphList.map((s) => [subgraphUrlEnvName(s.name), `${s.url}/graphql`])),
        // A development stack: signed-in callers may introspect (the default elsewhere is off).
        INTROSPECTION: 'authenticated',
        NODE_ENV: env.NODE_ENV,
        LOG_LEVEL: env.LOG_LEVEL,
        ...options.env,
      }),
      { log: createLogger('gateway', log) },
    );
    const subgraphs = Object.fromEntries(subgraphList.map((s) => [s.name, s])) as Record<PlatformSubgraph, RunningSubgraph>;
    const banks = Object.fromEntries(bankList.map((b) => [b.id, b]));
    return {
      gateway,
      subgraphs,
      banks,
      dbs,
      registryFile,
      auditKeys,
      serviceUrls: () => ({
        gateway: gateway.url,
        ...Object.fromEntries(subgraphList.map((s) => [s.name, s.url])),
        ...Object.fromEntries(bankList.map((b) => [bankServiceName(b.id), b.url])),
      }),
      stop: async () => {
        await gateway.stop();
        await stopServices();
      },
    };
  } catch (error) {
    await stopServices();
    throw error;
  }
}

/** Demo data anchored on a fixed day, so that every test and benchmark run sees the same rows. */
export const FIXED_ANCHOR = new Date('2026-11-01T00:00:00.000Z');

export interface DisposableStack extends Stack {
  client: MongoClient;
  /** Every database of this stack starts with it. */
  dbPrefix: string;
  keys: DevKeys;
  data: DemoData;
  /** Every database of this stack (its prefix) → collection → document count; `conversations.head`: the messages conversations keep themselves. */
  snapshotDatabases(): Promise<Record<string, Record<string, number>>>;
  /** Stops the stack, drops its databases and closes the client. */
  close(): Promise<void>;
}

/** Every database on the server whose name starts with `prefix`. */
async function databasesWithPrefix(client: MongoClient, prefix: string): Promise<string[]> {
  const { databases } = await client.db().admin().listDatabases({ nameOnly: true });
  return databases.map((d) => d.name).filter((name) => name.startsWith(prefix)).sort();
}

/**
 * A stack for tests and benchmarks: free ports, throwaway keys, fresh databases under a random
 * prefix on the server at `uri`, seeded with the demo data unless `seedData` is false.
 */
export async function startDisposableStack(options: {
  uri: string;
  monitorCommands?: boolean;
  env?: NodeJS.ProcessEnv;
  seedData?: boolean;
  log?: LoggerSettings;
}): Promise<DisposableStack> {
  // Spans of the database's commands when this process traces (a test started tracing first).
  const client = await connectMongo(options.uri, { monitorCommands: options.monitorCommands || tracingEnabled() });
  traceMongoCommands(client);
  const keys = ensureDevKeys(`${mkdtempSync(join(tmpdir(), 'consent-keys-'))}/`);
  const dbPrefix = `t${randomBytes(4).toString('hex')}_`;
  const stack = await startStack({
    client,
    dbPrefix,
    keys,
    gatewayPort: 0,
    subgraphPorts: Object.fromEntries(PLATFORM_SUBGRAPHS.map((n) => [n, 0])),
    env: options.env,
    log: options.log,
  });
  const data = demoData(FIXED_ANCHOR);
  if (options.seedData !== false) await seed(stack.dbs, data);
  return {
    ...stack,
    client,
    dbPrefix,
    keys,
    data,
    snapshotDatabases: async () => {
      const snapshot: Record<string, Record<string, number>> = {};
      for (const name of await databasesWithPrefix(client, dbPrefix)) {
        const db = client.db(name);
        const collections = (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name).sort();
        snapshot[name] = Object.fromEntries(await Promise.all(collections.map(async (c) => [c, await db.collection(c).countDocuments()] as const)));
        if (collections.includes('conversations')) {
          const heads = await db.collection<{ head?: unknown[] }>('conversations').find({}, { projection: { head: 1 } }).toArray();
          snapshot[name]['conversations.head'] = heads.reduce((n, c) => n + (c.head?.length ?? 0), 0);
        }
      }
      return snapshot;
    },
    close: async () => {
      await stack.stop();
      for (const name of await databasesWithPrefix(client, dbPrefix).catch(() => [])) await client.db(name).dropDatabase().catch(() => undefined);
      await client.close();
    },
  };
}
