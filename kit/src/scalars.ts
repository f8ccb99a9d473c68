// DateTime: UTC ISO-8601 strings in and out. Inputs are normalised (so that stored strings sort
// as times) and anything unparseable is a clear BAD_USER_INPUT.
import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';

export function parseDateTime(value: unknown): string {
  if (typeof value !== 'string' || Number.isNaN(Date.parse(value))) {
    throw new GraphQLError(`DateTime must be an ISO-8601 date-time string, got ${JSON.stringify(value)}`, {
      extensions: { code: 'BAD_USER_INPUT' },
    });
  }
  return new Date(value).toISOString();
}

export const DateTime = new GraphQLScalarType({
  name: 'DateTime',
  description: 'A UTC date-time as an ISO-8601 string.',
  serialize: (value) => (value instanceof Date ? value.toISOString() : String(value)),
  parseValue: parseDateTime,
  parseLiteral: (ast) => parseDateTime(ast.kind === Kind.STRING ? ast.value : undefined),
});
