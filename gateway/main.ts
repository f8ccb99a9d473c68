// `npm run start:gateway`: the gateway alone, on any supergraph file (SUPERGRAPH_PATH), routing to
// the platform subgraph URLs the file names (or SUBGRAPH_URL_<NAME> overrides) and to the banks of
// the bank registry (BANK_REGISTRY_FILE): how it is deployed.
import { runService } from '@consent-gateway/kit/run-service';
import { loadGatewayConfig } from './config.ts';
import { startGateway } from './server.ts';

await runService(async () => {
  const gateway = await startGateway(loadGatewayConfig());
  console.log(`gateway ready at ${gateway.url}/graphql`);
  for (const [name, url] of Object.entries(gateway.subgraphs)) console.log(`  ${name} → ${url}`);
  for (const bank of gateway.bankRegistry.current().banks) console.log(`  bank ${bank.id} → ${bank.url}`);
  return () => gateway.stop();
});
