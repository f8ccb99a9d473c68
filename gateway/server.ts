// The gateway: verifies clients, enforces operation limits, plans over the supergraph and calls
// subgraphs with internal tokens, and each bank through the bank router. It stores no bank data
// and caches no response.
import { createPrivateKey, randomUUID } from 'node:crypto';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ConfigError, loadConfigFile } from '@consent-gateway/kit/config';
import { maskError } from '@consent-gateway/kit/create-subgraph';
import { createHandler, listen, type Listening } from '@consent-gateway/kit/http';
import { BANK_SUBGRAPH } from '@consent-gateway/kit/bank-policy';
import { mintInternalToken } from '@consent-gateway/kit/internal-token';
import { createBankClient } from './bank-router/bank-client.ts';
import { createBankRouter, mapLimit } from './bank-router/router.ts';
import { createDirectoryLink } from './bank-directory.ts';
import { watchBankRegistry, type WatchedBankRegistry } from './bank-registry.ts';
import { createClientAuthenticator } from './client-auth.ts';
import { loadClientRegistry } from './clients.ts';
import type { GatewayConfig } from './config.ts';
import { createEngine, subgraphUrls, type GatewayContext } from './engine.ts';
import { operationLimits } from './limits.ts';
import { loadSite, withPages } from './pages.ts';
import { referenceChecks } from './references.ts';

export interface RunningGateway extends Listening {
  /** The platform subgraphs' URLs (banks are in the registry). */
  subgraphs: Record<string, string>;
  bankRegistry: WatchedBankRegistry;
  stop(): Promise<void>;
}

async function probe(url: string): Promise<{ ok: boolean; detail: unknown }> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    return { ok: res.ok, detail: await res.json().catch(() => res.status) };
  } catch (error) {
    return { ok: false, detail: (error as Error).message };
  }
}

export async function startGateway(config: GatewayConfig): Promise<RunningGateway> {
  const supergraphSdl = loadConfigFile(config.supergraphPath, 'the supergraph', (sdl) => sdl, '`npm run compose` writes it');
  const { [BANK_SUBGRAPH]: _routed, ...named } = subgraphUrls(supergraphSdl);
  const unknown = Object.keys(config.subgraphUrlOverrides).filter((name) => !(name in named));
  if (unknown.length) {
    throw new ConfigError(`SUBGRAPH_URL_* names subgraphs that ${config.supergraphPath} does not have: ${unknown.join(', ')} (it has ${Object.keys(named).join(', ')})`);
  }
  const urls: Record<string, string> = { ...named, ...config.subgraphUrlOverrides };
  const signingKey = loadConfigFile(config.internalKeyFile, 'the gateway signing key', createPrivateKey);
  const authenticate = createClientAuthenticator(config.auth, loadClientRegistry(config.clientRegistryFile));
  const site = loadSite(config);
  const mint = (context: GatewayContext, audience: string) => mintInternalToken(context, audience, signingKey);
  const registry = watchBankRegistry(config.bankRegistryFile);
  const bankRouter = createBankRouter({
    registry: registry.current,
    callBank: createBankClient({ mint, timeoutMs: config.banks.timeoutMs }),
    linkBank: createDirectoryLink({ url: urls['user-profile'] ?? '', mint, timeoutMs: config.banks.timeoutMs }),
    concurrency: config.banks.concurrency,
  });

  const server = new ApolloServer<GatewayContext>({
    gateway: createEngine({ supergraphSdl, urls, mint, bankRouter }),
    // Apollo's landing page loads Apollo Sandbox from a CDN; browsers get our pages instead (pages.ts).
    plugins: [referenceChecks({ registry: registry.current, router: bankRouter }), ApolloServerPluginLandingPageDisabled()],
    validationRules: [operationLimits(config.limits)],
    // INTROSPECTION decides, not NODE_ENV (Apollo's default); the explorer needs it (pages.ts).
    introspection: config.introspection !== 'off',
    includeStacktraceInErrorResponses: config.exposeErrors,
    hideSchemaDetailsFromClientErrors: !config.exposeErrors,
    formatError: maskError(config.exposeErrors),
    // The process owns signal handling (stop everything in order); Apollo's own handlers race it.
    stopOnTerminationSignals: false,
  });
  try {
    await server.start();
  } catch (error) {
    registry.close();
    throw new ConfigError(`the supergraph ${config.supergraphPath} cannot be loaded: ${(error as Error).message}`);
  }
  if (!urls['user-profile']) {
    registry.close();
    await server.stop();
    throw new ConfigError(`the supergraph ${config.supergraphPath} has no user-profile subgraph, where the bank directory lives`);
  }

  const handler = createHandler<GatewayContext>({
    server,
    maxBodyBytes: config.limits.maxBodyBytes,
    context: async (req) => ({ identity: await authenticate(req.headers.authorization), requestId: randomUUID() }),
    routes: {
      '/health': async () => ({ status: 200, body: { status: 'ok' } }),
      '/ready': async () => {
        // Bounded like any bank fan-out: a registry of hundreds of banks is probed a few at a time.
        const probeAll = async (targets: Array<[string, string]>) =>
          Object.fromEntries(await mapLimit(targets, config.banks.concurrency, async ([name, url]) => [name, await probe(new URL('/ready', url).href)] as const));
        const [subgraphs, banks] = await Promise.all([probeAll(Object.entries(urls)), probeAll(registry.current().banks.map((b) => [b.id, b.url]))]);
        const ready = [...Object.values(subgraphs), ...Object.values(banks)].every((c) => c.ok);
        return { status: ready ? 200 : 503, body: { status: ready ? 'ready' : 'not ready', supergraph: 'loaded', subgraphs, banks } };
      },
    },
  });
  const listening = await listen(withPages(handler, site), config.port, config.host);
  return {
    ...listening,
    subgraphs: urls,
    bankRegistry: registry,
    stop: async () => {
      registry.close();
      await listening.close();
      await server.stop();
    },
  };
}
