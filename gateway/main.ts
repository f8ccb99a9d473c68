// `npm run start:gateway`: the gateway alone, on any supergraph file (SUPERGRAPH_PATH), routing to
// the platform subgraph URLs the file names (or SUBGRAPH_URL_<NAME> overrides) and to the banks of
// the bank registry (BANK_REGISTRY_FILE): how it is deployed.
import { createLogger } from '@consent-gateway/kit/log';
import { runService } from '@consent-gateway/kit/run-service';
import { startTracing } from '@consent-gateway/kit/tracing';
import { loadGatewayConfig } from './config.ts';
import { startGateway } from './server.ts';

await runService(
  async () => {
    const config = loadGatewayConfig();
    const tracing = await startTracing('gateway', config.observability.tracing);
    const log = createLogger('gateway', { level: config.observability.logLevel });
    const gateway = await startGateway(config, { log });
    const banks = Object.fromEntries(gateway.bankRegistry.current().banks.map((b) => [b.id, b.url]));
    // The connection limits too: an operator sizing GATEWAY_MAX_CONNECTIONS against `ulimit -n` sees what is in force.
    log.info({ subgraphs: gateway.subgraphs, banks, connections: config.connections, tracing: config.observability.tracing.exporter }, `gateway ready at ${gateway.url}/graphql`);
    // `kill -HUP`: read the bank registry now (it is also watched, and read again every 30 s).
    const reloadRegistry = () => gateway.bankRegistry.reload();
    process.on('SIGHUP', reloadRegistry);
    return async () => {
      process.off('SIGHUP', reloadRegistry);
      await gateway.stop();
      await tracing.shutdown();
    };
  },
  { service: 'gateway' },
);
