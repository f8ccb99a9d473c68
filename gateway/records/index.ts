// The `records` subgraph, answered by the gateway itself (schema/records.graphql): the engine
// hands its fetches to this data source, which executes them on a local schema (graphql-shield,
// deny by default, like every subgraph) whose resolvers fan out to every store's records routes.
// Why not federation: a root field is answered by one subgraph, while these answers come from all
// of them; and why the gateway: it already knows every platform subgraph's URL and every bank.
import { readFileSync } from 'node:fs';
import { graphql, GraphQLScalarType, Kind, parse, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import { buildProtectedSchema } from '@consent-gateway/kit/create-subgraph';
import { PURPOSE_ENUM } from '@consent-gateway/kit/identity';
import { DateTime } from '@consent-gateway/kit/scalars';
import type { GatewayContext } from '../engine.ts';
import { auditEvents } from './audit-events.ts';
import type { RecordsContext } from './context.ts';
import { eraseMyData, myData } from './data-subject.ts';
import { permissions } from './permissions.ts';
import type { RecordStores } from './stores.ts';

/** The supergraph's name for it. */
export const RECORDS_SUBGRAPH = 'records';

export function recordsTypeDefs() {
  return parse(readFileSync(new URL('../../schema/records.graphql', import.meta.url), 'utf8'));
}

const JSONValue = new GraphQLScalarType({ name: 'JSON', description: 'A JSON value.', serialize: (value) => value });

export function recordsSchema(): GraphQLSchema {
  return buildProtectedSchema<RecordsContext>({
    typeDefs: recordsTypeDefs(),
    resolvers: { DateTime, JSON: JSONValue, Purpose: PURPOSE_ENUM, Query: { auditEvents, myData }, Mutation: { eraseMyData } },
    permissions,
  });
}

/** What the engine calls for a `records` fetch: the request, with the gateway's context. */
export type RecordsExecutor = (request: { query: string; variables?: Record<string, unknown>; operationName?: string | null }, context: GatewayContext) => Promise<{ data?: Record<string, unknown> | null; errors?: GraphQLFormattedError[] }>;

/** Every field coordinate (`Type.field`) of the object types and interfaces of a schema's SDL (a supergraph's: @inaccessible fields too). */
export function schemaFields(sdl: string): Set<string> {
  const fields = new Set<string>();
  for (const definition of parse(sdl).definitions) {
    if (definition.kind !== Kind.OBJECT_TYPE_DEFINITION && definition.kind !== Kind.OBJECT_TYPE_EXTENSION && definition.kind !== Kind.INTERFACE_TYPE_DEFINITION && definition.kind !== Kind.INTERFACE_TYPE_EXTENSION) continue;
    for (const field of definition.fields ?? []) fields.add(`${definition.name.value}.${field.name.value}`);
  }
  return fields;
}

export interface RecordsExecutorOptions {
  /**
   * The supergraph the gateway runs: a reviewer's `field` filter must name one of its fields
   * (records name fields by their coordinate in it). Without it, only a coordinate's shape is checked.
   */
  supergraphSdl?: string;
}

export function createRecordsExecutor(stores: RecordStores, options: RecordsExecutorOptions = {}): RecordsExecutor {
  const schema = recordsSchema();
  // Read at the first request, not here: the gateway reports a supergraph it cannot load when it
  // starts (as a configuration error), which is after this executor is made.
  let fields: Set<string> | undefined;
  return async (request, context) => {
    if (options.supergraphSdl !== undefined) fields ??= schemaFields(options.supergraphSdl);
    const contextValue: RecordsContext = { ...context, stores, now: new Date(), problems: [], fields };
    const result = await graphql({ schema, source: request.query, variableValues: request.variables, operationName: request.operationName, contextValue });
    const errors = [...(result.errors ?? []).map((e) => e.toJSON()), ...contextValue.problems];
    return errors.length ? { data: result.data as Record<string, unknown> | null, errors } : { data: result.data as Record<string, unknown> };
  };
}
