// `npm run start:subgraph -- <name>` (or SUBGRAPH_NAME): one subgraph alone, as it is deployed.
import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadSubgraphConfig } from './config.ts';
import { ConfigError } from './kit/config.ts';
import { connectMongo } from './kit/mongo.ts';
import { databaseName } from './registry.ts';
import { serveSubgraph } from './serve.ts';

try {
  const config = loadSubgraphConfig(process.env, process.argv[2]);
  const client = await connectMongo(config.mongoUri);
  const subgraph = await serveSubgraph({
    name: config.name,
    db: client.db(databaseName(config.dbPrefix, config.name)),
    gatewayKey: createPublicKey(readFileSync(config.gatewayPublicKeyFile, 'utf8')),
    port: config.port,
    host: config.host,
    exposeErrors: config.exposeErrors,
  });
  console.log(`${config.name} subgraph ready at ${subgraph.url}/graphql`);
  const stop = async () => {
    await subgraph.stop();
    await client.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
}
