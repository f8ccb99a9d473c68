// Configuration of one platform subgraph process, from the environment.
import { DEFAULT_PORTS, PLATFORM_SUBGRAPHS, isPlatformSubgraph, type PlatformSubgraph } from './catalog.ts';
import { EnvReader } from '@consent-gateway/kit/config';
import { readSubgraphProcessConfig, type SubgraphProcessConfig } from '@consent-gateway/kit/subgraph-process';

export interface SubgraphConfig extends SubgraphProcessConfig {
  name: PlatformSubgraph;
  dbPrefix: string;
}

export function loadSubgraphConfig(env: NodeJS.ProcessEnv = process.env, nameArg?: string, reader = new EnvReader(env)): SubgraphConfig {
  const r = reader;
  const name = nameArg ?? r.string('SUBGRAPH_NAME');
  if (name && !isPlatformSubgraph(name)) {
    r.problem(`unknown subgraph "${name}" (one of ${PLATFORM_SUBGRAPHS.join(', ')}; a bank runs subgraphs/bank/main.ts)`);
  }
  const config: SubgraphConfig = {
    name: name as PlatformSubgraph,
    ...readSubgraphProcessConfig(r, r.int('PORT', isPlatformSubgraph(name) ? DEFAULT_PORTS[name] : 0, { max: 65535 }), env),
    dbPrefix: r.string('MONGODB_DB_PREFIX', 'consent_'),
  };
  r.done('subgraph');
  return config;
}
