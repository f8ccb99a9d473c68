// `npm run start:subgraph -- <name>` (or SUBGRAPH_NAME): one platform subgraph alone, as it is deployed.
import { runSubgraphProcess } from '@consent-gateway/kit/subgraph-process';
import { loadSubgraphConfig } from './config.ts';
import { databaseName } from './registry.ts';
import { serveSubgraph } from './serve.ts';

await runSubgraphProcess(
  process.argv[2] ?? process.env.SUBGRAPH_NAME ?? 'subgraph',
  () => loadSubgraphConfig(process.env, process.argv[2]),
  async (config, client, options) => {
    const server = await serveSubgraph({ ...options, name: config.name, db: client.db(databaseName(config.dbPrefix, config.name)) });
    return { server, ready: `${config.name} subgraph ready at ${server.url}/graphql` };
  },
);
