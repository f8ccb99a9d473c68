// The gateway: verifies clients, enforces operation limits, plans over the supergraph and calls
// subgraphs with internal tokens. It stores no bank data and caches no response.
import { createPrivateKey, randomUUID } from 'node:crypto';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ConfigError, loadConfigFile } from '@consent-gateway/kit/config';
import { maskError } from '@consent-gateway/kit/create-subgraph';
import { createHandler, listen, type Listening } from '@consent-gateway/kit/http';
import { mintInternalToken } from '@consent-gateway/kit/internal-token';
import { createClientAuthenticator } from './client-auth.ts';
import { loadClientRegistry } from './clients.ts';
import type { GatewayConfig } from './config.ts';
import { createEngine, subgraphUrls, type GatewayContext } from './engine.ts';
import { operationLimits } from './limits.ts';
import { loadSite, withPages } from './pages.ts';

export interface RunningGateway extends Listening {
  subgraphs: Record<string, string>;
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
  const named = subgraphUrls(supergraphSdl);
  const unknown = Object.keys(config.subgraphUrlOverrides).filter((name) => !(name in named));
  if (unknown.length) {
    throw new ConfigError(`SUBGRAPH_URL_* names subgraphs that ${config.supergraphPath} does not have: ${unknown.join(', ')} (it has ${Object.keys(named).join(', ')})`);
  }
  const urls = { ...named, ...config.subgraphUrlOverrides };
  const signingKey = loadConfigFile(config.internalKeyFile, 'the gateway signing key', createPrivateKey);
  const authenticate = createClientAuthenticator(config.auth, loadClientRegistry(config.clientRegistryFile));
  const site = loadSite(config);

  const server = new ApolloServer<GatewayContext>({
    gateway: createEngine({
      supergraphSdl,
      urls,
      mint: (context, subgraph) => mintInternalToken(context, subgraph, signingKey),
    }),
    validationRules: [operationLimits(config.limits)],
    // INTROSPECTION decides, not NODE_ENV (Apollo's default); the explorer needs it (pages.ts).
    introspection: config.introspection !== 'off',
    // Apollo's landing page loads Apollo Sandbox from a CDN; browsers get our pages instead (pages.ts).
    plugins: [ApolloServerPluginLandingPageDisabled()],
    includeStacktraceInErrorResponses: config.exposeErrors,
    hideSchemaDetailsFromClientErrors: !config.exposeErrors,
    formatError: maskError(config.exposeErrors),
    // The process owns signal handling (stop everything in order); Apollo's own handlers race it.
    stopOnTerminationSignals: false,
  });
  try {
    await server.start();
  } catch (error) {
    throw new ConfigError(`the supergraph ${config.supergraphPath} cannot be loaded: ${(error as Error).message}`);
  }

  const handler = createHandler<GatewayContext>({
    server,
    maxBodyBytes: config.limits.maxBodyBytes,
    context: async (req) => ({ identity: await authenticate(req.headers.authorization), requestId: randomUUID() }),
    routes: {
      '/health': async () => ({ status: 200, body: { status: 'ok' } }),
      '/ready': async () => {
        const checks = Object.fromEntries(
          await Promise.all(Object.entries(urls).map(async ([name, url]) => [name, await probe(new URL('/ready', url).href)] as const)),
        );
        const ready = Object.values(checks).every((c) => c.ok);
        return { status: ready ? 200 : 503, body: { status: ready ? 'ready' : 'not ready', supergraph: 'loaded', subgraphs: checks } };
      },
    },
  });
  const listening = await listen(withPages(handler, site), config.port, config.host);
  return {
    ...listening,
    subgraphs: urls,
    stop: async () => {
      await listening.close();
      await server.stop();
    },
  };
}
