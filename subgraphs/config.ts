// Configuration of one platform subgraph process, from the environment.
import { DEFAULT_PORTS, PLATFORM_SUBGRAPHS, isPlatformSubgraph, type PlatformSubgraph } from './catalog.ts';
import { EnvReader, isDevelopment } from '@consent-gateway/kit/config';
import { readObservabilityConfig, type ObservabilityConfig } from '@consent-gateway/kit/observability';

export interface SubgraphConfig {
  name: PlatformSubgraph;
  port: number;
  host: string;
  mongoUri: string;
  dbPrefix: string;
  gatewayPublicKeyFile: string;
  /** The subgraph's audit key: pseudonyms of user ids in its decision records. */
  auditKeyFile: string;
  exposeErrors: boolean;
  operatorToken?: string;
  observability: ObservabilityConfig;
}

export function loadSubgraphConfig(env: NodeJS.ProcessEnv = process.env, nameArg?: string, reader = new EnvReader(env)): SubgraphConfig {
  const r = reader;
  const name = nameArg ?? r.string('SUBGRAPH_NAME');
  if (name && !isPlatformSubgraph(name)) {
    r.problem(`unknown subgraph "${name}" (one of ${PLATFORM_SUBGRAPHS.join(', ')}; a bank runs subgraphs/bank/main.ts)`);
  }
  const config = {
    name: name as PlatformSubgraph,
    port: r.int('PORT', isPlatformSubgraph(name) ? DEFAULT_PORTS[name] : 0, { max: 65535 }),
    host: r.string('HOST', '127.0.0.1'),
    mongoUri: r.string('MONGODB_URI'),
    dbPrefix: r.string('MONGODB_DB_PREFIX', 'consent_'),
    gatewayPublicKeyFile: r.string('GATEWAY_PUBLIC_KEY_FILE'),
    auditKeyFile: r.string('AUDIT_KEY_FILE'),
    exposeErrors: isDevelopment(env),
    operatorToken: r.secret('OPERATOR_TOKEN'),
    observability: readObservabilityConfig(r),
  };
  r.done('subgraph');
  return config;
}
