// One bank's subgraph process: `BANK_ID=northwind BANK_NAME="Northwind Bank" PORT=4002
// MONGODB_URI=... GATEWAY_PUBLIC_KEY_FILE=... tsx subgraphs/bank/main.ts`. Each bank runs its
// own, with its own database; the gateway learns its URL from the bank registry.
import { createPublicKey } from 'node:crypto';
import { loadAuditKey } from '@consent-gateway/kit/audit-chain';
import { loadConfigFile } from '@consent-gateway/kit/config';
import { createLogger } from '@consent-gateway/kit/log';
import { connectMongo } from '@consent-gateway/kit/mongo';
import { runService } from '@consent-gateway/kit/run-service';
import { startTracing, traceMongoCommands } from '@consent-gateway/kit/tracing';
import { loadBankConfig } from './config.ts';
import { serveBank } from './serve.ts';

const service = `bank-${process.env.BANK_ID ?? 'unknown'}`;

await runService(
  async () => {
    const config = loadBankConfig();
    const tracing = await startTracing(service, config.observability.tracing);
    const log = createLogger(service, { level: config.observability.logLevel });
    const gatewayKey = loadConfigFile(config.gatewayPublicKeyFile, "the gateway's public key", createPublicKey);
    // Command monitoring only when it feeds spans (traceMongoCommands does nothing otherwise).
    const client = await connectMongo(config.mongoUri, { monitorCommands: tracing.enabled });
    traceMongoCommands(client);
    const bank = await serveBank({
      bank: config.bank,
      db: client.db(config.database),
      gatewayKey,
      auditKey: loadAuditKey(config.auditKeyFile),
      port: config.port,
      host: config.host,
      exposeErrors: config.exposeErrors,
      operatorToken: config.operatorToken,
      log,
    });
    log.info({ database: config.database, tracing: config.observability.tracing.exporter }, `bank ${config.bank.id} (${config.bank.name}) ready at ${bank.url}/graphql`);
    return async () => {
      await bank.stop();
      await client.close();
      await tracing.shutdown();
    };
  },
  { service },
);
