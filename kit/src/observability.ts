// What every service does around each GraphQL request it serves, so that its log lines, metrics and
// spans agree: a request scope (AsyncLocalStorage) holding the request's child logger, which gets
// the request id (and the caller's pseudonym and client app) as soon as the service knows them
// (the gateway mints the id; a subgraph reads it from the gateway's token), so that every line
// logged while serving the request carries them without passing a logger around; a server span;
// and, when the answer is sent, the request's count, latency and one access line.
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SpanStatusCode } from '@opentelemetry/api';
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import type { EnvReader } from './config.ts';
import type { Identity } from './identity.ts';
import { createLogger, readLogLevel, type Logger, type LogLevel } from './log.ts';
import { createServiceMetrics, type ServiceMetrics } from './metrics.ts';
import { pseudonym, PSEUDONYM_KEY_ENV } from './pseudonym.ts';
import { annotateSpan, inServerSpan, readTracingConfig, type TracingConfig } from './tracing.ts';

/** What every service reads from its environment for logs and traces (metrics need nothing). */
export interface ObservabilityConfig {
  logLevel: LogLevel;
  tracing: TracingConfig;
}

export function readObservabilityConfig(r: EnvReader): ObservabilityConfig {
  r.secret(PSEUDONYM_KEY_ENV); // read by pseudonym.ts; validated here with the rest
  return { logLevel: readLogLevel(r), tracing: readTracingConfig(r) };
}

export interface Observability {
  /** The name in log lines, metrics' `service` label and spans. */
  service: string;
  log: Logger;
  metrics: ServiceMetrics;
  /** Subgraphs continue the gateway's trace (`traceparent`); the gateway starts one per client request. */
  continueTrace: boolean;
  /**
   * The gateway gives each request its id as it arrives (so that even a body refused before any
   * GraphQL is read logs it) and tells the client (`x-request-id`), for support to find the lines.
   */
  assignRequestIds?: boolean;
}

export function createObservability(
  service: string,
  options: { log?: Logger; level?: LogLevel; operationLabel: (name: unknown) => string; continueTrace: boolean; assignRequestIds?: boolean },
): Observability {
  return {
    service,
    log: options.log ?? createLogger(service, { level: options.level }),
    metrics: createServiceMetrics(service, options.operationLabel),
    continueTrace: options.continueTrace,
    assignRequestIds: options.assignRequestIds,
  };
}

interface RequestScope {
  base: Logger;
  log: Logger;
  /** Given as the request arrived (gateway), else unset until the service knows it. */
  requestId?: string;
  /** A subgraph's request: the gateway's label of the client's operation (its internal token). */
  label?: string;
  /** The operation Apollo resolved; else the name the request sent (refused before Apollo saw it). */
  operation?: string | null;
  sentOperation?: unknown;
}

const scopes = new AsyncLocalStorage<RequestScope>();
let processLog: Logger | undefined;

/** The logger of the request being served (with its id), else `fallback`, else a process-wide one. */
export function requestLog(fallback?: Logger): Logger {
  return scopes.getStore()?.log ?? fallback ?? (processLog ??= createLogger(undefined));
}

/** The id given to the request being served as it arrived (the gateway's), if any. */
export function currentRequestId(): string | undefined {
  return scopes.getStore()?.requestId;
}

/** From now on, this request's lines (and span) carry its id, the caller's pseudonym and client app. */
export function identifyRequest(requestId: string, identity?: Identity): void {
  const user = identity?.sub ? pseudonym(identity.sub) : undefined;
  annotateSpan({ 'consent.request_id': requestId, ...(user ? { 'enduser.pseudo.id': user } : {}) });
  const scope = scopes.getStore();
  if (scope) scope.log = scope.base.child({ requestId, ...(user ? { user } : {}), ...(identity?.client ? { client: identity.client } : {}) });
}

/**
 * A subgraph labels a request by the gateway's label of the client's operation (carried in the
 * gateway's token), not by the names inside the query planner's operations, which the client
 * chooses: so every service labels one client operation alike, from the gateway's bounded set.
 */
export function labelRequest(label: string | undefined): void {
  const scope = scopes.getStore();
  if (scope && label) scope.label = label;
}

/** The operation name a request sent (before Apollo resolves it, or if it never does). */
export function noteSentOperation(name: unknown): void {
  const scope = scopes.getStore();
  if (scope) scope.sentOperation = name;
}

/**
 * Serves one GraphQL request inside its scope and server span, then counts and times it and writes
 * its access line (status, duration, operation label: nothing the caller sent but that bounded name).
 * With `graphql: false` (a POST route such as the kit's records routes), the same scope, span and
 * access line (with the route's path), counted and timed by route (http_route_requests_total)
 * instead of in graphql_requests_total. `path` is then one of the service's routes: a fixed set.
 */
export function observeRequest(o: Observability, req: IncomingMessage, res: ServerResponse, path: string, serve: () => Promise<void>, options: { graphql?: boolean } = {}): Promise<void> {
  const graphql = options.graphql ?? true;
  const started = performance.now();
  const scope: RequestScope = { base: o.log, log: o.log };
  if (o.assignRequestIds) {
    scope.requestId = randomUUID();
    scope.log = o.log.child({ requestId: scope.requestId });
    res.setHeader('x-request-id', scope.requestId);
  }
  return scopes.run(scope, () =>
    inServerSpan(req, path, { service: o.service, continueTrace: o.continueTrace }, async (span) => {
      try {
        await serve();
      } finally {
        const status = res.statusCode;
        const seconds = (performance.now() - started) / 1000;
        const operation = o.metrics.operationLabel(scope.label ?? scope.operation ?? scope.sentOperation);
        if (graphql) o.metrics.request(operation, status, seconds);
        else o.metrics.routeRequest(path, status, seconds);
        span.setAttributes({ 'http.response.status_code': status, 'graphql.operation.name': operation });
        if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        scope.log.info({ status, durationMs: Math.round(seconds * 10_000) / 10, operation, ...(graphql ? {} : { path }) }, 'request');
      }
    }),
  );
}

/** Tells the request scope which operation Apollo resolved, and counts the response's errors by code. */
export function observabilityPlugin<Ctx extends BaseContext>(metrics: ServiceMetrics): ApolloServerPlugin<Ctx> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operationName }) {
          const scope = scopes.getStore();
          if (scope) scope.operation = operationName;
        },
        async willSendResponse({ response }) {
          if (response.body.kind === 'single') metrics.errors((response.body.singleResult.errors ?? []).map((e) => e.extensions?.code));
        },
      };
    },
  };
}
