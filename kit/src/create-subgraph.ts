// createSubgraph: what every subgraph (and a partner bank's own) is built with. SDL + thin
// resolvers + a permission map in; out comes an HTTP handler that refuses any request without
// a valid gateway token, runs graphql-shield deny-by-default, and flushes the decision audit
// buffer once per request into the subgraph's records (linked into this process's hash chain).
// It also serves the records routes (records-routes.ts): the reviewers' reads of those records,
// and a person's export and erasure, so every subgraph and every bank built with the kit has them.
import type { IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { defaultFieldResolver, GraphQLError, type DocumentNode, type GraphQLFieldResolver, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import { allow, deny, type IRules } from './shield.ts';
import { applyPermissions } from './permission-middleware.ts';
import { DecisionRecorder, type AuditSink, type AuditStore } from './audit.ts';
import { chainedSink, newChainId, pseudonymizer } from './audit-chain.ts';
import { checkDeadline, DEADLINE_EXCEEDED, DEADLINE_MESSAGE, type KitContext } from './context.ts';
import type { Identity } from './identity.ts';
import { createHandler, HttpError, listen, mayShowDetails, type Listening, type Route } from './http.ts';
import { gatewayClaims, pastDeadline, type GatewayKeys } from './internal-token.ts';
import type { Logger, LogLevel } from './log.ts';
import { decisionMetrics, metricsRoute, operationLabels } from './metrics.ts';
import { createObservability, identifyRequest, labelRequest, observabilityPlugin, requestLog } from './observability.ts';
import { recordsRoutes, type DataSubjectAdapter } from './records-routes.ts';
import { vendorReportingOff } from './vendor-reporting.ts';

export type Resolvers<Ctx> = GraphQLResolverMap<Ctx>;
export type PermissionMap = IRules;

export interface SubgraphDefinition<Ctx extends KitContext> {
  /** The subgraph's name in the supergraph (and in its decision records). */
  name: string;
  /** The audience the gateway's internal token must carry: the name unless set (a bank: `bank:<id>`). */
  audience?: string;
  /** Extra fields for the /health and /ready answers (e.g. which bank this is). */
  info?: Record<string, string>;
  typeDefs: DocumentNode;
  resolvers: Resolvers<Ctx>;
  /** The authorization table: every type and field that is not plainly public has a rule. */
  permissions: PermissionMap;
  /** Adds the subgraph's per-request DataLoaders to the kit's context. */
  extendContext: (base: KitContext) => Ctx;
}

export interface SubgraphRuntime {
  /** Where the decision records go (one write per request) and are read back from. */
  audit: AuditStore;
  /**
   * This store's audit key (a secret of at least 32 characters, from configuration): user ids in
   * decision records are chained through their HMAC under it, so erasure keeps the chains intact.
   */
  auditKey: string | Buffer;
  /** What the subgraph holds about a person, for their export and erasure; without it, only the records. */
  dataSubject?: DataSubjectAdapter;
  /** The gateway's public key (several during a rotation), to verify its internal tokens. */
  gatewayKey: GatewayKeys;
  /** Resolves when what the subgraph needs (its database) answers; /ready reports a rejection. */
  ready: () => Promise<void>;
  /** Stack traces and unmasked internal errors; only in development. */
  exposeErrors?: boolean;
  /** Bearer token that shows /ready's details to a caller that is not on this machine. */
  operatorToken?: string;
  /** Sees every request the subgraph accepted (valid gateway token): a request log, or a test's. */
  onRequest?: (entry: RequestLogEntry) => void;
  /** The name in logs, metrics and spans: the subgraph's name, or `bank-<id>` for a bank. */
  service?: string;
  /** The service's logger (default: a new one at `logLevel`, else LOG_LEVEL). */
  log?: Logger;
  logLevel?: LogLevel;
}

/** Subgraphs see the client's operation names through the gateway's query plans: the first 100 valid ones get their own label. */
const SUBGRAPH_OPERATION_LABELS = 100;

/** One accepted request, as `onRequest` sees it. */
export interface RequestLogEntry {
  requestId: string;
  identity: Identity;
  query: string;
  variables: Record<string, unknown>;
  operationName?: string;
}

/** Federation's own entry points: `_entities` hands out representations, never field data. */
const FEDERATION_RULES = {
  Query: { _service: allow, _entities: allow },
  _Service: allow,
};

const FALLBACK_ERROR = new GraphQLError('Forbidden: no rule allows this field.', {
  extensions: { code: 'FORBIDDEN', reason: 'NO_RULE' },
});

function mergePermissions(permissions: PermissionMap, schema: GraphQLSchema): PermissionMap {
  const merged: Record<string, unknown> = { ...FEDERATION_RULES, ...permissions };
  const query = (permissions as Record<string, unknown>).Query;
  // `_entities` exists only in a subgraph that has entities.
  const federation = Object.fromEntries(Object.entries(FEDERATION_RULES.Query).filter(([field]) => schema.getQueryType()?.getFields()[field]));
  merged.Query = { ...federation, ...(typeof query === 'object' ? query : {}) };
  return merged as PermissionMap;
}

export function buildProtectedSchema<Ctx>(def: { typeDefs: DocumentNode; resolvers: Resolvers<Ctx>; permissions: PermissionMap }): GraphQLSchema {
  const schema = buildSubgraphSchema({ typeDefs: def.typeDefs, resolvers: def.resolvers as GraphQLResolverMap<unknown> });
  return withMutationDeadlines(
    applyPermissions(schema, mergePermissions(def.permissions, schema), {
      fallbackRule: deny, // deny by default: a field nobody wrote a rule for resolves for nobody
      fallbackError: FALLBACK_ERROR,
    }),
  );
}

/**
 * Each root mutation field checks the gateway's deadline (context.ts, `checkDeadline`) before
 * its rule and its resolver run: a request that waited (a paused process, a slow earlier field)
 * until the gateway stopped waiting writes nothing more. Outermost, so nothing of the field runs.
 */
function withMutationDeadlines(schema: GraphQLSchema): GraphQLSchema {
  for (const field of Object.values(schema.getMutationType()?.getFields() ?? {})) {
    const resolve: GraphQLFieldResolver<unknown, KitContext | undefined> = field.resolve ?? defaultFieldResolver;
    field.resolve = (source, args, ctx: KitContext | undefined, info) => {
      if (ctx) checkDeadline(ctx); // a schema executed without a context (no token) has no deadline
      return resolve(source, args, ctx, info);
    };
  }
  return schema;
}

/**
 * graphql-js suggests names it knows ("Did you mean "bankId"?", "...the enum value "BALANCES"?"),
 * in validation and in variable coercion alike: a way to read the schema without introspection.
 */
export function withoutSuggestions(message: string): string {
  return message.replace(/\s*Did you mean [^?]*\?/g, '');
}

/** This kit's version (its package.json, one directory up from src/ and from dist/ alike). */
export const KIT_VERSION: string = (createRequire(import.meta.url)('../package.json') as { version: string }).version;

/**
 * Unexpected errors are masked (no message, no stack), but say which service failed, so that a
 * frontend can tell what is missing: a subgraph names itself (`origin`: its name, and its bank),
 * and the gateway keeps the service a subgraph's error came from (`service`, or Apollo's
 * `serviceName`) and its `bank`.
 */
export function maskError(exposeErrors: boolean, origin?: { service: string; bank?: string }) {
  return (formatted: GraphQLFormattedError): GraphQLFormattedError => {
    if (exposeErrors) return formatted;
    const code = formatted.extensions?.code;
    if (!code || code === 'INTERNAL_SERVER_ERROR') {
      const from = formatted.extensions ?? {};
      const service = typeof from.service === 'string' ? from.service : typeof from.serviceName === 'string' ? from.serviceName : origin?.service;
      const bank = typeof from.bank === 'string' ? from.bank : origin?.bank;
      return {
        message: 'Internal server error',
        path: formatted.path,
        locations: formatted.locations,
        extensions: { code: 'INTERNAL_SERVER_ERROR', ...(service && { service }), ...(bank && { bank }) },
      };
    }
    const { stacktrace: _drop, ...extensions } = formatted.extensions ?? {};
    return { ...formatted, message: withoutSuggestions(formatted.message), extensions };
  };
}

/**
 * Flushes the request's decision records once, when the response goes out, and counts them
 * (consent_decisions_total) as they pass to the sink; the DecisionRecorder itself is untouched.
 */
function countedSink(sink: AuditSink, metrics: ReturnType<typeof decisionMetrics>): AuditSink {
  return {
    recordDecisions: async (records) => {
      metrics.count(records);
      await sink.recordDecisions(records);
    },
  };
}

function auditFlushPlugin(counted: AuditSink, metrics: ReturnType<typeof decisionMetrics>): ApolloServerPlugin<KitContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ contextValue }) {
          try {
            await contextValue.decisions.flush(counted);
          } catch (error) {
            // The response still goes out; the failure is loud in the logs, with the request id.
            metrics.flushFailed();
            requestLog().error({ err: error }, 'audit flush failed: decision records of this request were not written');
          }
        },
      };
    },
  };
}

function requestLogPlugin(onRequest: NonNullable<SubgraphRuntime['onRequest']>): ApolloServerPlugin<KitContext> {
  return {
    async requestDidStart({ request, contextValue }) {
      onRequest({
        requestId: contextValue.requestId,
        identity: contextValue.identity,
        query: request.query ?? '',
        variables: request.variables ?? {},
        operationName: request.operationName ?? undefined,
      });
    },
  };
}

export async function createSubgraph<Ctx extends KitContext>(def: SubgraphDefinition<Ctx>, runtime: SubgraphRuntime) {
  const exposeErrors = runtime.exposeErrors ?? false;
  const audience = def.audience ?? def.name;
  const schema = buildProtectedSchema(def);
  // A bank's records all name it (a grant's and a reviewer's read as much as a balance's).
  const bankId = def.info?.bank;
  const service = runtime.service ?? (bankId ? `bank-${bankId}` : def.name);
  const observe = createObservability(service, {
    log: runtime.log,
    level: runtime.logLevel,
    operationLabel: operationLabels({ extra: SUBGRAPH_OPERATION_LABELS }),
    continueTrace: true,
  });
  const pseudonym = pseudonymizer(runtime.auditKey);
  // One chain per process: replicas sharing the store never contend for a link.
  const decisionCounts = decisionMetrics(observe.metrics.registry);
  // Counted as they are written, the records routes' decisions as much as GraphQL's.
  const sink = countedSink(chainedSink(runtime.audit, { chain: newChainId(audience), pseudonym }), decisionCounts);
  const plugins = [
    auditFlushPlugin(sink, decisionCounts),
    observabilityPlugin<KitContext>(observe.metrics),
    ...(runtime.onRequest ? [requestLogPlugin(runtime.onRequest)] : []),
  ];
  const server = new ApolloServer<Ctx>({
    schema,
    // No inline traces: per-field timings of bank data are nobody's business outside this subgraph.
    // No landing page: Apollo's loads Apollo Sandbox from a CDN, and only the gateway talks to us.
    plugins: [...(plugins as ApolloServerPlugin<Ctx>[]), ApolloServerPluginInlineTraceDisabled(), ApolloServerPluginLandingPageDisabled(), ...vendorReportingOff<Ctx>()],
    includeStacktraceInErrorResponses: exposeErrors,
    hideSchemaDetailsFromClientErrors: !exposeErrors,
    formatError: maskError(exposeErrors, { service: def.name, bank: def.info?.bank }),
    // The process owns signal handling (stop everything in order); Apollo's own handlers race it.
    stopOnTerminationSignals: false,
  });
  await server.start();

  const context = async (req: IncomingMessage): Promise<Ctx> => {
    const claims = await gatewayClaims(req, audience, runtime.gatewayKey);
    identifyRequest(claims.requestId, claims.identity);
    labelRequest(claims.operationLabel);
    // The gateway has stopped waiting (a request that reached us late, or that we read late, after
    // a pause): its client was told the call failed, so nothing of it runs, a query's reads included.
    if (pastDeadline(claims.deadline)) {
      requestLog().warn({ code: DEADLINE_EXCEEDED, lateMs: Date.now() - claims.deadline! }, 'refused: the gateway had stopped waiting for this request');
      throw new HttpError(504, DEADLINE_MESSAGE, DEADLINE_EXCEEDED);
    }
    const base: KitContext = {
      subgraph: def.name,
      identity: claims.identity,
      requestId: claims.requestId,
      operation: claims.operation,
      referenceFor: claims.referenceFor,
      now: new Date(),
      deadline: claims.deadline,
      decisions: new DecisionRecorder(def.name, claims.identity, claims.requestId, claims.operation, bankId),
    };
    return def.extendContext(base);
  };

  // Which kit it runs: a kit release may add a check every bank must make (docs/partner-banks.md,
  // "Upgrading the kit"); the gateway's /ready shows it for every bank.
  const who = { subgraph: def.name, ...def.info, kit: KIT_VERSION };
  const routes: Record<string, Route> = {
    '/health': async () => ({ status: 200, body: { status: 'ok', ...who } }),
    // The database's error message may name hosts: details for this machine or an operator only.
    '/ready': async (req) => {
      const details = mayShowDetails(req, runtime.operatorToken);
      try {
        await runtime.ready();
        return { status: 200, body: details ? { status: 'ready', ...who, database: 'up' } : { status: 'ready' } };
      } catch (error) {
        return { status: 503, body: details ? { status: 'not ready', ...who, database: (error as Error).message } : { status: 'not ready' } };
      }
    },
    '/metrics': metricsRoute(observe.metrics.registry, runtime.operatorToken),
  };

  const postRoutes = recordsRoutes({ name: def.name, bankId, audience, gatewayKey: runtime.gatewayKey, store: runtime.audit, sink, pseudonym, dataSubject: runtime.dataSubject });

  return { name: def.name, schema, server, log: observe.log, handler: createHandler({ server, context, routes, postRoutes, observe }), stop: () => server.stop() };
}

export type Subgraph = Awaited<ReturnType<typeof createSubgraph>>;

export interface ListeningSubgraph extends Listening {
  /** Closes the server, then the subgraph. */
  stop(): Promise<void>;
}

/** Serves a subgraph on a port (0 picks a free one). */
export async function listenSubgraph(subgraph: Pick<Subgraph, 'handler' | 'stop'>, port: number, host?: string): Promise<ListeningSubgraph> {
  const listening = await listen(subgraph.handler, port, host);
  return {
    ...listening,
    stop: async () => {
      await listening.close();
      await subgraph.stop();
    },
  };
}
