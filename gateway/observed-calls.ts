// The gateway's own metrics, and every call it makes to a platform subgraph or a bank observed the
// same way: a client span (the call carries its `traceparent`), a count by outcome and a latency by
// subgraph and bank, and a debug line with the request id. Labels are bounded: subgraphs come from
// the supergraph, banks from the operator's registry, outcomes and refusal kinds are fixed words.
import { Counter, Histogram, type Registry } from 'prom-client';
import { auditFlushFailures } from '@consent-gateway/kit/metrics';
import { requestLog } from '@consent-gateway/kit/observability';
import { inClientSpan } from '@consent-gateway/kit/tracing';
import type { RateLimitKind } from './rate-limit.ts';

export type CallOutcome = 'ok' | 'errors' | 'unavailable' | 'timeout';

export interface CallTarget {
  subgraph: string;
  bank?: string;
  /** A route beside the GraphQL endpoint (the records routes, `/records/...`): in the span, not in the metrics' labels. */
  path?: string;
}

/** Runs one call observed; a thrown SubgraphCallError / BankCallError is a timeout or an unavailable service. */
export type ObserveCall = <T extends { errors?: readonly unknown[] | null }>(target: CallTarget, call: () => Promise<T>) => Promise<T>;

const outcomeOfFailure = (error: unknown): CallOutcome => ((error as { code?: unknown })?.code === 'SUBGRAPH_TIMEOUT' ? 'timeout' : 'unavailable');

export function gatewayMetrics(registry: Registry) {
  const calls = new Counter({
    name: 'gateway_subgraph_calls_total',
    help: 'Calls from the gateway to subgraphs and banks, by outcome (ok, errors: an answer with GraphQL errors, unavailable, timeout)',
    labelNames: ['subgraph', 'bank', 'outcome'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'gateway_subgraph_call_duration_seconds',
    help: 'Time of one call from the gateway to a subgraph or bank',
    labelNames: ['subgraph', 'bank'],
    registers: [registry],
  });
  const refusals = new Counter({ name: 'gateway_rate_limit_refusals_total', help: 'Requests refused by a rate limit, by bucket kind', labelNames: ['kind'], registers: [registry] });
  const connectionsRefused = new Counter({
    name: 'gateway_connections_refused_total',
    help: 'Connections closed before any request was read, for the connection limits (per-address: GATEWAY_MAX_CONNECTIONS_PER_ADDRESS; total: GATEWAY_MAX_CONNECTIONS)',
    labelNames: ['reason'],
    registers: [registry],
  });
  // As every subgraph counts it: the gateway has decision records written too (by user-profile).
  const auditFlushFailed = auditFlushFailures(registry);

  const observeCall: ObserveCall = (target, call) => {
    const labels = { subgraph: target.subgraph, bank: target.bank ?? '' };
    const name = target.bank ? `POST bank ${target.bank}` : `POST ${target.subgraph}`;
    const attributes = { 'http.request.method': 'POST', 'consent.subgraph': target.subgraph, ...(target.bank ? { 'consent.bank': target.bank } : {}), ...(target.path ? { 'url.path': target.path } : {}) };
    return inClientSpan(name, attributes, async (span) => {
      const started = performance.now();
      let outcome: CallOutcome = 'unavailable';
      try {
        const result = await call();
        outcome = result.errors?.length ? 'errors' : 'ok';
        return result;
      } catch (error) {
        outcome = outcomeOfFailure(error);
        throw error;
      } finally {
        const seconds = (performance.now() - started) / 1000;
        calls.inc({ ...labels, outcome });
        duration.observe(labels, seconds);
        span.setAttribute('consent.call.outcome', outcome);
        requestLog().debug({ ...target, outcome, durationMs: Math.round(seconds * 10_000) / 10 }, 'subgraph call');
      }
    });
  };

  return {
    observeCall,
    rateLimited: (kind: RateLimitKind) => refusals.inc({ kind }),
    connectionRefused: (reason: 'per-address' | 'total') => connectionsRefused.inc({ reason }),
    auditFlushFailed,
  };
}
