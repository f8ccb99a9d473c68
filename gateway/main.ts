// `npm run start:gateway`: the gateway alone, on any supergraph file (SUPERGRAPH_PATH), routing to
// the subgraph URLs the file names (or SUBGRAPH_URL_<NAME> overrides): how it is deployed.
import { ConfigError } from '../subgraphs/kit/config.ts';
import { loadGatewayConfig } from './config.ts';
import { startGateway } from './server.ts';

try {
  const gateway = await startGateway(loadGatewayConfig());
  console.log(`gateway ready at ${gateway.url}/graphql`);
  for (const [name, url] of Object.entries(gateway.subgraphs)) console.log(`  ${name} → ${url}`);
  const stop = async () => {
    await gateway.stop();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
}
