// createSubgraph: what every subgraph (and a partner bank's own) is built with. SDL + thin
// resolvers + a permission map in; out comes an HTTP handler that refuses any request without
// a valid gateway token, runs graphql-shield deny-by-default, and flushes the decision audit
// buffer once per request into the subgraph's audit sink.
import type { IncomingMessage } from 'node:http';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { GraphQLError, type DocumentNode, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import { allow, deny, type IRules } from './shield.ts';
import { applyPermissions } from './permission-middleware.ts';
import type { CryptoKey, KeyObject } from 'jose';
import { DecisionRecorder, type AuditSink } from './audit.ts';
import type { KitContext } from './context.ts';
import type { Identity } from './identity.ts';
import { createHandler, HttpError, listen, mayShowDetails, type Listening, type Route } from './http.ts';
import { InternalTokenError, verifyInternalToken } from './internal-token.ts';
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
  /** Where the decision records of each request go (one call per request). */
  audit: AuditSink;
  /** The gateway's public key, to verify its internal tokens. */
  gatewayKey: CryptoKey | KeyObject;
  /** Resolves when what the subgraph needs (its database) answers; /ready reports a rejection. */
  ready: () => Promise<void>;
  /** Stack traces and unmasked internal errors; only in development. */
  exposeErrors?: boolean;
  /** Bearer token that shows /ready's details to a caller that is not on this machine. */
  operatorToken?: string;
  /** Sees every request the subgraph accepted (valid gateway token): a request log, or a test's. */
  onRequest?: (entry: RequestLogEntry) => void;
}

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

function mergePermissions(permissions: PermissionMap): PermissionMap {
  const merged: Record<string, unknown> = { ...FEDERATION_RULES, ...permissions };
  const query = (permissions as Record<string, unknown>).Query;
  merged.Query = { ...FEDERATION_RULES.Query, ...(typeof query === 'object' ? query : {}) };
  return merged as PermissionMap;
}

export function buildProtectedSchema<Ctx extends KitContext>(def: SubgraphDefinition<Ctx>): GraphQLSchema {
  const schema = buildSubgraphSchema({ typeDefs: def.typeDefs, resolvers: def.resolvers as GraphQLResolverMap<unknown> });
  return applyPermissions(schema, mergePermissions(def.permissions), {
    fallbackRule: deny, // deny by default: a field nobody wrote a rule for resolves for nobody
    fallbackError: FALLBACK_ERROR,
  });
}

/**
 * graphql-js suggests names it knows ("Did you mean "bankId"?", "...the enum value "BALANCES"?"),
 * in validation and in variable coercion alike: a way to read the schema without introspection.
 */
export function withoutSuggestions(message: string): string {
  return message.replace(/\s*Did you mean [^?]*\?/g, '');
}

export function maskError(exposeErrors: boolean) {
  return (formatted: GraphQLFormattedError): GraphQLFormattedError => {
    if (exposeErrors) return formatted;
    const code = formatted.extensions?.code;
    if (!code || code === 'INTERNAL_SERVER_ERROR') {
      return { message: 'Internal server error', path: formatted.path, locations: formatted.locations, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
    }
    const { stacktrace: _drop, ...extensions } = formatted.extensions ?? {};
    return { ...formatted, message: withoutSuggestions(formatted.message), extensions };
  };
}

function auditFlushPlugin(subgraph: string, sink: AuditSink): ApolloServerPlugin<KitContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ contextValue }) {
          try {
            await contextValue.decisions.flush(sink);
          } catch (error) {
            // The response still goes out; the failure is loud in the logs with the request id.
            console.error(`[${subgraph}] audit flush failed for request ${contextValue.requestId}:`, (error as Error).message);
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

function bearer(req: IncomingMessage): string {
  const header = req.headers.authorization;
  const match = header?.match(/^Bearer\s+(\S+)$/i);
  if (!match) throw new HttpError(401, 'this subgraph only answers the gateway: missing gateway token', 'UNAUTHENTICATED');
  return match[1]!;
}

export async function createSubgraph<Ctx extends KitContext>(def: SubgraphDefinition<Ctx>, runtime: SubgraphRuntime) {
  const exposeErrors = runtime.exposeErrors ?? false;
  const audience = def.audience ?? def.name;
  const schema = buildProtectedSchema(def);
  const plugins = [auditFlushPlugin(def.name, runtime.audit), ...(runtime.onRequest ? [requestLogPlugin(runtime.onRequest)] : [])];
  const server = new ApolloServer<Ctx>({
    schema,
    // No inline traces: per-field timings of bank data are nobody's business outside this subgraph.
    // No landing page: Apollo's loads Apollo Sandbox from a CDN, and only the gateway talks to us.
    plugins: [...(plugins as ApolloServerPlugin<Ctx>[]), ApolloServerPluginInlineTraceDisabled(), ApolloServerPluginLandingPageDisabled(), ...vendorReportingOff<Ctx>()],
    includeStacktraceInErrorResponses: exposeErrors,
    hideSchemaDetailsFromClientErrors: !exposeErrors,
    formatError: maskError(exposeErrors),
    // The process owns signal handling (stop everything in order); Apollo's own handlers race it.
    stopOnTerminationSignals: false,
  });
  await server.start();

  const context = async (req: IncomingMessage): Promise<Ctx> => {
    let claims;
    try {
      claims = await verifyInternalToken(bearer(req), audience, runtime.gatewayKey);
    } catch (error) {
      if (error instanceof InternalTokenError) throw new HttpError(401, error.message, 'UNAUTHENTICATED');
      throw error;
    }
    const base: KitContext = {
      subgraph: def.name,
      identity: claims.identity,
      requestId: claims.requestId,
      now: new Date(),
      decisions: new DecisionRecorder(def.name, claims.identity, claims.requestId),
    };
    return def.extendContext(base);
  };

  const who = { subgraph: def.name, ...def.info };
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
  };

  return { name: def.name, schema, server, handler: createHandler({ server, context, routes }), stop: () => server.stop() };
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
