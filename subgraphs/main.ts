// `npm run start:subgraph -- <name>` (or SUBGRAPH_NAME): one platform subgraph alone, as it is deployed.
import { createPublicKey } from 'node:crypto';
import { loadSubgraphConfig } from './config.ts';
import { loadAuditKey } from '@consent-gateway/kit/audit-chain';
import { loadConfigFile } from '@consent-gateway/kit/config';
import { connectMongo } from '@consent-gateway/kit/mongo';
import { runService } from '@consent-gateway/kit/run-service';
import { databaseName } from './registry.ts';
import { serveSubgraph } from './serve.ts';

await runService(async () => {
  const config = loadSubgraphConfig(process.env, process.argv[2]);
  const client = await connectMongo(config.mongoUri);
  const subgraph = await serveSubgraph({
    name: config.name,
    db: client.db(databaseName(config.dbPrefix, config.name)),
    gatewayKey: loadConfigFile(config.gatewayPublicKeyFile, "the gateway's public key", createPublicKey),
    auditKey: loadAuditKey(config.auditKeyFile),
    port: config.port,
    host: config.host,
    exposeErrors: config.exposeErrors,
    operatorToken: config.operatorToken,
  });
  console.log(`${config.name} subgraph ready at ${subgraph.url}/graphql`);
  return async () => {
    await subgraph.stop();
    await client.close();
  };
});
