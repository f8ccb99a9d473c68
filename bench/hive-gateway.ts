// Hive Gateway's runtime over our supergraph, subgraphs and banks, for `npm run bench -- engines`
// only (dev dependencies): the same configuration as our gateway (gateway/config.ts), the same
// client tokens, internal tokens and bank router, another engine. HIVE_ROUTER_RUNTIME=1 plans with
// Hive Router's Rust query planner (@graphql-hive/router-runtime) instead of the JavaScript one.
//
// Identity goes where Hive's subgraph executor keys its in-flight deduplication: the internal
// token is set on the execution request in `onSubgraphExecute` (HTTP headers from the request's
// extensions, which the key includes), never in `onFetch`, which runs after the key is taken and
// would let two users' identical subgraph calls share one answer. Bank-bound fetches go to our
// bank router, plugged in as the `bank-account` subgraph's executor. Hive's request batching is off
// (`__experimental__batchExecution`): it merges several fetches to one subgraph into one aliased
// operation, which the bank router (like a subgraph of Apollo's planner) does not take.
import { createPrivateKey, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { GraphQLError, print, type DocumentNode } from 'graphql';
import { createGatewayRuntime, type GatewayPlugin } from '@graphql-hive/gateway-runtime';
import { unifiedGraphHandler } from '@graphql-hive/router-runtime';
import * as httpTransport from '@graphql-mesh/transport-http';
import { BANK_SUBGRAPH } from '@consent-gateway/kit/bank-policy';
import { loadConfigFile } from '@consent-gateway/kit/config';
import { mintInternalToken } from '@consent-gateway/kit/internal-token';
import { runService } from '@consent-gateway/kit/run-service';
import { createBankClient } from '../gateway/bank-router/bank-client.ts';
import { createBankRouter, type RouterContext } from '../gateway/bank-router/router.ts';
import { createDirectoryLink, createRecordWithoutBank } from '../gateway/bank-directory.ts';
import { watchBankRegistry } from '../gateway/bank-registry.ts';
import { createClientAuthenticator } from '../gateway/client-auth.ts';
import { loadClientRegistry } from '../gateway/clients.ts';
import { loadGatewayConfig } from '../gateway/config.ts';
import { subgraphUrls } from '../gateway/engine.ts';
import { createSubgraphPools } from '../gateway/subgraph-fetch.ts';

await runService(async () => {
  const config = loadGatewayConfig();
  const rust = ['1', 'true'].includes(process.env.HIVE_ROUTER_RUNTIME ?? '');
  const supergraph = loadConfigFile(config.supergraphPath, 'the supergraph', (sdl) => sdl);
  const { [BANK_SUBGRAPH]: _banks, ...named } = subgraphUrls(supergraph);
  const urls: Record<string, string> = { ...named, ...config.subgraphUrlOverrides };
  const signingKey = loadConfigFile(config.internalKeyFile, 'the gateway signing key', createPrivateKey);
  const mint = (context: RouterContext, audience: string) => mintInternalToken(context, audience, signingKey);
  const authenticate = createClientAuthenticator(config.auth, loadClientRegistry(config.clientRegistryFile));
  const registry = watchBankRegistry(config.bankRegistryFile);
  const pools = createSubgraphPools(Object.keys(urls), config.subgraphCalls);
  const bankClient = createBankClient({ mint, timeoutMs: config.banks.timeoutMs, maxConnections: config.subgraphCalls.maxConnections });
  const route = createBankRouter({
    registry: registry.current,
    callBank: bankClient,
    linkBank: createDirectoryLink({ url: urls['user-profile'] ?? '', pool: pools.get('user-profile')!, mint }),
    recordWithoutBank: createRecordWithoutBank({ url: urls['user-profile'] ?? '', pool: pools.get('user-profile')!, mint }),
    concurrency: config.banks.concurrency,
  });
  const printed = new WeakMap<DocumentNode, string>();
  const text = (document: DocumentNode) => printed.get(document) ?? (printed.set(document, print(document)), printed.get(document)!);

  const identityPlugin: GatewayPlugin = {
    // The client's token, verified as our gateway verifies it; a request id per request.
    async onContextBuilding({ context, extendContext }) {
      const request = (context as { request: Request }).request;
      try {
        extendContext({ identity: await authenticate(request.headers.get('authorization') ?? undefined), requestId: randomUUID() } as never);
      } catch (error) {
        throw new GraphQLError((error as Error).message, { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
      }
    },
    async onSubgraphExecute({ subgraphName, executionRequest, setExecutionRequest, setExecutor }) {
      const { identity, requestId } = executionRequest.context as unknown as RouterContext;
      const who = { identity, requestId };
      if (subgraphName === BANK_SUBGRAPH) {
        setExecutor((request) => route({ query: text(request.document), variables: request.variables, operationName: request.operationName }, who) as never);
        return;
      }
      const token = await mint(who, subgraphName);
      setExecutionRequest({ ...executionRequest, extensions: { ...executionRequest.extensions, headers: { ...executionRequest.extensions?.headers, authorization: `Bearer ${token}` } } });
    },
  };

  const gateway = createGatewayRuntime({
    supergraph,
    transports: { http: httpTransport },
    transportEntries: Object.fromEntries(Object.entries(urls).map(([name, url]) => [name, { location: url }])),
    ...(rust ? { unifiedGraphHandler } : {}),
    __experimental__batchExecution: false,
    plugins: () => [identityPlugin],
    landingPage: false,
    healthCheckEndpoint: '/health',
    graphiql: false,
    logging: false,
  });
  const server = createServer(gateway);
  await new Promise<void>((resolve) => server.listen(config.port, config.host, resolve));
  console.log(`Hive Gateway (${rust ? 'Rust query planner' : 'JavaScript query planner'}) ready at http://${config.host}:${config.port}/graphql`);
  return async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await gateway.dispose();
    registry.close();
    pools.forEach((pool) => pool.close());
    bankClient.close();
  };
});
