// `npm run compose`: composes the subgraph SDL files into schema/supergraph.graphql (checked in).
// The gateway loads that file; test/supergraph.test.ts fails when it is stale.
import { writeFileSync } from 'node:fs';
import { parse, type GraphQLSchema } from 'graphql';
import { composeServices } from '@apollo/composition';
import { DEFAULT_PORTS, SUBGRAPH_NAMES, readSubgraphSdl, schemaPath } from '../subgraphs/catalog.ts';

export const SUPERGRAPH_FILE = schemaPath('supergraph.graphql');

export interface Composition {
  supergraphSdl: string;
  hints: string[];
  /** The schema clients see (what the gateway serves), to validate client operations against. */
  apiSchema(): GraphQLSchema;
}

export function composeSupergraph(): Composition {
  const result = composeServices(
    SUBGRAPH_NAMES.map((name) => ({
      name,
      url: `http://localhost:${DEFAULT_PORTS[name]}/graphql`,
      typeDefs: parse(readSubgraphSdl(name)),
    })),
  );
  if (result.errors) {
    throw new Error(`composition failed:\n${result.errors.map((e) => `- ${e.message}`).join('\n')}`);
  }
  return {
    supergraphSdl: result.supergraphSdl,
    hints: result.hints.map((h) => `${h.definition.code}: ${h.message}`),
    apiSchema: () => result.schema.toAPISchema().toGraphQLJSSchema(),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { supergraphSdl, hints } = composeSupergraph();
  for (const hint of hints) console.warn(`hint ${hint}`);
  writeFileSync(SUPERGRAPH_FILE, supergraphSdl);
  console.log(`wrote ${SUPERGRAPH_FILE} (${hints.length} hints)`);
}
