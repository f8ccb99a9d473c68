// The stores the gateway asks for `auditEvents`, `myData` and `eraseMyData`: every platform
// subgraph (from the supergraph) and every bank of the registry, each through the records routes
// the kit serves (kit/src/records-routes.ts) with a token minted for that store alone. A store
// that does not answer is an outcome, not an exception: the caller says which one is missing.
// Every call is observed like any other call of the gateway's (observed-calls.ts): a client span
// whose `traceparent` the call carries (the store continues the trace), a count and a latency by
// subgraph and bank in gateway_subgraph_calls_total, a debug line with the request id.
// Calls go through a bounded keep-alive pool per store (gateway/subgraph-fetch.ts, like every
// subgraph and bank call): no redirect is ever followed (a 3xx is that store failing), an answer
// is read up to SUBGRAPH_MAX_RESPONSE_BYTES, and each token carries the call's deadline (`dl`),
// past which the store does no more of it.
import type { GraphQLFormattedError } from 'graphql';
import { besideGraphql } from '@consent-gateway/kit/http';
import { BANK_SUBGRAPH } from '@consent-gateway/kit/bank-policy';
import { bankAudience } from '@consent-gateway/kit/internal-token';
import { requestLog } from '@consent-gateway/kit/observability';
import { RECORDS_ROUTES } from '@consent-gateway/kit/records-routes';
import { traceHeaders } from '@consent-gateway/kit/tracing';
import type { BankRegistry } from '../bank-registry.ts';
import { mapLimit } from '../bank-router/calls.ts';
import type { GatewayContext } from '../engine.ts';
import type { ObserveCall } from '../observed-calls.ts';
import { createSubgraphPool, isDeadlineRefusal, SubgraphCallError, type SubgraphPool } from '../subgraph-fetch.ts';

export interface RecordStore {
  /** How answers and errors name it: the subgraph's name, or `bank:<id>`. */
  label: string;
  /** The subgraph name the error extensions carry (`bank-account` for every bank). */
  service: string;
  bank?: string;
  audience: string;
  /** Its GraphQL endpoint; the records routes are beside it (`records/...`, see besideGraphql). */
  url: string;
  /** Deadline of a reviewer's read (its ordinary call deadline). */
  timeoutMs: number;
}

export type StoreFailure = 'SUBGRAPH_UNAVAILABLE' | 'SUBGRAPH_TIMEOUT';

/**
 * A store's answer: its body; or a failure (it did not answer, or not as a store does); or a
 * refusal, a 4xx with the store's error code (BAD_USER_INPUT: what it was asked is wrong, the
 * caller's mistake and not an outage).
 */
export type StoreAnswer<T> =
  | { store: RecordStore; body: T; failure?: undefined; refusal?: undefined }
  | { store: RecordStore; body?: undefined; failure: StoreFailure; refusal?: undefined }
  | { store: RecordStore; body?: undefined; failure?: undefined; refusal: { status: number; code: string } };

export interface RecordStores {
  /** Every store; with `bankId`, the platform's subgraphs and that bank only. */
  select(bankId?: string): RecordStore[];
  /** POSTs `body` to `route` of each store (at most `concurrency` at once), answers in order. */
  ask<T>(stores: readonly RecordStore[], route: string, body: unknown, context: GatewayContext): Promise<Array<StoreAnswer<T>>>;
  /**
   * Has the store that keeps the gateway's own decisions (user-profile) record the gateway's
   * refusal of `field` to this request's viewer; it decides again, with the same rule, and reads
   * nothing. Resolves when written; a failure is counted and logged (the refusal still goes out).
   */
  recordRefusal(field: string, context: GatewayContext): Promise<void>;
  /** Closes every store's pooled connections. */
  close(): void;
}

/** Mints the token of one records call: for `audience`, with the call's deadline (`dl`, epoch ms). */
export type MintRecordsToken = (context: GatewayContext, audience: string, deadline: number) => Promise<string>;

export interface RecordStoresOptions {
  /** The platform subgraphs' GraphQL endpoints, by name. */
  subgraphs: Record<string, string>;
  registry: () => BankRegistry;
  mint: MintRecordsToken;
  subgraphTimeoutMs: number;
  bankTimeoutMs: number;
  /** For export and erasure, which may read or rewrite many rows. */
  dataSubjectTimeoutMs: number;
  concurrency: number;
  /** Keep-alive connections per store (SUBGRAPH_MAX_CONNECTIONS; default 32). */
  maxConnections?: number;
  /**
   * The largest answer read from a store (SUBGRAPH_MAX_RESPONSE_BYTES; default 10 MB), an export's
   * part included: a larger one fails that store's part, named. The kit keeps an export's part
   * under it (records-routes.ts, EXPORT_MAX_DECISION_RECORDS).
   */
  maxResponseBytes?: number;
  log?: (line: string) => void;
  /** Observes each call (span, count, latency), as every other call of the gateway's; unobserved without. */
  observeCall?: ObserveCall;
  /** The store that records the gateway's own refusals: user-profile, which keeps its other decisions. */
  keeper?: string;
  /** A refusal could not be recorded (audit_flush_failures_total). */
  onRecordFailure?: () => void;
}

export const storeLabel = (bankId: string) => `bank:${bankId}`;

/** The store that keeps the decisions the gateway makes itself (its refusals, its answers for users without a bank): user-profile, the directory's keeper. */
export const GATEWAY_DECISIONS_KEEPER = 'user-profile';

/** A call that brought no answer a store gives: a timeout, a transport failure, a 5xx or a body that is not one. */
class StoreCallError extends Error {
  constructor(
    readonly code: StoreFailure,
    message: string,
  ) {
    super(message);
  }
}

type Answered = { body: unknown; errors?: undefined; refusal?: undefined } | { body?: undefined; errors: unknown[]; refusal: { status: number; code: string } };

const unobserved: ObserveCall = (_target, call) => call();

export function recordStores(options: RecordStoresOptions): RecordStores {
  const log = options.log ?? (() => {});
  const observe = options.observeCall ?? unobserved;
  const keeper = options.keeper ?? GATEWAY_DECISIONS_KEEPER;
  const platform: RecordStore[] = Object.entries(options.subgraphs)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, url]) => ({ label: name, service: name, audience: name, url, timeoutMs: options.subgraphTimeoutMs }));
  const banks = (registry: BankRegistry, only?: string): RecordStore[] =>
    registry.banks
      .filter((b) => only === undefined || b.id === only)
      .map((b) => ({ label: storeLabel(b.id), service: BANK_SUBGRAPH, bank: b.id, audience: bankAudience(b.id), url: b.url, timeoutMs: options.bankTimeoutMs }));

  // One pool per store, made at its first call (a bank dropped from the registry keeps its pool,
  // whose idle connections close by themselves). Its own deadline is the longest a records call
  // may take; each call's own (a reviewer's read, an export's part) is its signal.
  const pools = new Map<string, SubgraphPool>();
  const poolOf = (store: RecordStore) => {
    let pool = pools.get(store.label);
    if (!pool) {
      const timeoutMs = Math.max(store.timeoutMs, options.dataSubjectTimeoutMs);
      pools.set(store.label, (pool = createSubgraphPool(store.label, { timeoutMs, maxConnections: options.maxConnections ?? 32, maxResponseBytes: options.maxResponseBytes })));
    }
    return pool;
  };

  /** One POST, in its client span; throws StoreCallError when no store's answer came back. */
  async function post(store: RecordStore, route: string, body: unknown, context: GatewayContext, timeoutMs: number): Promise<Answered> {
    return observe({ subgraph: store.service, bank: store.bank, path: route }, async () => {
      // The token's deadline is when this call's signal fires: the store gives up when we do.
      const deadline = Date.now() + timeoutMs;
      const signal = AbortSignal.timeout(timeoutMs);
      let res: Response;
      let answer: unknown;
      try {
        const token = await options.mint(context, store.audience, deadline);
        res = await poolOf(store).fetch(besideGraphql(store.url, route), {
          method: 'POST',
          // The headers are made inside the client span: `traceparent` names it.
          headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${token}`, ...traceHeaders() },
          body: JSON.stringify(body),
          signal,
        });
        answer = await res.json().catch(() => undefined);
      } catch (error) {
        const timeout = signal.aborted || (error instanceof SubgraphCallError && error.code === 'SUBGRAPH_TIMEOUT');
        const cause = (error as { cause?: unknown }).cause ?? error;
        throw new StoreCallError(timeout ? 'SUBGRAPH_TIMEOUT' : 'SUBGRAPH_UNAVAILABLE', timeout ? `no answer within ${timeoutMs} ms` : (cause as Error).message);
      }
      // A redirect is never followed (it could point anywhere, this machine included) and never
      // read: that store failed. Its Location is not logged either.
      if (res.status >= 300 && res.status < 400) throw new StoreCallError('SUBGRAPH_UNAVAILABLE', `HTTP ${res.status}: a redirect, not followed`);
      if (res.ok && answer !== undefined) return { body: answer };
      // The store's own error code only: its message may quote what it was asked about.
      const errors = (answer as { errors?: Array<{ extensions?: { code?: unknown } }> } | undefined)?.errors;
      const code = errors?.[0]?.extensions?.code;
      // A 4xx with a code is the store's answer: a refusal of what it was asked, not an outage.
      if (res.status >= 400 && res.status < 500 && typeof code === 'string') return { errors: errors!, refusal: { status: res.status, code } };
      // The store gave up on the call at its deadline (the token's `dl`) while we were still
      // waiting (clocks a little apart): it did not answer in time.
      if (isDeadlineRefusal(res.status, answer)) throw new StoreCallError('SUBGRAPH_TIMEOUT', `HTTP 504 DEADLINE_EXCEEDED: past the call's deadline (${timeoutMs} ms)`);
      throw new StoreCallError('SUBGRAPH_UNAVAILABLE', `HTTP ${res.status}${typeof code === 'string' ? ` ${code}` : ''}`);
    });
  }

  async function askOne<T>(store: RecordStore, route: string, body: unknown, context: GatewayContext): Promise<StoreAnswer<T>> {
    const timeoutMs = route === RECORDS_ROUTES.auditEvents ? store.timeoutMs : options.dataSubjectTimeoutMs;
    try {
      const answered = await post(store, route, body, context, timeoutMs);
      if (answered.refusal) {
        // What the store was asked is wrong (or not for this caller): not an outage, no warning.
        requestLog().debug({ subgraph: store.service, bank: store.bank, status: answered.refusal.status, code: answered.refusal.code }, `${store.label} ${route}: refused`);
        return { store, refusal: answered.refusal };
      }
      return { store, body: answered.body as T };
    } catch (error) {
      const failure = error instanceof StoreCallError ? error : new StoreCallError('SUBGRAPH_UNAVAILABLE', (error as Error).message);
      log(`${store.label} ${route}: ${failure.message}`);
      return { store, failure: failure.code };
    }
  }

  async function recordRefusal(field: string, context: GatewayContext): Promise<void> {
    const store = platform.find((s) => s.label === keeper);
    let problem: string;
    if (!store) problem = `no ${keeper} subgraph to keep them`;
    else {
      const answer = await askOne<{ recorded?: unknown }>(store, RECORDS_ROUTES.refused, { field }, context);
      if (answer.body?.recorded === true) return;
      problem = answer.failure ?? (answer.refusal ? `HTTP ${answer.refusal.status} ${answer.refusal.code}` : 'not an answer of the records route');
    }
    options.onRecordFailure?.();
    requestLog().error(`audit flush failed: the gateway's refusal of ${field} was not recorded: ${problem}`);
  }

  return {
    select: (bankId) => [...platform, ...banks(options.registry(), bankId)],
    ask: (stores, route, body, context) => mapLimit(stores, options.concurrency, (store) => askOne(store, route, body, context)),
    recordRefusal,
    close: () => pools.forEach((pool) => pool.close()),
  };
}

/** The client's view of a store that did not answer (or answered with a refusal), at `path`: which one, no address, no cause. */
export function storeFailure(answer: { store: RecordStore; failure?: StoreFailure; refusal?: { code: string } }, path: string, missing: string): GraphQLFormattedError {
  const { store, failure = 'SUBGRAPH_UNAVAILABLE' } = answer;
  const who = store.bank ? `The bank ${store.bank}` : `The ${store.service} service`;
  return {
    message: `${who} ${failure === 'SUBGRAPH_TIMEOUT' ? 'did not answer in time' : 'is unavailable'}; ${missing}.`,
    path: [path],
    extensions: { code: failure, service: store.service, ...(store.bank ? { bank: store.bank } : {}) },
  };
}
