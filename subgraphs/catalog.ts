// The subgraphs of this graph: their names (the audience of the gateway's internal tokens),
// SDL files and default development ports. One table, read by composition, start-up and tests.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse, type DocumentNode } from 'graphql';

export const SUBGRAPH_NAMES = ['user-profile', 'bank-account', 'messaging'] as const;
export type SubgraphName = (typeof SUBGRAPH_NAMES)[number];

export const DEFAULT_PORTS: Record<SubgraphName, number> = {
  'user-profile': 4001,
  'bank-account': 4002,
  messaging: 4003,
};

export function isSubgraphName(value: string): value is SubgraphName {
  return (SUBGRAPH_NAMES as readonly string[]).includes(value);
}

export function schemaPath(file: string): string {
  return fileURLToPath(new URL(`../schema/${file}`, import.meta.url));
}

export function readSubgraphSdl(name: SubgraphName): string {
  return readFileSync(schemaPath(`${name}.graphql`), 'utf8');
}

export function subgraphTypeDefs(name: SubgraphName): DocumentNode {
  return parse(readSubgraphSdl(name));
}

/** `bank-account` → `SUBGRAPH_URL_BANK_ACCOUNT`: the gateway's per-subgraph URL override. */
export function subgraphUrlEnvName(name: SubgraphName): string {
  return `SUBGRAPH_URL_${name.toUpperCase().replace(/-/g, '_')}`;
}
