// Gateway configuration from the environment, validated at start (every problem named at once).
import { BlockList, isIP } from 'node:net';
import { fileURLToPath } from 'node:url';
import { EnvReader, isDevelopment } from '@consent-gateway/kit/config';
import { BANK_SUBGRAPH } from '@consent-gateway/kit/bank-policy';
import { DEFAULT_BANK_REGISTRY_FILE } from './bank-registry.ts';
import type { ClientType } from '@consent-gateway/kit/identity';
import { readObservabilityConfig, type ObservabilityConfig } from '@consent-gateway/kit/observability';
import { DEFAULT_CLIENT_REGISTRY_FILE } from './clients.ts';
import { DEFAULT_MAX_RESPONSE_BYTES } from './subgraph-fetch.ts';
import { DEFAULT_CONNECTION_LIMITS } from '@consent-gateway/kit/http';

/** Who may introspect the graph: nobody, or authenticated callers (never anonymous ones). */
export type IntrospectionPolicy = 'off' | 'authenticated';
/** How people sign in to the privacy centre: a pasted dev token, or the platform's session in production. */
export type PrivacySignIn = 'dev-token' | 'platform-session';
/** The caller kinds whose operations have their own cost limit. */
export type CallerKind = 'anonymous' | ClientType;

export interface OperationLimits {
  /** Lexical tokens of a document (graphql-js stops parsing beyond it). */
  maxTokens: number;
  /** Nesting of `{`, `[`, `(` in the source, checked before the parser recurses. */
  maxNesting: number;
  maxDepth: number;
  maxFields: number;
  maxAliases: number;
  maxDirectives: number;
  maxRootFields: number;
  /** Objects an operation may return, by caller kind (see gateway/operation-shape.ts). */
  maxCost: Record<CallerKind, number>;
  /** The size assumed for a list that has no `first` argument. */
  assumedListSize: number;
  maxBodyBytes: number;
}

/**
 * Open connections one client address may hold (GATEWAY_MAX_CONNECTIONS_PER_ADDRESS): a browser
 * opens about six, so this is an office's worth behind one NAT address; a reverse proxy in front
 * is named in TRUSTED_PROXIES and is not capped.
 */
export const DEFAULT_CONNECTIONS_PER_ADDRESS = 256;

/** The default deadline of one Redis command of the rate limits (RATE_LIMIT_REDIS_TIMEOUT_MS): Redis answers in well under a millisecond. */
export const DEFAULT_REDIS_COMMAND_TIMEOUT_MS = 200;

/** A token bucket: `burst` requests at once, refilled at `perSecond`. */
export interface BucketLimit {
  perSecond: number;
  burst: number;
}

export interface RateLimitConfig {
  store: 'memory' | 'redis';
  redisUrl?: string;
  /** Deadline of one Redis command; past it the request is limited in this replica's memory. */
  redisCommandTimeoutMs?: number;
  /** Per signed-in identity (the token's subject). */
  user: BucketLimit;
  /** Per client address, for requests without a valid token. */
  anonymous: BucketLimit;
  /** Per client app, all its users together (the client registry may set its own). */
  client: BucketLimit;
  /**
   * Operations one caller may have running at once (gateway/in-flight.ts), counted in this
   * replica's memory: per signed-in user (the token's subject, all apps together), and per client
   * address for anonymous callers.
   */
  inFlight: { user: number; anonymous: number };
}

/** RATE_LIMIT_USER_IN_FLIGHT: a signed-in user's operations running at once (a page or two of parallel queries). */
export const DEFAULT_USER_IN_FLIGHT = 16;
/** RATE_LIMIT_ANONYMOUS_IN_FLIGHT: an anonymous client address's operations running at once. */
export const DEFAULT_ANONYMOUS_IN_FLIGHT = 8;

export interface SubgraphCallConfig {
  timeoutMs: number;
  /** `SUBGRAPH_TIMEOUT_MS_<NAME>` overrides by subgraph name. */
  timeoutOverridesMs: Record<string, number>;
  /** Keep-alive connections per subgraph; further calls wait for one (within their timeout). */
  maxConnections: number;
  /** The largest answer read from a subgraph or a bank; a larger one fails that call (SUBGRAPH_UNAVAILABLE). */
  maxResponseBytes: number;
}

/** TRUSTED_PROXIES: `10.0.0.5, 10.1.0.0/16, fd00::/8`; every entry an address or a CIDR range. */
function trustedProxies(r: EnvReader): BlockList | undefined {
  const entries = (r.optional('TRUSTED_PROXIES') ?? '').split(',').map((e) => e.trim()).filter(Boolean);
  if (entries.length === 0) return undefined;
  const list = new BlockList();
  for (const entry of entries) {
    const [address = '', bits, extra] = entry.split('/');
    const family = isIP(address);
    const prefix = Number(bits);
    if (family === 0 || extra !== undefined || (bits !== undefined && !(Number.isInteger(prefix) && prefix >= 0 && prefix <= (family === 6 ? 128 : 32)))) {
      r.problem(`TRUSTED_PROXIES: "${entry}" is not an IP address or a CIDR range (e.g. 10.0.0.5, 10.1.0.0/16, fd00::/8)`);
      continue;
    }
    const type = family === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(address, type);
    else list.addSubnet(address, prefix, type);
  }
  return list;
}

/** What the gateway's clients' connections may hold (kit/src/http.ts, ConnectionLimits). */
export interface GatewayConnections {
  maxConnections: number;
  maxConnectionsPerAddress: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
}

export interface GatewayConfig {
  port: number;
  host: string;
  /** Connections from clients: how many, from one address (an IPv6 one by its /64; trusted proxies uncapped), for how long. */
  connections: GatewayConnections;
  supergraphPath: string;
  /** `SUBGRAPH_URL_<NAME>` overrides by subgraph name (`user-profile` ← `SUBGRAPH_URL_USER_PROFILE`). */
  subgraphUrlOverrides: Record<string, string>;
  /** Where each bank's subgraph lives: the bank registry file (watched, reloaded on change). */
  bankRegistryFile: string;
  banks: {
    /** Deadline of one bank call. */
    timeoutMs: number;
    /** How many banks one fetch calls at once. */
    concurrency: number;
  };
  /** Deadline of one store's part of a person's export or erasure (heavier than a query: it may rewrite many rows). */
  dataSubjectTimeoutMs: number;
  auth: {
    issuer: string;
    audience: string;
    jwksUrl?: string;
    publicKeyFile?: string;
    algorithms: string[];
    clockSkewSeconds: number;
  };
  internalKeyFile: string;
  clientRegistryFile: string;
  limits: OperationLimits;
  /** Also whether a browser gets the explorer at GET /graphql (not when `off`). */
  introspection: IntrospectionPolicy;
  privacySignIn: PrivacySignIn;
  /** Registered operations (hash → document); see README, Security. */
  persistedOperationsFile: string;
  /** Whether anonymous callers may send operations that are not registered. */
  anonymousOperations: 'arbitrary' | 'safelist';
  rateLimit: RateLimitConfig;
  subgraphCalls: SubgraphCallConfig;
  /** Shows /ready's details and /metrics to callers that are not on this machine (`Authorization: Bearer <token>`). */
  operatorToken?: string;
  /**
   * Reverse proxies before the gateway (TRUSTED_PROXIES: addresses and CIDR ranges): from them,
   * `X-Forwarded-For` names the client, for rate limits and for what only this machine may see.
   */
  trustedProxies?: BlockList;
  exposeErrors: boolean;
  /** LOG_LEVEL and tracing (OTEL_*). */
  observability: ObservabilityConfig;
}

export const DEFAULT_SUPERGRAPH_PATH = fileURLToPath(new URL('../schema/supergraph.graphql', import.meta.url));
export const DEFAULT_PERSISTED_OPERATIONS_FILE = fileURLToPath(new URL('./persisted-operations.json', import.meta.url));
/** The gateway learns subgraph names from the supergraph; these variables override their URLs. */
export const SUBGRAPH_URL_PREFIX = 'SUBGRAPH_URL_';
export const SUBGRAPH_TIMEOUT_PREFIX = 'SUBGRAPH_TIMEOUT_MS_';
/** `bank-account` ← `BANK_ACCOUNT`. */
const subgraphName = (suffix: string) => suffix.toLowerCase().replace(/_/g, '-');
const ALLOWED_ALGORITHMS = ['ES256', 'ES384', 'EdDSA', 'RS256', 'PS256'];

export function loadGatewayConfig(env: NodeJS.ProcessEnv = process.env, reader = new EnvReader(env)): GatewayConfig {
  const r = reader;
  const overrides: GatewayConfig['subgraphUrlOverrides'] = {};
  for (const [suffix, url] of Object.entries(r.prefixed(SUBGRAPH_URL_PREFIX))) {
    const name = subgraphName(suffix);
    if (name === BANK_SUBGRAPH) r.problem(`${SUBGRAPH_URL_PREFIX}${suffix} is not used: banks are routed by the bank registry (BANK_REGISTRY_FILE)`);
    else if (URL.canParse(url)) overrides[name] = url;
    else r.problem(`${SUBGRAPH_URL_PREFIX}${suffix} must be a URL (got "${url}")`);
  }
  const jwksUrl = r.optional('AUTH_JWKS_URL');
  const publicKeyFile = r.optional('AUTH_PUBLIC_KEY_FILE');
  if (!jwksUrl && !publicKeyFile) r.problem('set AUTH_JWKS_URL or AUTH_PUBLIC_KEY_FILE (the identity provider\'s keys); for development, `npm start` sets them');
  if (jwksUrl && !URL.canParse(jwksUrl)) r.problem(`AUTH_JWKS_URL must be a URL (got "${jwksUrl}")`);
  const algorithms = r.string('AUTH_ALGORITHMS', 'ES256,EdDSA,RS256').split(',').map((a) => a.trim()).filter(Boolean);
  const badAlgs = algorithms.filter((a) => !ALLOWED_ALGORITHMS.includes(a));
  if (badAlgs.length) r.problem(`AUTH_ALGORITHMS may only list ${ALLOWED_ALGORITHMS.join(', ')} (got ${badAlgs.join(', ')})`);
  const timeoutOverridesMs: Record<string, number> = {};
  for (const suffix of Object.keys(r.prefixed(SUBGRAPH_TIMEOUT_PREFIX))) {
    const name = subgraphName(suffix);
    if (name === BANK_SUBGRAPH) r.problem(`${SUBGRAPH_TIMEOUT_PREFIX}${suffix} is not used: bank calls have their own deadline, BANK_TIMEOUT_MS (and BANK_CONCURRENCY)`);
    else timeoutOverridesMs[name] = r.int(`${SUBGRAPH_TIMEOUT_PREFIX}${suffix}`, 0, { min: 100, max: 600_000 });
  }
  const bucket = (name: string, perSecond: number, burst: number): BucketLimit => ({
    perSecond: r.int(`RATE_LIMIT_${name}_PER_SECOND`, perSecond, { min: 1, max: 1_000_000 }),
    burst: r.int(`RATE_LIMIT_${name}_BURST`, burst, { min: 1, max: 10_000_000 }),
  });
  const store = r.oneOf('RATE_LIMIT_STORE', ['memory', 'redis'] as const, 'memory');
  const redisUrl = store === 'redis' ? r.url('REDIS_URL', 'redis://127.0.0.1:6379') : undefined;
  const redisCommandTimeoutMs = store === 'redis' ? r.int('RATE_LIMIT_REDIS_TIMEOUT_MS', DEFAULT_REDIS_COMMAND_TIMEOUT_MS, { min: 5, max: 10_000 }) : undefined;
  const connections: GatewayConnections = {
    maxConnections: r.int('GATEWAY_MAX_CONNECTIONS', DEFAULT_CONNECTION_LIMITS.maxConnections, { min: 1, max: 1_000_000 }),
    maxConnectionsPerAddress: r.int('GATEWAY_MAX_CONNECTIONS_PER_ADDRESS', DEFAULT_CONNECTIONS_PER_ADDRESS, { min: 1, max: 1_000_000 }),
    headersTimeoutMs: r.int('GATEWAY_HEADERS_TIMEOUT_MS', DEFAULT_CONNECTION_LIMITS.headersTimeoutMs, { min: 1_000, max: 300_000 }),
    requestTimeoutMs: r.int('GATEWAY_REQUEST_TIMEOUT_MS', DEFAULT_CONNECTION_LIMITS.requestTimeoutMs, { min: 1_000, max: 600_000 }),
    keepAliveTimeoutMs: r.int('GATEWAY_KEEP_ALIVE_TIMEOUT_MS', DEFAULT_CONNECTION_LIMITS.keepAliveTimeoutMs, { min: 1_000, max: 600_000 }),
  };
  if (connections.requestTimeoutMs < connections.headersTimeoutMs) {
    r.problem(`GATEWAY_REQUEST_TIMEOUT_MS (${connections.requestTimeoutMs}) covers the headers and the body: it may not be shorter than GATEWAY_HEADERS_TIMEOUT_MS (${connections.headersTimeoutMs})`);
  }
  if (connections.maxConnectionsPerAddress > connections.maxConnections) {
    r.problem(`GATEWAY_MAX_CONNECTIONS_PER_ADDRESS (${connections.maxConnectionsPerAddress}) may not be more than GATEWAY_MAX_CONNECTIONS (${connections.maxConnections})`);
  }
  const config: GatewayConfig = {
    port: r.int('GATEWAY_PORT', 4000, { max: 65535 }),
    host: r.string('GATEWAY_HOST', '127.0.0.1'),
    connections,
    supergraphPath: r.string('SUPERGRAPH_PATH', DEFAULT_SUPERGRAPH_PATH),
    subgraphUrlOverrides: overrides,
    bankRegistryFile: r.string('BANK_REGISTRY_FILE', DEFAULT_BANK_REGISTRY_FILE),
    banks: {
      timeoutMs: r.int('BANK_TIMEOUT_MS', 5_000, { min: 50, max: 120_000 }),
      concurrency: r.int('BANK_CONCURRENCY', 8, { min: 1, max: 256 }),
    },
    dataSubjectTimeoutMs: r.int('DATA_SUBJECT_TIMEOUT_MS', 60_000, { min: 100, max: 600_000 }),
    auth: {
      issuer: r.string('AUTH_ISSUER'),
      audience: r.string('AUTH_AUDIENCE', 'consent-gateway'),
      jwksUrl,
      publicKeyFile,
      algorithms,
      clockSkewSeconds: r.int('AUTH_CLOCK_SKEW_SECONDS', 30, { max: 300 }),
    },
    internalKeyFile: r.string('GATEWAY_PRIVATE_KEY_FILE'),
    clientRegistryFile: r.string('CLIENT_REGISTRY_FILE', DEFAULT_CLIENT_REGISTRY_FILE),
    limits: {
      maxTokens: r.int('MAX_QUERY_TOKENS', 3_000, { min: 10, max: 1_000_000 }),
      maxNesting: r.int('MAX_QUERY_NESTING', 40, { min: 2, max: 500 }),
      maxDepth: r.int('MAX_QUERY_DEPTH', 15, { min: 1, max: 100 }),
      maxFields: r.int('MAX_QUERY_FIELDS', 300, { min: 1, max: 100_000 }),
      maxAliases: r.int('MAX_QUERY_ALIASES', 30, { min: 0, max: 100_000 }),
      maxDirectives: r.int('MAX_QUERY_DIRECTIVES', 20, { min: 0, max: 100_000 }),
      maxRootFields: r.int('MAX_QUERY_ROOT_FIELDS', 10, { min: 1, max: 100_000 }),
      maxCost: {
        anonymous: r.int('MAX_QUERY_COST_ANONYMOUS', 200, { min: 1, max: 100_000_000 }),
        'third-party': r.int('MAX_QUERY_COST_THIRD_PARTY', 5_000, { min: 1, max: 100_000_000 }),
        'first-party': r.int('MAX_QUERY_COST_FIRST_PARTY', 20_000, { min: 1, max: 100_000_000 }),
      },
      assumedListSize: r.int('QUERY_COST_LIST_SIZE', 10, { min: 1, max: 10_000 }),
      maxBodyBytes: r.int('MAX_REQUEST_BYTES', 64_000, { min: 1_000, max: 10_000_000 }),
    },
    introspection: r.oneOf('INTROSPECTION', ['off', 'authenticated'] as const, 'off'),
    privacySignIn: env.NODE_ENV === 'production' ? 'platform-session' : 'dev-token',
    persistedOperationsFile: r.string('PERSISTED_OPERATIONS_FILE', DEFAULT_PERSISTED_OPERATIONS_FILE),
    anonymousOperations: r.oneOf('ANONYMOUS_OPERATIONS', ['arbitrary', 'safelist'] as const, 'arbitrary'),
    rateLimit: {
      store,
      redisUrl,
      redisCommandTimeoutMs,
      user: bucket('USER', 60, 600),
      anonymous: bucket('ANONYMOUS', 10, 100),
      client: bucket('CLIENT', 500, 5_000),
      inFlight: {
        user: r.int('RATE_LIMIT_USER_IN_FLIGHT', DEFAULT_USER_IN_FLIGHT, { min: 1, max: 1_000_000 }),
        anonymous: r.int('RATE_LIMIT_ANONYMOUS_IN_FLIGHT', DEFAULT_ANONYMOUS_IN_FLIGHT, { min: 1, max: 1_000_000 }),
      },
    },
    subgraphCalls: {
      timeoutMs: r.int('SUBGRAPH_TIMEOUT_MS', 15_000, { min: 100, max: 600_000 }),
      timeoutOverridesMs,
      maxConnections: r.int('SUBGRAPH_MAX_CONNECTIONS', 32, { min: 1, max: 10_000 }),
      maxResponseBytes: r.int('SUBGRAPH_MAX_RESPONSE_BYTES', DEFAULT_MAX_RESPONSE_BYTES, { min: 10_000, max: 1_000_000_000 }),
    },
    operatorToken: r.secret('OPERATOR_TOKEN'),
    trustedProxies: trustedProxies(r),
    exposeErrors: isDevelopment(env),
    observability: readObservabilityConfig(r),
  };
  r.done('gateway');
  return config;
}
