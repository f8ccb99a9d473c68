// The whole graph in one process: the three subgraphs and the gateway, wired with development
// keys. `npm start` runs it on the default ports; the tests run it on free ports.
import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { MongoClient } from 'mongodb';
import { loadGatewayConfig } from '../gateway/config.ts';
import { startGateway, type RunningGateway } from '../gateway/server.ts';
import { DEFAULT_PORTS, SUBGRAPH_NAMES, subgraphUrlEnvName, type SubgraphName } from '../subgraphs/catalog.ts';
import { serveSubgraph, type RunningSubgraph } from '../subgraphs/serve.ts';
import { DEV_AUDIENCE, DEV_ISSUER, type DevKeys } from './dev-keys.ts';
import { subgraphDbs, type SubgraphDbs } from './seed.ts';

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
  const gatewayKey = createPublicKey(readFileSync(options.keys.gatewayPublic, 'utf8'));
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
