// The gateway: verifies clients, limits their rate, gates every operation (form, persisted
// operations, limits, introspection), plans over the supergraph and calls subgraphs with
// internal tokens, and each bank through the bank router. It stores no bank data, caches no
// response and calls nothing but the configured subgraphs and banks, the identity provider's key
// set and (if configured) Redis.
import { createPrivateKey, randomUUID } from 'node:crypto';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import type { GraphQLSchema } from 'graphql';
import { ConfigError, loadConfigFile } from '@consent-gateway/kit/config';
import { maskError } from '@consent-gateway/kit/create-subgraph';
import { besideGraphql, clientAddress, createHandler, HttpError, isTrusted, listen, mayShowDetails, type Listening } from '@consent-gateway/kit/http';
import { BANK_SUBGRAPH } from '@consent-gateway/kit/bank-policy';
import { isBankId } from '@consent-gateway/kit/ids';
import { bankAudience, mintInternalToken } from '@consent-gateway/kit/internal-token';
import type { Logger } from '@consent-gateway/kit/log';
import { metricsRoute, operationLabels } from '@consent-gateway/kit/metrics';
import { createObservability, currentRequestId, identifyRequest, observabilityPlugin, requestLog } from '@consent-gateway/kit/observability';
import { vendorReportingOff } from '@consent-gateway/kit/vendor-reporting';
import { createBankClient } from './bank-router/bank-client.ts';
import { createBankRouter, mapLimit } from './bank-router/router.ts';
import { createDirectoryLink, createRecordWithoutBank } from './bank-directory.ts';
import { createRecordsExecutor, RECORDS_SUBGRAPH } from './records/index.ts';
import { recordStores } from './records/stores.ts';
import { watchBankRegistry, type WatchedBankRegistry } from './bank-registry.ts';
import { createClientAuthenticator } from './client-auth.ts';
import { clientMistakeStatus } from './client-mistakes.ts';
import { loadClientRegistry } from './clients.ts';
import type { GatewayConfig } from './config.ts';
import { createEngine, subgraphUrls, type GatewayContext } from './engine.ts';
import { createInFlightLimiter } from './in-flight.ts';
import { loadSite, pageOperationNames, withPages } from './pages.ts';
import { PersistedOperations } from './persisted-operations.ts';
import { addressBucket, createRateLimiter, MemoryRateLimitStore, type RateLimiter, type RateLimitStore } from './rate-limit.ts';
import { RedisRateLimitStore } from './rate-limit-redis.ts';
import { createConversationUser, referenceChecks } from './references.ts';
import { createRequestGate } from './request-gate.ts';
import { schemaDisclosure, schemaReaders } from './schema-disclosure.ts';
import { gatewayMetrics } from './observed-calls.ts';
import { createSubgraphPool, createSubgraphPools, type SubgraphPool } from './subgraph-fetch.ts';

export interface RunningGateway extends Listening {
  /** The platform subgraphs' URLs (banks are in the registry). */
  subgraphs: Record<string, string>;
  bankRegistry: WatchedBankRegistry;
  log: Logger;
  stop(): Promise<void>;
}

/** At most one log line per this long about connections closed for the connection limits. */
const REFUSED_CONNECTIONS_LOG_MS = 10_000;

/** How long the answers of one round of readiness probes are reused. */
const READY_PROBE_MS = 2_000;

interface Probe {
  ok: boolean;
  detail: unknown;
}

/** The most of a /ready or probe answer read: they are a few hundred bytes. */
const PROBE_MAX_RESPONSE_BYTES = 64_000;

/**
 * What /ready shows of a subgraph's or bank's /ready answer: the fields the kit sends, each
 * checked to be what the kit sends (`database` only as up or down: its text may name hosts),
 * nothing else of the body. An answer is the other side's words: shown raw, it would be a way
 * for anything at a registered address to show text, or another service's answer, here.
 */
function readyFields(body: unknown): Record<string, string> {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const fields: Record<string, string> = {};
  if (b.status === 'ready' || b.status === 'not ready') fields.status = b.status;
  if (typeof b.subgraph === 'string' && /^[a-z][a-z0-9-]{0,62}$/.test(b.subgraph)) fields.subgraph = b.subgraph;
  if (isBankId(b.bank)) fields.bank = b.bank;
  if (typeof b.kit === 'string' && /^\d{1,6}\.\d{1,6}\.\d{1,6}(-[0-9A-Za-z.-]{1,40})?$/.test(b.kit)) fields.kit = b.kit;
  if (typeof b.database === 'string') fields.database = b.database === 'up' ? 'up' : 'down';
  return fields;
}

/** A bank id as the other side claims it, shown only if it is one. */
const claimedId = (value: unknown) => (isBankId(value) ? value : 'something that is not a bank id');

/**
 * GET /ready through the probes' pool: no redirect followed (a 3xx is down, its target not
 * called), the answer read up to PROBE_MAX_RESPONSE_BYTES, only its checked fields kept.
 */
async function probe(pool: SubgraphPool, url: string): Promise<Probe> {
  try {
    const res = await pool.fetch(url, { headers: { accept: 'application/json' } });
    if (res.status >= 300 && res.status < 400) return { ok: false, detail: { httpStatus: res.status, problem: `HTTP ${res.status}: a redirect, not followed` } };
    return { ok: res.ok, detail: { httpStatus: res.status, ...readyFields(await res.json().catch(() => undefined)) } };
  } catch (error) {
    const cause = (error as { cause?: unknown }).cause ?? error;
    return { ok: false, detail: { problem: (cause as Error).message } };
  }
}

/**
 * A bank is up when its /ready says so and it answers as the registry's bank to a call the way the
 * gateway makes them: `{ banks { id } }` (public, no decision recorded) with a token minted for
 * that bank alone, so a bank that loads another key or expects another audience (401), or a
 * deployment of another bank at that address, is down, not "ready" while every call fails. The
 * `bank` /ready names (to this machine only) must match too. Both calls go through the probes'
 * pool (no redirect followed, a bounded answer).
 */
async function probeBank(pool: SubgraphPool, bank: { id: string; url: string }, token: () => Promise<string>): Promise<Probe> {
  const asGateway = async (): Promise<string | undefined> => {
    try {
      const res = await pool.fetch(bank.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${await token()}` },
        body: JSON.stringify({ query: '{ banks { id } }' }),
      });
      if (res.status >= 300 && res.status < 400) return `a call as the gateway got HTTP ${res.status}: a redirect, not followed`;
      const ids = ((await res.json().catch(() => undefined)) as { data?: { banks?: Array<{ id?: unknown } | null> } } | undefined)?.data?.banks?.map((b) => b?.id);
      if (res.status === 401) return `refuses the gateway's token for ${bankAudience(bank.id)} (HTTP 401): it loads another gateway key or expects another audience`;
      if (res.status === 504) return `refuses a call as past its deadline (HTTP 504) though it was not: its clock runs ahead of the gateway's`;
      if (!Array.isArray(ids)) return `a call as the gateway got HTTP ${res.status} and no banks`;
      if (ids.length !== 1 || ids[0] !== bank.id) return `answers as bank ${ids.slice(0, 3).map(claimedId).join(', ') || 'none'}${ids.length > 3 ? ', …' : ''}, not ${bank.id}`;
      return undefined;
    } catch (error) {
      const cause = (error as { cause?: unknown }).cause ?? error;
      return `a call as the gateway failed: ${(cause as Error).message}`;
    }
  };
  const [ready, problem] = await Promise.all([probe(pool, besideGraphql(bank.url, '/ready')), asGateway()]);
  const detail = ready.detail as Record<string, unknown>;
  const named = detail.bank;
  const wrong = problem ?? (named !== undefined && named !== bank.id ? `its /ready names bank ${claimedId(named)}, not ${bank.id}` : undefined);
  return wrong ? { ok: false, detail: { ...detail, problem: wrong } } : ready;
}

async function rateLimitStore(config: GatewayConfig): Promise<RateLimitStore> {
  if (config.rateLimit.store === 'memory') return new MemoryRateLimitStore();
  try {
    return await RedisRateLimitStore.connect(config.rateLimit.redisUrl!, { commandTimeoutMs: config.rateLimit.redisCommandTimeoutMs });
  } catch (error) {
    throw new ConfigError(`RATE_LIMIT_STORE=redis: cannot connect to REDIS_URL ${config.rateLimit.redisUrl}: ${(error as Error).message}`);
  }
}

export async function startGateway(config: GatewayConfig, options: { log?: Logger } = {}): Promise<RunningGateway> {
  const supergraphSdl = loadConfigFile(config.supergraphPath, 'the supergraph', (sdl) => sdl, '`npm run compose` writes it');
  // bank-account is routed by the bank registry; records is answered here (records/index.ts).
  const { [BANK_SUBGRAPH]: _routed, [RECORDS_SUBGRAPH]: _answeredHere, ...named } = subgraphUrls(supergraphSdl);
  const unknown = [...Object.keys(config.subgraphUrlOverrides), ...Object.keys(config.subgraphCalls.timeoutOverridesMs)].filter((name) => !(name in named));
  if (unknown.length) {
    throw new ConfigError(`SUBGRAPH_URL_* / SUBGRAPH_TIMEOUT_MS_* name subgraphs that ${config.supergraphPath} does not have: ${unknown.join(', ')} (it has ${Object.keys(named).join(', ')})`);
  }
  const urls: Record<string, string> = { ...named, ...config.subgraphUrlOverrides };
  const signingKey = loadConfigFile(config.internalKeyFile, 'the gateway signing key', createPrivateKey);
  const clients = loadClientRegistry(config.clientRegistryFile);
  const authenticate = createClientAuthenticator(config.auth, clients);
  const operations = PersistedOperations.load(config.persistedOperationsFile);
  const site = loadSite(config);
  // Operations are labelled in metrics by their name only when it is a registered one.
  const observe = createObservability('gateway', {
    log: options.log,
    level: config.observability.logLevel,
    // Registered operations and our own pages' (files we ship): by name; anything else `other`.
    operationLabel: operationLabels({ known: [...operations.names, ...pageOperationNames()] }),
    continueTrace: false,
    assignRequestIds: true,
  });
  const metrics = gatewayMetrics(observe.metrics.registry);
  const warn = (line: string) => requestLog(observe.log).warn(line);
  const registry = watchBankRegistry(config.bankRegistryFile, (line, level) => observe.log[level](line));
  const pools = createSubgraphPools(Object.keys(urls), config.subgraphCalls);
  // How long the gateway waits for a call to this audience: a bank's BANK_TIMEOUT_MS, a platform
  // subgraph's pool deadline (SUBGRAPH_TIMEOUT_MS[_<NAME>]).
  const timeoutOf = (audience: string) =>
    audience.startsWith(bankAudience('')) ? config.banks.timeoutMs : (pools.get(audience)?.timeoutMs ?? config.subgraphCalls.timeoutMs);
  // Each call carries the gateway's label of the client's operation: subgraphs and banks label
  // their metrics with it, so one client operation is labelled alike everywhere, from this set.
  // And its deadline (`dl`): minted just before the call starts, now + its timeout is no later
  // than when the gateway stops waiting, so a subgraph or bank that gets to the call after that
  // (paused, or the request held up) refuses it instead of doing what the client was told failed.
  const mintUntil = (context: GatewayContext, audience: string, deadline: number) =>
    mintInternalToken({ ...context, operationLabel: observe.metrics.operationLabel(context.operation?.name), deadline }, audience, signingKey);
  const mint = (context: GatewayContext, audience: string) => mintUntil(context, audience, Date.now() + timeoutOf(audience));
  // /ready's probes: their own small pool (2 s for a whole call, answers of 64 KB at most).
  const probePool = createSubgraphPool('ready-probe', { timeoutMs: 2_000, maxConnections: 2, maxResponseBytes: PROBE_MAX_RESPONSE_BYTES });
  const bankClient = createBankClient({ mint, timeoutMs: config.banks.timeoutMs, maxConnections: config.subgraphCalls.maxConnections, maxResponseBytes: config.subgraphCalls.maxResponseBytes, log: warn });
  const closePools = () => {
    pools.forEach((pool) => pool.close());
    bankClient.close();
    probePool.close();
    recordsStores.close();
  };
  const bankRouter = createBankRouter({
    registry: registry.current,
    callBank: (bank, request, context) => metrics.observeCall({ subgraph: BANK_SUBGRAPH, bank: bank.id }, () => bankClient(bank, request, context)),
    // The grant's directory link goes to user-profile through its pool, under its deadline.
    linkBank: createDirectoryLink({ url: urls['user-profile'] ?? '', pool: pools.get('user-profile')!, mint, log: warn }),
    recordWithoutBank: createRecordWithoutBank({ url: urls['user-profile'] ?? '', pool: pools.get('user-profile')!, mint, onFailure: metrics.auditFlushFailed }),
    concurrency: config.banks.concurrency,
  });
  const recordsStores = recordStores({
    subgraphs: urls,
    registry: registry.current,
    // The records routes' calls (reviewers' reads, export, erasure) wait by their own timeouts
    // (DATA_SUBJECT_TIMEOUT_MS), which the audience does not tell: stores.ts gives each token
    // its call's deadline (`dl`), past which the store does no more of it.
    mint: mintUntil,
    subgraphTimeoutMs: config.subgraphCalls.timeoutMs,
    bankTimeoutMs: config.banks.timeoutMs,
    dataSubjectTimeoutMs: config.dataSubjectTimeoutMs,
    concurrency: config.banks.concurrency,
    // Each store has its own pool, bounded like every subgraph's and bank's: no redirect
    // followed, answers read up to SUBGRAPH_MAX_RESPONSE_BYTES.
    maxConnections: config.subgraphCalls.maxConnections,
    maxResponseBytes: config.subgraphCalls.maxResponseBytes,
    log: warn,
    // Observed and counted as every other call to a subgraph or bank.
    observeCall: metrics.observeCall,
    onRecordFailure: metrics.auditFlushFailed,
  });
  // A reviewer's `field` filter names a field of this supergraph, or is refused (not 0 rows).
  const records = createRecordsExecutor(recordsStores, { supergraphSdl });
  let apiSchema: GraphQLSchema | undefined;

  const server = new ApolloServer<GatewayContext>({
    gateway: createEngine({ supergraphSdl, urls, mint, pools, bankRouter, records, observeCall: metrics.observeCall, onSchema: (schema) => (apiSchema = schema) }),
    // The gate parses and measures first; Apollo's own rule refuses introspection again when it is off.
    // INTROSPECTION decides, not NODE_ENV (Apollo's default); the explorer needs it (pages.ts).
    introspection: config.introspection !== 'off',
    // Documents by hash come from the persisted-operations manifest only (see persisted-operations.ts).
    persistedQueries: false,
    plugins: [
      clientMistakeStatus<GatewayContext>(),
      schemaDisclosure({ introspection: config.introspection, exposeErrors: config.exposeErrors }),
      referenceChecks({
        registry: registry.current,
        router: bankRouter,
        conversationUser: createConversationUser({ url: urls['messaging'], pool: pools.get('messaging'), mint, log: warn }),
        mayReadSchema: schemaReaders({ introspection: config.introspection, exposeErrors: config.exposeErrors }),
      }),
      // Apollo's landing page loads Apollo Sandbox from a CDN; browsers get our pages instead (pages.ts).
      ApolloServerPluginLandingPageDisabled(),
      observabilityPlugin<GatewayContext>(observe.metrics),
      ...vendorReportingOff<GatewayContext>(),
    ],
    includeStacktraceInErrorResponses: config.exposeErrors,
    hideSchemaDetailsFromClientErrors: !config.exposeErrors,
    formatError: maskError(config.exposeErrors),
    // The process owns signal handling (stop everything in order); Apollo's own handlers race it.
    stopOnTerminationSignals: false,
  });
  let limiter: RateLimiter | undefined;
  const release = async () => {
    registry.close();
    await server.stop();
    await limiter?.close();
    closePools();
  };
  try {
    await server.start();
  } catch (error) {
    registry.close();
    closePools();
    throw new ConfigError(`the supergraph ${config.supergraphPath} cannot be loaded: ${(error as Error).message}`);
  }
  if (!urls['user-profile']) {
    await release();
    throw new ConfigError(`the supergraph ${config.supergraphPath} has no user-profile subgraph, where the bank directory lives`);
  }
  try {
    limiter = createRateLimiter(config.rateLimit, clients, await rateLimitStore(config), metrics.rateLimited);
  } catch (error) {
    await release();
    throw error;
  }
  const limits = limiter;
  // Operations running at once per user (per address when anonymous), in this replica's memory.
  const inFlight = createInFlightLimiter(config.rateLimit.inFlight, metrics.rateLimited);

  // Every subgraph and bank is probed (a bounded few at a time, as any bank fan-out) at most once
  // per READY_PROBE_MS, whoever asks and however often: /ready is no amplifier.
  const probeAll = async (targets: Array<[string, string]>, probeOne: (name: string, url: string) => Promise<Probe>) =>
    Object.fromEntries(await mapLimit(targets, config.banks.concurrency, async ([name, url]) => [name, await probeOne(name, url)] as const));
  // A bank's probe calls it as the gateway does, with a short-lived token for that bank alone.
  // Its deadline is a real call's (BANK_TIMEOUT_MS), so a bank whose clock runs a little ahead is
  // judged by what traffic would meet, not by the probe's shorter wait.
  const probeToken = (bankId: string) => () => mint({ identity: { roles: [] }, requestId: `ready-${randomUUID()}` }, bankAudience(bankId));
  let lastProbe: { at: number; result: Promise<{ subgraphs: Record<string, Probe>; banks: Record<string, Probe> }> } | undefined;
  const readiness = () => {
    if (!lastProbe || performance.now() - lastProbe.at > READY_PROBE_MS) {
      lastProbe = {
        at: performance.now(),
        result: Promise.all([
          probeAll(Object.entries(urls), (_name, url) => probe(probePool, besideGraphql(url, '/ready'))),
          probeAll(registry.current().banks.map((b) => [b.id, b.url]), (id, url) => probeBank(probePool, { id, url }, probeToken(id))),
        ]).then(([subgraphs, banks]) => ({ subgraphs, banks })),
      };
    }
    return lastProbe.result;
  };

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
      // The request id was given as the request arrived (observability.ts), so that every line,
      // a refusal's included, carries it; the client gets it as `x-request-id`.
      const requestId = currentRequestId() ?? randomUUID();
      identifyRequest(requestId);
      const address = clientAddress(req); // the peer, or the client a trusted proxy names
      let identity;
      try {
        identity = await authenticate(req.headers.authorization);
      } catch (error) {
        // Failed tokens count against the caller's address, so guessing tokens is rate limited too.
        if (error instanceof HttpError) await limits.anonymous(address);
        throw error;
      }
      identifyRequest(requestId, identity);
      if (identity.sub) await limits.identified(identity);
      else await limits.anonymous(address);
      // Last, once the request is let in: a slot held until the handler is done (inFlight.releasing below).
      if (identity.sub) inFlight.user(req, identity.sub);
      else inFlight.anonymous(req, address);
      return { identity, requestId };
    },
    gate,
    observe,
    trustedProxies: config.trustedProxies,
    routes: {
      '/health': async () => ({ status: 200, body: { status: 'ok' } }),
      // Ready means this gateway serves: a subgraph or a bank that is down costs only its own
      // part of the graph (its fields answer a named error), so it makes the gateway `degraded`,
      // still 200: an orchestrator that pulled every replica for one partner's outage would turn
      // a partial outage into a total one. Which ones are down, at which addresses: for this
      // machine or an operator (OPERATOR_TOKEN) only.
      '/ready': async (req) => {
        const { subgraphs, banks } = await readiness();
        const down = [...Object.values(subgraphs), ...Object.values(banks)].some((c) => !c.ok);
        const status = down ? 'degraded' : 'ready';
        return { status: 200, body: mayShowDetails(req, config.operatorToken) ? { status, supergraph: 'loaded', subgraphs, banks } : { status } };
      },
      '/metrics': metricsRoute(observe.metrics.registry, config.operatorToken),
    },
  });
  // Connections beyond the limits are closed before any request is read: counted (metric), and
  // told in warning lines REFUSED_CONNECTIONS_LOG_MS apart at most (a flood must not flood the
  // log): the first refusal at once, then what a window held, at its end.
  const refused = { 'per-address': 0, total: 0 };
  let refusalWindow: NodeJS.Timeout | undefined;
  const tell = () => {
    if (refused['per-address'] + refused.total === 0) return void (refusalWindow = undefined);
    observe.log.warn(
      { outcome: 'connections_refused', perAddress: refused['per-address'], total: refused.total },
      'connections closed for the connection limits (GATEWAY_MAX_CONNECTIONS_PER_ADDRESS, GATEWAY_MAX_CONNECTIONS)',
    );
    Object.assign(refused, { 'per-address': 0, total: 0 });
    refusalWindow = setTimeout(tell, REFUSED_CONNECTIONS_LOG_MS).unref();
  };
  const onRefused = (reason: 'per-address' | 'total') => {
    metrics.connectionRefused(reason);
    refused[reason]++;
    if (!refusalWindow) tell();
  };
  let listening: Listening;
  try {
    listening = await listen(withPages(inFlight.releasing(handler), site), config.port, config.host, {
      ...config.connections,
      // An IPv6 client by its /64, as the rate limits count it; a trusted proxy speaks for many clients.
      addressKey: addressBucket,
      uncapped: config.trustedProxies ? (address) => isTrusted(config.trustedProxies!, address) : undefined,
      onRefused,
    });
  } catch (error) {
    await release();
    throw error;
  }
  return {
    ...listening,
    subgraphs: urls,
    bankRegistry: registry,
    log: observe.log,
    stop: async () => {
      await listening.close();
      clearTimeout(refusalWindow);
      await release();
    },
  };
}
