// One bank's subgraph process: `BANK_ID=northwind BANK_NAME="Northwind Bank" PORT=4002
// MONGODB_URI=... GATEWAY_PUBLIC_KEY_FILE=... tsx subgraphs/bank/main.ts`. Each bank runs its
// own, with its own database; the gateway learns its URL from the bank registry.
import { createPublicKey } from 'node:crypto';
import { loadAuditKey } from '@consent-gateway/kit/audit-chain';
import { loadConfigFile } from '@consent-gateway/kit/config';
import { connectMongo } from '@consent-gateway/kit/mongo';
import { runService } from '@consent-gateway/kit/run-service';
import { loadBankConfig } from './config.ts';
import { serveBank } from './serve.ts';

await runService(async () => {
  const config = loadBankConfig();
  const gatewayKey = loadConfigFile(config.gatewayPublicKeyFile, "the gateway's public key", createPublicKey);
  const client = await connectMongo(config.mongoUri);
  const auditKey = loadAuditKey(config.auditKeyFile);
  const bank = await serveBank({ bank: config.bank, db: client.db(config.database), gatewayKey, auditKey, port: config.port, host: config.host, exposeErrors: config.exposeErrors });
  console.log(`bank ${config.bank.id} (${config.bank.name}) ready at ${bank.url}/graphql, database ${config.database}`);
  return async () => {
    await bank.stop();
    await client.close();
  };
});
