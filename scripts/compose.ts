// `npm run compose`: composes the platform subgraphs' SDL files and the bank subgraph contract
// (from the kit) into schema/supergraph.graphql (checked in), with the `records` subgraph that the
// gateway answers itself (schema/records.graphql: reviewers' audit events, a person's export and
// erasure, gathered from every subgraph and bank). The gateway loads that file;
// test/supergraph.test.ts fails when it is stale. The supergraph has one `bank-account` subgraph
// whatever the number of banks: the gateway routes its fetches by its bank registry, so adding a
// bank changes nothing here.
import { writeFileSync } from 'node:fs';
import { parse, type GraphQLSchema } from 'graphql';
import { composeServices } from '@apollo/composition';
import { bankContractSdl } from '@consent-gateway/kit/bank';
import { BANK_SUBGRAPH } from '@consent-gateway/kit/bank-policy';
import { DEFAULT_PORTS, PLATFORM_SUBGRAPHS, readSubgraphSdl, schemaPath } from '../subgraphs/catalog.ts';
import { RECORDS_SUBGRAPH, recordsTypeDefs } from '../gateway/records/index.ts';

export const SUPERGRAPH_FILE = schemaPath('supergraph.graphql');
/** Never called: the gateway sends `bank-account` fetches to the bank router (`.invalid` cannot resolve). */
export const BANK_ROUTER_URL = 'http://bank-registry.invalid/graphql';
/** Never called either: the gateway answers `records` fetches itself. */
export const RECORDS_URL = 'http://gateway-records.invalid/graphql';

export interface Composition {
  supergraphSdl: string;
  hints: string[];
  /** The schema clients see (what the gateway serves), to validate client operations against. */
  apiSchema(): GraphQLSchema;
}

export function composeSupergraph(): Composition {
  const result = composeServices([
    ...PLATFORM_SUBGRAPHS.map((name) => ({ name, url: `http://localhost:${DEFAULT_PORTS[name]}/graphql`, typeDefs: parse(readSubgraphSdl(name)) })),
    { name: BANK_SUBGRAPH, url: BANK_ROUTER_URL, typeDefs: parse(bankContractSdl()) },
    { name: RECORDS_SUBGRAPH, url: RECORDS_URL, typeDefs: recordsTypeDefs() },
  ]);
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
