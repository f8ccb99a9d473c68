// Configuration of one subgraph process, from the environment.
import { DEFAULT_PORTS, SUBGRAPH_NAMES, isSubgraphName, type SubgraphName } from './catalog.ts';
import { EnvReader, isDevelopment } from '@consent-gateway/kit/config';

export interface SubgraphConfig {
  name: SubgraphName;
  port: number;
  host: string;
  mongoUri: string;
  dbPrefix: string;
  gatewayPublicKeyFile: string;
  exposeErrors: boolean;
  operatorToken?: string;
}

export function loadSubgraphConfig(env: NodeJS.ProcessEnv = process.env, nameArg?: string, reader = new EnvReader(env)): SubgraphConfig {
  const r = reader;
  const name = nameArg ?? r.string('SUBGRAPH_NAME');
  if (name && !isSubgraphName(name)) r.problem(`unknown subgraph "${name}" (one of ${SUBGRAPH_NAMES.join(', ')})`);
  const config = {
    name: name as SubgraphName,
    port: r.int('PORT', isSubgraphName(name) ? DEFAULT_PORTS[name] : 0, { max: 65535 }),
    host: r.string('HOST', '127.0.0.1'),
    mongoUri: r.string('MONGODB_URI'),
    dbPrefix: r.string('MONGODB_DB_PREFIX', 'consent_'),
    gatewayPublicKeyFile: r.string('GATEWAY_PUBLIC_KEY_FILE'),
    exposeErrors: isDevelopment(env),
    operatorToken: r.secret('OPERATOR_TOKEN'),
  };
  r.done('subgraph');
  return config;
}
