// The process around a subgraph, the same for every one as deployed (a platform subgraph, a
// partner bank's): what it reads from its environment, its traces and logs, its database client,
// its server, and a clean stop. A subgraph's main file is one call of `runSubgraphProcess`.
import type { MongoClient } from 'mongodb';
import { loadAuditKey } from './audit-chain.ts';
import { EnvReader, isDevelopment, loadConfigFile } from './config.ts';
import type { ListeningSubgraph } from './create-subgraph.ts';
import { parseGatewayKeys, type GatewayKeys } from './internal-token.ts';
import { createLogger, type Logger } from './log.ts';
import { connectMongo } from './mongo.ts';
import { readObservabilityConfig, type ObservabilityConfig } from './observability.ts';
import { runService } from './run-service.ts';
import { startTracing, traceMongoCommands } from './tracing.ts';

/** What every subgraph process is configured with, whatever it serves. */
export interface SubgraphProcessConfig {
  port: number;
  host: string;
  mongoUri: string;
  gatewayPublicKeyFile: string;
  /** The store's audit key: pseudonyms of user ids in its decision records. */
  auditKeyFile: string;
  exposeErrors: boolean;
  /** Shows /ready's details and /metrics to callers that are not on this machine. */
  operatorToken?: string;
  observability: ObservabilityConfig;
}

/** Reads the variables every subgraph process shares (the port is the caller's: its default differs). */
export function readSubgraphProcessConfig(r: EnvReader, port: number, env: NodeJS.ProcessEnv): SubgraphProcessConfig {
  return {
    port,
    host: r.string('HOST', '127.0.0.1'),
    mongoUri: r.string('MONGODB_URI'),
    gatewayPublicKeyFile: r.string('GATEWAY_PUBLIC_KEY_FILE'),
    auditKeyFile: r.string('AUDIT_KEY_FILE'),
    exposeErrors: isDevelopment(env),
    operatorToken: r.secret('OPERATOR_TOKEN'),
    observability: readObservabilityConfig(r),
  };
}

/** What a subgraph's server is started with: the process's keys, address and logger. */
export interface ServerOptions {
  /** The gateway's public key (several during a rotation): the only keys whose internal tokens the subgraph accepts. */
  gatewayKey: GatewayKeys;
  auditKey: string;
  port: number;
  host?: string;
  exposeErrors?: boolean;
  operatorToken?: string;
  log?: Logger;
}

/**
 * Runs one subgraph process: `serve` starts the server on the database client with the options
 * read from `config`, and says in one line (with its log fields) that it is ready.
 */
export async function runSubgraphProcess<C extends SubgraphProcessConfig>(
  service: string,
  loadConfig: () => C,
  serve: (config: C, client: MongoClient, options: ServerOptions & { log: Logger }) => Promise<{ server: ListeningSubgraph; ready: string; fields?: Record<string, unknown> }>,
): Promise<void> {
  await runService(
    async () => {
      const config = loadConfig();
      const tracing = await startTracing(service, config.observability.tracing);
      const log = createLogger(service, { level: config.observability.logLevel });
      const gatewayKey = loadConfigFile(config.gatewayPublicKeyFile, "the gateway's public key(s)", parseGatewayKeys);
      // Command monitoring only when it feeds spans (traceMongoCommands does nothing otherwise).
      const client = await connectMongo(config.mongoUri, { monitorCommands: tracing.enabled });
      traceMongoCommands(client);
      const { port, host, exposeErrors, operatorToken } = config;
      const { server, ready, fields } = await serve(config, client, { gatewayKey, auditKey: loadAuditKey(config.auditKeyFile), port, host, exposeErrors, operatorToken, log });
      log.info({ ...fields, tracing: config.observability.tracing.exporter }, ready);
      return async () => {
        await server.stop();
        await client.close();
        await tracing.shutdown();
      };
    },
    { service },
  );
}
