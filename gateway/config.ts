// Gateway configuration from the environment, validated at start (every problem named at once).
import { fileURLToPath } from 'node:url';
import { EnvReader, isDevelopment } from '@consent-gateway/kit/config';
import { BANK_SUBGRAPH } from '@consent-gateway/kit/bank-policy';
import { DEFAULT_BANK_REGISTRY_FILE } from './bank-registry.ts';
import { DEFAULT_CLIENT_REGISTRY_FILE } from './clients.ts';

/** Who may introspect the graph: nobody, or authenticated callers (never anonymous ones). */
export type IntrospectionPolicy = 'off' | 'authenticated';
const INTROSPECTION_POLICIES: readonly IntrospectionPolicy[] = ['off', 'authenticated'];
/** How people sign in to the privacy centre: a pasted dev token, or the platform's session in production. */
export type PrivacySignIn = 'dev-token' | 'platform-session';

export interface GatewayConfig {
  port: number;
  host: string;
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
  limits: { maxDepth: number; maxFields: number; maxBodyBytes: number };
  /** Also whether a browser gets the explorer at GET /graphql (not when `off`). */
  introspection: IntrospectionPolicy;
  privacySignIn: PrivacySignIn;
  exposeErrors: boolean;
}

export const DEFAULT_SUPERGRAPH_PATH = fileURLToPath(new URL('../schema/supergraph.graphql', import.meta.url));
/** The gateway learns subgraph names from the supergraph; these variables override their URLs. */
export const SUBGRAPH_URL_PREFIX = 'SUBGRAPH_URL_';
const ALLOWED_ALGORITHMS = ['ES256', 'ES384', 'EdDSA', 'RS256', 'PS256'];

export function loadGatewayConfig(env: NodeJS.ProcessEnv = process.env, reader = new EnvReader(env)): GatewayConfig {
  const r = reader;
  const overrides: GatewayConfig['subgraphUrlOverrides'] = {};
  for (const [suffix, url] of Object.entries(r.prefixed(SUBGRAPH_URL_PREFIX))) {
    const name = suffix.toLowerCase().replace(/_/g, '-');
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
  const introspection = r.string('INTROSPECTION', 'off');
  if (!(INTROSPECTION_POLICIES as readonly string[]).includes(introspection)) {
    r.problem(`INTROSPECTION must be one of ${INTROSPECTION_POLICIES.join(', ')} (got "${introspection}")`);
  }
  const config: GatewayConfig = {
    port: r.int('GATEWAY_PORT', 4000, { max: 65535 }),
    host: r.string('GATEWAY_HOST', '127.0.0.1'),
    supergraphPath: r.string('SUPERGRAPH_PATH', DEFAULT_SUPERGRAPH_PATH),
    subgraphUrlOverrides: overrides,
    bankRegistryFile: r.string('BANK_REGISTRY_FILE', DEFAULT_BANK_REGISTRY_FILE),
    banks: {
      timeoutMs: r.int('BANK_TIMEOUT_MS', 5_000, { min: 50, max: 120_000 }),
      concurrency: r.int('BANK_CONCURRENCY', 8, { min: 1, max: 256 }),
    },
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
      maxDepth: r.int('MAX_QUERY_DEPTH', 12, { min: 1, max: 100 }),
      maxFields: r.int('MAX_QUERY_FIELDS', 300, { min: 1, max: 100_000 }),
      maxBodyBytes: r.int('MAX_REQUEST_BYTES', 64_000, { min: 1_000, max: 10_000_000 }),
    },
    introspection: introspection as IntrospectionPolicy,
    privacySignIn: env.NODE_ENV === 'production' ? 'platform-session' : 'dev-token',
    exposeErrors: isDevelopment(env),
  };
  r.done('gateway');
  return config;
}
