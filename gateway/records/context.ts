// What the records resolvers see: the request's identity (as everywhere in the gateway), the
// stores to ask, one clock reading, the errors of stores that did not answer (added to the
// response next to the data, at the path of the field that misses their part), and the fields of
// the graph's schema.
import type { GraphQLFormattedError } from 'graphql';
import type { GatewayContext } from '../engine.ts';
import type { RecordStores } from './stores.ts';

export interface RecordsContext extends GatewayContext {
  stores: RecordStores;
  now: Date;
  problems: GraphQLFormattedError[];
  /** Every field coordinate (`Type.field`) of the graph's schema, when known: a reviewer's `field` filter must name one. */
  fields?: ReadonlySet<string>;
}
