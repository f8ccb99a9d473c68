// The whole graph in one process: the three subgraphs and the gateway, wired with development
// keys. `npm start` runs it on the default ports; tests and benchmarks run a disposable one on
// free ports.
import { createPublicKey, randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MongoClient } from 'mongodb';
import { loadGatewayConfig } from '../gateway/config.ts';
import { startGateway, type RunningGateway } from '../gateway/server.ts';
import { DEFAULT_PORTS, SUBGRAPH_NAMES, subgraphUrlEnvName, type SubgraphName } from '../subgraphs/catalog.ts';
import { loadConfigFile } from '@consent-gateway/kit/config';
import { connectMongo } from '@consent-gateway/kit/mongo';
import { serveSubgraph, type RunningSubgraph } from '../subgraphs/serve.ts';
import { demoData, type DemoData } from './demo-data.ts';
import { DEV_AUDIENCE, DEV_ISSUER, ensureDevKeys, type DevKeys } from './dev-keys.ts';
import { seed, subgraphDbs, type SubgraphDbs } from './seed.ts';

export interface StackOptions {
  client: MongoClient;
  dbPrefix: string;
  keys: DevKeys;
  /** 0 everywhere picks free ports (tests); the defaults are 4000–4003. */
  gatewayPort?: number;
  subgraphPorts?: Partial<Record<SubgraphName, number>>;
  /** Extra gateway environment (limits, NODE_ENV...). */
  env?: NodeJS.ProcessEnv;
}

export interface Stack {
  gateway: RunningGateway;
  subgraphs: Record<SubgraphName, RunningSubgraph>;
  dbs: SubgraphDbs;
  stop(): Promise<void>;
}

export async function startStack(options: StackOptions): Promise<Stack> {
  const dbs = subgraphDbs(options.client, options.dbPrefix);
  const gatewayKey = loadConfigFile(options.keys.gatewayPublic, "the gateway's public key", createPublicKey);
  const env = { ...process.env, ...options.env };
  const started = await Promise.all(
    SUBGRAPH_NAMES.map((name) =>
      serveSubgraph({ name, db: dbs[name], gatewayKey, port: options.subgraphPorts?.[name] ?? DEFAULT_PORTS[name], exposeErrors: env.NODE_ENV === 'development' }),
    ),
  );
  const subgraphs = Object.fromEntries(started.map((s) => [s.name, s])) as Record<SubgraphName, RunningSubgraph>;
  try {
    const gateway = await startGateway(
      loadGatewayConfig({
        AUTH_ISSUER: DEV_ISSUER,
        AUTH_AUDIENCE: DEV_AUDIENCE,
        AUTH_PUBLIC_KEY_FILE: options.keys.idpPublic,
        GATEWAY_PRIVATE_KEY_FILE: options.keys.gatewayPrivate,
        GATEWAY_PORT: String(options.gatewayPort ?? 4000),
        ...Object.fromEntries(started.map((s) => [subgraphUrlEnvName(s.name), `${s.url}/graphql`])),
        // A development stack: signed-in callers may introspect (the default elsewhere is off).
        INTROSPECTION: 'authenticated',
        NODE_ENV: env.NODE_ENV,
        ...options.env,
      }),
    );
    return {
      gateway,
      subgraphs,
      dbs,
      stop: async () => {
        await gateway.stop();
        await Promise.all(started.map((s) => s.stop()));
      },
    };
  } catch (error) {
    await Promise.all(started.map((s) => s.stop()));
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
  /** Stops the stack, drops its databases and closes the client. */
  close(): Promise<void>;
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
}): Promise<DisposableStack> {
  const client = await connectMongo(options.uri, { monitorCommands: options.monitorCommands });
  const keys = ensureDevKeys(`${mkdtempSync(join(tmpdir(), 'consent-keys-'))}/`);
  const dbPrefix = `t${randomBytes(4).toString('hex')}_`;
  const stack = await startStack({
    client,
    dbPrefix,
    keys,
    gatewayPort: 0,
    subgraphPorts: Object.fromEntries(SUBGRAPH_NAMES.map((n) => [n, 0])),
    env: options.env,
  });
  const data = demoData(FIXED_ANCHOR);
  if (options.seedData !== false) await seed(stack.dbs, data);
  return {
    ...stack,
    client,
    dbPrefix,
    keys,
    data,
    close: async () => {
      await stack.stop();
      await Promise.all(Object.values(stack.dbs).map((db) => db.dropDatabase().catch(() => undefined)));
      await client.close();
    },
  };
}
