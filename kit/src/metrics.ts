// Prometheus metrics (prom-client), served at GET /metrics by every service, each service with its
// own registry (the tests' in-process stack runs several services in one process) and a `service`
// label. Every label has a bounded set of values: an operation is labelled with its name only when
// that name is known (the gateway: the persisted operations) or among the first few valid names
// seen (subgraphs), anything else is `other`; error codes likewise; fields and reasons come from the
// schema and the policy. Nothing a caller sends can grow the number of series without limit.
// /metrics answers this machine or an operator only, like /ready's details.
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import type { AuditRecord } from './audit.ts';
import { HttpError, mayShowDetails, type Route } from './http.ts';

export const OTHER = 'other';
export const UNNAMED = 'unnamed';

/** A label function: the known values, then up to `extra` more that match `pattern`; anything else is `other`. */
export function boundedLabel(options: { known?: Iterable<string>; extra: number; pattern: RegExp }): (value: string) => string {
  const known = new Set(options.known ?? []);
  const seen = new Set<string>();
  return (value) => {
    if (known.has(value) || seen.has(value)) return value;
    if (seen.size >= options.extra || !options.pattern.test(value)) return OTHER;
    seen.add(value);
    return value;
  };
}

const GRAPHQL_NAME = /^[_A-Za-z][_0-9A-Za-z]{0,99}$/;
/** The query planner names a subgraph's operation `<client's name>__<subgraph>__<n>`. */
const PLANNER_SUFFIX = /__[_0-9A-Za-z]+__\d+$/;

/** Labels for operation names as clients sent them (`unnamed` without one). */
export function operationLabels(options: { known?: Iterable<string>; extra?: number }): (name: unknown) => string {
  const label = boundedLabel({ known: options.known, extra: options.extra ?? 0, pattern: GRAPHQL_NAME });
  return (name) => (typeof name === 'string' && name ? label(name.replace(PLANNER_SUFFIX, '')) : UNNAMED);
}

const errorCodeLabel = boundedLabel({ extra: 50, pattern: /^[A-Z][A-Z0-9_]{1,63}$/ });

export interface ServiceMetrics {
  readonly registry: Registry;
  /** The label of an operation name (bounded). */
  operationLabel(name: unknown): string;
  /** One GraphQL request answered, by operation label and HTTP status. */
  request(operation: string, status: number, seconds: number): void;
  /** One call of a POST route beside GraphQL (the kit's records routes) answered, by route (its path: a fixed set) and HTTP status. */
  routeRequest(route: string, status: number, seconds: number): void;
  /** The errors of one response, by `extensions.code`. */
  errors(codes: Iterable<unknown>): void;
}

export function createServiceMetrics(service: string, operationLabel: (name: unknown) => string): ServiceMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({ name: 'graphql_requests_total', help: 'GraphQL requests answered, by operation and HTTP status', labelNames: ['operation', 'status'], registers: [registry] });
  const duration = new Histogram({ name: 'graphql_request_duration_seconds', help: 'Time to answer a GraphQL request, by operation', labelNames: ['operation'], registers: [registry] });
  const errors = new Counter({ name: 'graphql_errors_total', help: 'Errors in GraphQL responses sent, by extensions.code', labelNames: ['code'], registers: [registry] });
  const routeRequests = new Counter({
    name: 'http_route_requests_total',
    help: 'Calls of the POST routes beside GraphQL (the records routes: reviewers\' reads, exports, erasures, refusals) answered, by route and HTTP status',
    labelNames: ['route', 'status'],
    registers: [registry],
  });
  const routeDuration = new Histogram({ name: 'http_route_request_duration_seconds', help: 'Time to answer a call of a POST route beside GraphQL, by route', labelNames: ['route'], registers: [registry] });
  return {
    registry,
    operationLabel,
    request(operation, status, seconds) {
      requests.inc({ operation, status: String(status) });
      duration.observe({ operation }, seconds);
    },
    routeRequest(route, status, seconds) {
      routeRequests.inc({ route, status: String(status) });
      routeDuration.observe({ route }, seconds);
    },
    errors(codes) {
      for (const code of codes) errors.inc({ code: typeof code === 'string' ? errorCodeLabel(code) : 'none' });
    },
  };
}

/** Requests whose decision records could not be written: every writer of records counts them under one name. */
export function auditFlushFailures(registry: Registry): () => void {
  const failures = new Counter({ name: 'audit_flush_failures_total', help: 'Requests whose decision records could not be written to the audit sink', registers: [registry] });
  return () => failures.inc();
}

/** What a subgraph counts about its consent decisions and their audit trail. */
export function decisionMetrics(registry: Registry) {
  const decisions = new Counter({
    name: 'consent_decisions_total',
    help: 'Decisions on protected fields, by field coordinate, outcome and reason (none for ALLOW)',
    labelNames: ['field', 'outcome', 'reason'],
    registers: [registry],
  });
  const flushFailed = auditFlushFailures(registry);
  return {
    /** Counts a request's flushed records (each stands for `count` identical decisions). */
    count(records: readonly AuditRecord[]) {
      for (const r of records) decisions.inc({ field: r.field, outcome: r.outcome, reason: r.reason ?? 'none' }, r.count);
    },
    flushFailed,
  };
}

/** GET /metrics in Prometheus' text format: for this machine or an operator (OPERATOR_TOKEN) only. */
export function metricsRoute(registry: Registry, operatorToken: string | undefined): Route {
  return async (req) => {
    if (!mayShowDetails(req, operatorToken)) throw new HttpError(403, 'metrics are for this machine or an operator (OPERATOR_TOKEN)', 'FORBIDDEN');
    return { status: 200, body: await registry.metrics(), contentType: registry.contentType };
  };
}
