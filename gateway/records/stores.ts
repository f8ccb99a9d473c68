// The stores the gateway asks for `auditEvents`, `myData` and `eraseMyData`: every platform
// subgraph (from the supergraph) and every bank of the registry, each through the records routes
// the kit serves (kit/src/records-routes.ts) with a token minted for that store alone. A store
// that does not answer is an outcome, not an exception: the caller says which one is missing.
import type { GraphQLFormattedError } from 'graphql';
import { BANK_SUBGRAPH } from '@consent-gateway/kit/bank-policy';
import { bankAudience } from '@consent-gateway/kit/internal-token';
import { RECORDS_ROUTES } from '@consent-gateway/kit/records-routes';
import { traceHeaders } from '@consent-gateway/kit/tracing';
import type { BankRegistry } from '../bank-registry.ts';
import { mapLimit } from '../bank-router/calls.ts';
import type { GatewayContext, MintToken } from '../engine.ts';

export interface RecordStore {
  /** How answers and errors name it: the subgraph's name, or `bank:<id>`. */
  label: string;
  /** The subgraph name the error extensions carry (`bank-account` for every bank). */
  service: string;
  bank?: string;
  audience: string;
  /** Its GraphQL endpoint; the records routes are beside it (`/records/...`). */
  url: string;
  /** Deadline of a reviewer's read (its ordinary call deadline). */
  timeoutMs: number;
}

export type StoreAnswer<T> = { store: RecordStore; body: T; failure?: undefined } | { store: RecordStore; body?: undefined; failure: 'SUBGRAPH_UNAVAILABLE' | 'SUBGRAPH_TIMEOUT' };

export interface RecordStores {
  /** Every store; with `bankId`, the platform's subgraphs and that bank only. */
  select(bankId?: string): RecordStore[];
  /** POSTs `body` to `route` of each store (at most `concurrency` at once), answers in order. */
  ask<T>(stores: readonly RecordStore[], route: string, body: unknown, context: GatewayContext): Promise<Array<StoreAnswer<T>>>;
}

export interface RecordStoresOptions {
  /** The platform subgraphs' GraphQL endpoints, by name. */
  subgraphs: Record<string, string>;
  registry: () => BankRegistry;
  mint: MintToken;
  subgraphTimeoutMs: number;
  bankTimeoutMs: number;
  /** For export and erasure, which may read or rewrite many rows. */
  dataSubjectTimeoutMs: number;
  concurrency: number;
  log?: (line: string) => void;
}

export const storeLabel = (bankId: string) => `bank:${bankId}`;

export function recordStores(options: RecordStoresOptions): RecordStores {
  const log = options.log ?? (() => {});
  const platform: RecordStore[] = Object.entries(options.subgraphs)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, url]) => ({ label: name, service: name, audience: name, url, timeoutMs: options.subgraphTimeoutMs }));
  const banks = (registry: BankRegistry, only?: string): RecordStore[] =>
    registry.banks
      .filter((b) => only === undefined || b.id === only)
      .map((b) => ({ label: storeLabel(b.id), service: BANK_SUBGRAPH, bank: b.id, audience: bankAudience(b.id), url: b.url, timeoutMs: options.bankTimeoutMs }));

  async function askOne<T>(store: RecordStore, route: string, body: unknown, context: GatewayContext): Promise<StoreAnswer<T>> {
    const timeoutMs = route === RECORDS_ROUTES.auditEvents ? store.timeoutMs : options.dataSubjectTimeoutMs;
    try {
      const res = await fetch(new URL(route, store.url), {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${await options.mint(context, store.audience)}`, ...traceHeaders() },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
      const answer = await res.json().catch(() => undefined);
      if (res.ok && answer !== undefined) return { store, body: answer as T };
      // The store's own error code only: its message may quote what it was asked about.
      const code = (answer as { errors?: Array<{ extensions?: { code?: unknown } }> } | undefined)?.errors?.[0]?.extensions?.code;
      log(`${store.label} ${route}: HTTP ${res.status}${typeof code === 'string' ? ` ${code}` : ''}`);
      return { store, failure: 'SUBGRAPH_UNAVAILABLE' };
    } catch (error) {
      const timeout = (error as Error).name === 'TimeoutError';
      log(`${store.label} ${route}: ${timeout ? `no answer within ${timeoutMs} ms` : (error as Error).message}`);
      return { store, failure: timeout ? 'SUBGRAPH_TIMEOUT' : 'SUBGRAPH_UNAVAILABLE' };
    }
  }

  return {
    select: (bankId) => [...platform, ...banks(options.registry(), bankId)],
    ask: (stores, route, body, context) => mapLimit(stores, options.concurrency, (store) => askOne(store, route, body, context)),
  };
}

/** The client's view of a store that did not answer, at `path`: which one, no address, no cause. */
export function storeFailure(answer: { store: RecordStore; failure: 'SUBGRAPH_UNAVAILABLE' | 'SUBGRAPH_TIMEOUT' }, path: string, missing: string): GraphQLFormattedError {
  const { store, failure } = answer;
  const who = store.bank ? `The bank ${store.bank}` : `The ${store.service} service`;
  return {
    message: `${who} ${failure === 'SUBGRAPH_TIMEOUT' ? 'did not answer in time' : 'is unavailable'}; ${missing}.`,
    path: [path],
    extensions: { code: failure, service: store.service, ...(store.bank ? { bank: store.bank } : {}) },
  };
}
