// The platform's own subgraphs (user-profile, messaging): their names (the audience of the
// gateway's internal tokens), SDL files and default development ports. Banks are not here: each
// runs the bank subgraph contract from the kit, and the gateway finds them in its bank registry.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse, type DocumentNode } from 'graphql';

export const PLATFORM_SUBGRAPHS = ['user-profile', 'messaging'] as const;
export type PlatformSubgraph = (typeof PLATFORM_SUBGRAPHS)[number];

export const DEFAULT_PORTS: Record<PlatformSubgraph, number> = {
  'user-profile': 4001,
  messaging: 4003,
};

export function isPlatformSubgraph(value: string): value is PlatformSubgraph {
  return (PLATFORM_SUBGRAPHS as readonly string[]).includes(value);
}

export function schemaPath(file: string): string {
  return fileURLToPath(new URL(`../schema/${file}`, import.meta.url));
}

export function readSubgraphSdl(name: PlatformSubgraph): string {
  return readFileSync(schemaPath(`${name}.graphql`), 'utf8');
}

export function subgraphTypeDefs(name: PlatformSubgraph): DocumentNode {
  return parse(readSubgraphSdl(name));
}

/** `user-profile` → `SUBGRAPH_URL_USER_PROFILE`: the gateway's per-subgraph URL override. */
export function subgraphUrlEnvName(name: string): string {
  return `SUBGRAPH_URL_${name.toUpperCase().replace(/-/g, '_')}`;
}

/** A bank's process and database go by `bank-<id>` (e.g. `bank-northwind`) in logs, tests and compose. */
export function bankServiceName(bankId: string): string {
  return `bank-${bankId}`;
}

/** `user-profile` → `USER_PROFILE_PORT`: the port variable of `npm start`. */
export function portEnvName(name: string): string {
  return `${name.toUpperCase().replace(/-/g, '_')}_PORT`;
}
