// The execution engine, behind one small module: today Apollo Gateway over a supergraph file
// composed at build time. Swapping in a faster engine means replacing this file only; the rest
// of the gateway sees `createEngine` and `subgraphUrls`. The `bank-account` subgraph is not one
// service: its fetches go to the bank router (engine-agnostic, bank-router/router.ts).
import { ApolloGateway, RemoteGraphQLDataSource, type GraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { ApolloServerOptionsWithGateway } from '@apollo/server';
import { Kind, isScalarType, type GraphQLSchema } from 'graphql';
import { BANK_SUBGRAPH } from '@consent-gateway/kit/bank-policy';
import type { Identity } from '@consent-gateway/kit/identity';
import { parseDateTime } from '@consent-gateway/kit/scalars';
import type { BankRouter } from './bank-router/router.ts';

export interface GatewayContext {
  identity: Identity;
  requestId: string;
}

/** Mints the internal token for one subgraph call (audience = the subgraph's name, or `bank:<id>`). */
export type MintToken = (context: GatewayContext, audience: string) => Promise<string>;

/** The subgraphs a supergraph names, with their routing URLs. */
export function subgraphUrls(supergraphSdl: string): Record<string, string> {
  const urls: Record<string, string> = {};
  for (const match of supergraphSdl.matchAll(/@join__graph\(name:\s*"([^"]+)",\s*url:\s*"([^"]*)"\)/g)) urls[match[1]!] = match[2]!;
  return urls;
}

class InternalTokenDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  constructor(
    private readonly subgraph: string,
    url: string,
    private readonly mint: MintToken,
  ) {
    super({ url });
  }

  // Client headers are never forwarded: the subgraph learns who is asking from our token alone.
  override async willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<void> {
    if (!('identity' in context)) throw new Error('gateway context without an identity');
    request.http!.headers.set('authorization', `Bearer ${await this.mint(context as GatewayContext, this.subgraph)}`);
  }
}

/** The bank router as Apollo Gateway's data source for `bank-account`. */
class BankRouterDataSource implements GraphQLDataSource<GatewayContext> {
  constructor(private readonly route: BankRouter) {}

  async process(options: GraphQLDataSourceProcessOptions<GatewayContext>) {
    // Health checks and schema loading never come here: the supergraph is static, banks have /ready.
    if (!('incomingRequestContext' in options)) return { errors: [{ message: 'the bank router serves operations only' }] };
    const { query, variables, operationName } = options.request;
    return this.route({ query: query!, variables, operationName }, options.context as GatewayContext);
  }
}

/**
 * The supergraph only names custom scalars; give them their real parsing at the edge so a bad
 * value is refused before any subgraph is called (a bad literal fails validation, a bad
 * variable is BAD_USER_INPUT), instead of surfacing as a subgraph failure.
 */
function withEdgeScalars(schema: GraphQLSchema): void {
  const type = schema.getType('DateTime');
  if (!isScalarType(type)) return;
  type.parseValue = parseDateTime;
  type.parseLiteral = (ast) => parseDateTime(ast.kind === Kind.STRING ? ast.value : undefined);
}

/** What ApolloServer accepts as `gateway`; named from @apollo/server so no transitive package is imported. */
export type Engine = ApolloServerOptionsWithGateway<GatewayContext>['gateway'];

export function createEngine(options: { supergraphSdl: string; urls: Record<string, string>; mint: MintToken; bankRouter: BankRouter }): Engine {
  const gateway = new ApolloGateway({
    supergraphSdl: options.supergraphSdl,
    buildService: ({ name, url }) =>
      name === BANK_SUBGRAPH ? new BankRouterDataSource(options.bankRouter) : new InternalTokenDataSource(name, options.urls[name] ?? url!, options.mint),
  });
  gateway.onSchemaLoadOrUpdate(({ apiSchema }) => withEdgeScalars(apiSchema));
  // @apollo/gateway 2.x implements the gateway interface v1, @apollo/server 5 types v2; the
  // methods ApolloServer calls (load, stop, onSchemaLoadOrUpdate) are the same in both.
  return gateway as unknown as Engine;
}
