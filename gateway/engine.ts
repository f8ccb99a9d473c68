// The execution engine, behind one small module: today Apollo Gateway over a supergraph file
// composed at build time. Swapping in a faster engine means replacing this file only; the rest
// of the gateway sees `createEngine` and `subgraphUrls`. The `bank-account` subgraph is not one
// service: its fetches go to the bank router (engine-agnostic, bank-router/router.ts), and each
// query plan is changed once so that a request's fetches to one bank run side by side and go as
// one call (bank-fetch-plan.ts); the `records` subgraph is answered by the gateway itself
// (records/index.ts).
import { ApolloGateway, RemoteGraphQLDataSource, type GraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { ApolloServerOptionsWithGateway } from '@apollo/server';
import { Kind, isScalarType, type GraphQLSchema } from 'graphql';
import { BANK_SUBGRAPH } from '@consent-gateway/kit/bank-policy';
import type { OperationRef } from '@consent-gateway/kit/audit';
import type { Identity } from '@consent-gateway/kit/identity';
import { requestLog } from '@consent-gateway/kit/observability';
import { parseDateTime } from '@consent-gateway/kit/scalars';
import { traceHeaders } from '@consent-gateway/kit/tracing';
import { joinEntityFetches, type PlanNode } from './bank-fetch-plan.ts';
import type { BankRouter } from './bank-router/router.ts';
import type { ObserveCall } from './observed-calls.ts';
import { RECORDS_SUBGRAPH, type RecordsExecutor } from './records/index.ts';
import { asSubgraphFailure, failedFetchResult, type SubgraphPool } from './subgraph-fetch.ts';

export interface GatewayContext {
  identity: Identity;
  requestId: string;
  /** The client's operation, once the request gate has read it (its name and document hash go into every internal token). */
  operation?: OperationRef;
  /** On a reference check only: the conversation's user (kit internal-token.ts, `referenceFor`). */
  referenceFor?: string;
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
    pool: SubgraphPool,
    private readonly observeCall: ObserveCall,
  ) {
    // Our pool instead of the default fetcher (make-fetch-happen): bounded, with a deadline, and
    // it follows no proxy settings from the environment.
    super({ url, fetcher: pool.fetch });
  }

  // Client headers are never forwarded: the subgraph learns who is asking from our token alone.
  override async willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<void> {
    if (!('identity' in context)) throw new Error('gateway context without an identity');
    request.http!.headers.set('authorization', `Bearer ${await this.mint(context as GatewayContext, this.subgraph)}`);
    for (const [name, value] of Object.entries(traceHeaders())) request.http!.headers.set(name, value);
  }

  // A failed call becomes errors at the paths it would have filled, naming the service; the
  // cause (addresses, status lines) goes to the log, with the request id.
  override async process(options: GraphQLDataSourceProcessOptions<GatewayContext>): ReturnType<RemoteGraphQLDataSource<GatewayContext>['process']> {
    try {
      return await this.observeCall({ subgraph: this.subgraph }, () => super.process(options));
    } catch (error) {
      const failure = asSubgraphFailure(error, this.subgraph);
      requestLog().error({ subgraph: this.subgraph, code: failure.code }, `subgraph call failed: ${failure.message}`);
      const document = 'document' in options ? options.document : undefined;
      return failedFetchResult(failure, document ?? options.request.query ?? '', options.request.variables);
    }
  }
}

/** A subgraph the gateway answers in-process, as Apollo Gateway's data source: the bank router for `bank-account`, the records fan-out for `records`. */
class InProcessDataSource implements GraphQLDataSource<GatewayContext> {
  constructor(private readonly route: BankRouter | RecordsExecutor) {}

  async process(options: GraphQLDataSourceProcessOptions<GatewayContext>) {
    // Health checks and schema loading never come here: the supergraph is static, banks have /ready.
    if (!('incomingRequestContext' in options)) return { errors: [{ message: 'this subgraph serves operations only' }] };
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

export interface EngineOptions {
  supergraphSdl: string;
  urls: Record<string, string>;
  mint: MintToken;
  /** One connection pool (with its timeout) per platform subgraph name. */
  pools: ReadonlyMap<string, SubgraphPool>;
  /** Where the fetches for `bank-account` go: each bank, by the data it concerns. */
  bankRouter: BankRouter;
  /** Where the fetches for `records` go: every subgraph's and bank's records routes. */
  records: RecordsExecutor;
  /** Receives the client-facing schema whenever it is loaded. */
  onSchema?: (apiSchema: GraphQLSchema) => void;
  /** Wraps every platform subgraph call (span, metrics); banks are observed by the bank router's caller. */
  observeCall?: ObserveCall;
}

const unobserved: ObserveCall = (_target, call) => call();

export function createEngine(options: EngineOptions): Engine {
  const joinedPlans = new WeakSet<object>();
  // @apollo/gateway sends usage metrics to Apollo and probes cloud metadata addresses from its
  // constructor unless this is set (dist/index.js, createDataCollectionExporter). No outbound
  // call the operator did not configure: set here, in code, before any gateway is built.
  process.env.APOLLO_TELEMETRY_DISABLED = 'true';
  const gateway = new ApolloGateway({
    supergraphSdl: options.supergraphSdl,
    // On by default outside NODE_ENV=production: any caller sending `Apollo-Query-Plan-Experimental`
    // would get the query plan (subgraph names, their operations) in `extensions`.
    __exposeQueryPlanExperimental: false,
    // Called with every plan before it runs (plans are cached: each is changed once, in place).
    experimental_didResolveQueryPlan: ({ queryPlan }) => {
      if (joinedPlans.has(queryPlan)) return;
      joinEntityFetches(queryPlan as { node?: PlanNode }, BANK_SUBGRAPH);
      joinedPlans.add(queryPlan);
    },
    buildService: ({ name, url }) => {
      if (name === BANK_SUBGRAPH) return new InProcessDataSource(options.bankRouter);
      if (name === RECORDS_SUBGRAPH) return new InProcessDataSource(options.records);
      const pool = options.pools.get(name);
      if (!pool) throw new Error(`no connection pool for subgraph "${name}"`);
      return new InternalTokenDataSource(name, options.urls[name] ?? url!, options.mint, pool, options.observeCall ?? unobserved);
    },
  });
  gateway.onSchemaLoadOrUpdate(({ apiSchema }) => {
    withEdgeScalars(apiSchema);
    options.onSchema?.(apiSchema);
  });
  // @apollo/gateway 2.x implements the gateway interface v1, @apollo/server 5 types v2; the
  // methods ApolloServer calls (load, stop, onSchemaLoadOrUpdate) are the same in both.
  return gateway as unknown as Engine;
}
