// `npm run start:subgraph -- <name>` (or SUBGRAPH_NAME): one platform subgraph alone, as it is deployed.
import { createPublicKey } from 'node:crypto';
import { loadSubgraphConfig } from './config.ts';
import { loadAuditKey } from '@consent-gateway/kit/audit-chain';
import { loadConfigFile } from '@consent-gateway/kit/config';
import { createLogger } from '@consent-gateway/kit/log';
import { connectMongo } from '@consent-gateway/kit/mongo';
import { runService } from '@consent-gateway/kit/run-service';
import { startTracing, traceMongoCommands } from '@consent-gateway/kit/tracing';
import { databaseName } from './registry.ts';
import { serveSubgraph } from './serve.ts';

await runService(
  async () => {
    const config = loadSubgraphConfig(process.env, process.argv[2]);
    const tracing = await startTracing(config.name, config.observability.tracing);
    const log = createLogger(config.name, { level: config.observability.logLevel });
    // Command monitoring only when it feeds spans (traceMongoCommands does nothing otherwise).
    const client = await connectMongo(config.mongoUri, { monitorCommands: tracing.enabled });
    traceMongoCommands(client);
    const subgraph = await serveSubgraph({
      name: config.name,
      db: client.db(databaseName(config.dbPrefix, config.name)),
      gatewayKey: loadConfigFile(config.gatewayPublicKeyFile, "the gateway's public key", createPublicKey),
      auditKey: loadAuditKey(config.auditKeyFile),
      port: config.port,
      host: config.host,
      exposeErrors: config.exposeErrors,
      operatorToken: config.operatorToken,
      log,
    });
    log.info({ tracing: config.observability.tracing.exporter }, `${config.name} subgraph ready at ${subgraph.url}/graphql`);
    return async () => {
      await subgraph.stop();
      await client.close();
      await tracing.shutdown();
    };
  },
  { service: process.argv[2] ?? process.env.SUBGRAPH_NAME ?? 'subgraph' },
);
