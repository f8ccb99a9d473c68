// Who may read the schema out of error messages. GraphQL's validation and variable coercion name
// what the schema has ('Field "GrantConsentInput.bankId" of required type "ID!" was not
// provided', '...of type "User" must have a selection'): as good as introspection. So they are
// for the callers who may introspect (signed in, where INTROSPECTION=authenticated) and for
// development (NODE_ENV=development); anyone else gets the same refusal, code and position, in
// words that name nothing the caller did not write. (Suggestions are gone for everyone outside
// development: kit create-subgraph.ts, withoutSuggestions.)
import type { ApolloServerPlugin } from '@apollo/server';
import type { GraphQLFormattedError } from 'graphql';
import type { IntrospectionPolicy } from './config.ts';
import type { GatewayContext } from './engine.ts';

export const SCHEMA_HIDDEN = 'The operation does not fit this graph (its schema is shown only to signed-in callers where introspection is enabled).';

/** The same error, in words that name nothing of the schema. */
export function withoutSchemaDetails(error: GraphQLFormattedError): GraphQLFormattedError {
  const code = error.extensions?.code;
  if (code === 'GRAPHQL_VALIDATION_FAILED') return { ...error, message: SCHEMA_HIDDEN };
  const variable = code === 'BAD_USER_INPUT' ? /^Variable "\$([_A-Za-z][_0-9A-Za-z]*)"/.exec(error.message) : null;
  if (variable) return { ...error, message: `Variable "$${variable[1]}" got a value its declared type does not accept.` };
  return error;
}

/** Whether this caller may read the schema (and so the consent policy) out of error messages: who may introspect, or anyone in development. */
export function schemaReaders(options: { introspection: IntrospectionPolicy; exposeErrors: boolean }): (context: Pick<GatewayContext, 'identity'> | undefined) => boolean {
  return (context) => options.exposeErrors || (options.introspection === 'authenticated' && Boolean(context?.identity?.sub));
}

export function schemaDisclosure(options: { introspection: IntrospectionPolicy; exposeErrors: boolean }): ApolloServerPlugin<GatewayContext> {
  const mayRead = schemaReaders(options);
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response, contextValue }) {
          if (response.body.kind !== 'single' || !response.body.singleResult.errors || mayRead(contextValue)) return;
          response.body.singleResult.errors = response.body.singleResult.errors.map(withoutSchemaDetails);
        },
      };
    },
  };
}
