// The gateway: verifies clients, limits their rate, gates every operation (form, persisted
// operations, limits, introspection), plans over the supergraph and calls subgraphs with
// internal tokens. It stores no bank data, caches no response and calls nothing but the
// configured subgraphs, the identity provider's key set and (if configured) Redis.
import { createPrivateKey, randomUUID } from 'node:crypto';
import { ApolloServer } from '@apollo/server';
import type { GraphQLSchema } from 'graphql';
import { ConfigError, loadConfigFile } from '@consent-gateway/kit/config';
import { maskError } from '@consent-gateway/kit/create-subgraph';
import { createHandler, HttpError, listen, mayShowDetails, type Listening } from '@consent-gateway/kit/http';
import { mintInternalToken } from '@consent-gateway/kit/internal-token';
import { vendorReportingOff } from '@consent-gateway/kit/vendor-reporting';
import { createClientAuthenticator } from './client-auth.ts';
import { loadClientRegistry } from './clients.ts';
import type { GatewayConfig } from './config.ts';
import { createEngine, subgraphUrls, type GatewayContext } from './engine.ts';
import { PersistedOperations } from './persisted-operations.ts';
import { createRateLimiter, MemoryRateLimitStore, type RateLimiter, type RateLimitStore } from './rate-limit.ts';
import { RedisRateLimitStore } from './rate-limit-redis.ts';
import { createRequestGate } from './request-gate.ts';
import { createSubgraphPools } from './subgraph-fetch.ts';

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

async function rateLimitStore(config: GatewayConfig): Promise<RateLimitStore> {
  if (config.rateLimit.store === 'memory') return new MemoryRateLimitStore();
  try {
    return await RedisRateLimitStore.connect(config.rateLimit.redisUrl!);
  } catch (error) {
    throw new ConfigError(`RATE_LIMIT_STORE=redis: cannot connect to REDIS_URL ${config.rateLimit.redisUrl}: ${(error as Error).message}`);
  }
}

export async function startGateway(config: GatewayConfig): Promise<RunningGateway> {
  const supergraphSdl = loadConfigFile(config.supergraphPath, 'the supergraph', (sdl) => sdl, '`npm run compose` writes it');
  const named = subgraphUrls(supergraphSdl);
  const unknown = [...Object.keys(config.subgraphUrlOverrides), ...Object.keys(config.subgraphCalls.timeoutOverridesMs)].filter((name) => !(name in named));
  if (unknown.length) {
    throw new ConfigError(`SUBGRAPH_URL_* / SUBGRAPH_TIMEOUT_MS_* name subgraphs that ${config.supergraphPath} does not have: ${unknown.join(', ')} (it has ${Object.keys(named).join(', ')})`);
  }
  const urls = { ...named, ...config.subgraphUrlOverrides };
  const signingKey = loadConfigFile(config.internalKeyFile, 'the gateway signing key', createPrivateKey);
  const clients = loadClientRegistry(config.clientRegistryFile);
  const authenticate = createClientAuthenticator(config.auth, clients);
  const operations = PersistedOperations.load(config.persistedOperationsFile);
  const pools = createSubgraphPools(Object.keys(urls), config.subgraphCalls);
  let apiSchema: GraphQLSchema | undefined;

  const server = new ApolloServer<GatewayContext>({
    gateway: createEngine({
      supergraphSdl,
      urls,
      mint: (context, subgraph) => mintInternalToken(context, subgraph, signingKey),
      pools,
      onSchema: (schema) => (apiSchema = schema),
    }),
    // The gate parses and measures first; Apollo's own rule refuses introspection again when it is off.
    introspection: config.introspection !== 'off',
    // Documents by hash come from the persisted-operations manifest only (see persisted-operations.ts).
    persistedQueries: false,
    plugins: vendorReportingOff<GatewayContext>(),
    includeStacktraceInErrorResponses: config.exposeErrors,
    hideSchemaDetailsFromClientErrors: !config.exposeErrors,
    formatError: maskError(config.exposeErrors),
    // The process owns signal handling (stop everything in order); Apollo's own handlers race it.
    stopOnTerminationSignals: false,
  });
  let limiter: RateLimiter | undefined;
  const release = async () => {
    await server.stop();
    await limiter?.close();
    pools.forEach((pool) => pool.close());
  };
  try {
    await server.start();
  } catch (error) {
    pools.forEach((pool) => pool.close());
    throw new ConfigError(`the supergraph ${config.supergraphPath} cannot be loaded: ${(error as Error).message}`);
  }
  try {
    limiter = createRateLimiter(config.rateLimit, clients, await rateLimitStore(config));
  } catch (error) {
    await release();
    throw error;
  }
  const limits = limiter;

  const gate = createRequestGate({
    limits: config.limits,
    introspection: config.introspection,
    operations,
    anonymousOperations: config.anonymousOperations,
    clients,
    schema: () => apiSchema!,
  });

  const handler = createHandler<GatewayContext>({
    server,
    maxBodyBytes: config.limits.maxBodyBytes,
    context: async (req) => {
      const address = req.socket.remoteAddress ?? 'unknown';
      let identity;
      try {
        identity = await authenticate(req.headers.authorization);
      } catch (error) {
        // Failed tokens count against the caller's address, so guessing tokens is rate limited too.
        if (error instanceof HttpError) await limits.anonymous(address);
        throw error;
      }
      if (identity.sub) await limits.identified(identity);
      else await limits.anonymous(address);
      return { identity, requestId: randomUUID() };
    },
    gate,
    routes: {
      '/health': async () => ({ status: 200, body: { status: 'ok' } }),
      // Which subgraphs answer, at which addresses: for this machine or an operator (OPERATOR_TOKEN) only.
      '/ready': async (req) => {
        const checks = Object.fromEntries(
          await Promise.all(Object.entries(urls).map(async ([name, url]) => [name, await probe(new URL('/ready', url).href)] as const)),
        );
        const ready = Object.values(checks).every((c) => c.ok);
        const status = ready ? 'ready' : 'not ready';
        return { status: ready ? 200 : 503, body: mayShowDetails(req, config.operatorToken) ? { status, supergraph: 'loaded', subgraphs: checks } : { status } };
      },
    },
  });
  let listening: Listening;
  try {
    listening = await listen(handler, config.port, config.host);
  } catch (error) {
    await release();
    throw error;
  }
  return {
    ...listening,
    subgraphs: urls,
    stop: async () => {
      await listening.close();
      await release();
    },
  };
}
