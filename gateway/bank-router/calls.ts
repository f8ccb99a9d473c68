// What the parts of the bank router share: the shape of a subgraph request and result, the
// request's identity, and calling banks (each call's failure caught as an outcome, at most
// `concurrency` banks at once; entity fetches of one request to one bank joined, joint-calls.ts;
// an answer with another bank's data discarded, answer-check.ts).
import type { GraphQLFormattedError } from 'graphql';
import type { Identity } from '@consent-gateway/kit/identity';
import { requestLog } from '@consent-gateway/kit/observability';
import type { RegisteredBank } from '../bank-registry.ts';
import { foreignObjects } from './answer-check.ts';
import { jointCalls } from './joint-calls.ts';
import { BankCallError } from './merge.ts';
import type { Variables } from './operation.ts';

export interface SubgraphRequest {
  query: string;
  variables?: Variables;
  operationName?: string | null;
}

export interface SubgraphResult {
  data?: Record<string, unknown> | null;
  errors?: GraphQLFormattedError[];
}

export interface RouterContext {
  identity: Identity;
  requestId: string;
  /** On a reference check only: the conversation's user (kit internal-token.ts). */
  referenceFor?: string;
}

/** Calls one bank with the request's identity; throws BankCallError when the bank gives no answer. */
export type BankCaller = (bank: RegisteredBank, request: SubgraphRequest, context: RouterContext) => Promise<SubgraphResult>;

export type Outcome = { result: SubgraphResult; failure?: undefined } | { result?: undefined; failure: BankCallError };

/** Runs `fn` over `items`, at most `limit` at a time, results in order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Bank calls whose failures are outcomes, not exceptions: one bank's failure is its own part's. */
export function bankCalls(callBank: BankCaller, concurrency: number) {
  const outcomes =
    (caller: BankCaller) =>
    async (bank: RegisteredBank, request: SubgraphRequest, context: RouterContext): Promise<Outcome> => {
      try {
        const result = await caller(bank, request, context);
        const foreign = foreignObjects(bank, result.data);
        if (foreign.length) {
          requestLog().error({ bank: bank.id, foreign }, `bank ${bank.id} answered with another bank's data; its answer is discarded`);
          return { failure: new BankCallError('SUBGRAPH_UNAVAILABLE', `answered with another bank's data: ${foreign.join(', ')}`) };
        }
        return { result };
      } catch (error) {
        if (error instanceof BankCallError) return { failure: error };
        throw error;
      }
    };
  const jointly = outcomes(jointCalls(callBank));
  return {
    call: outcomes(callBank),
    /** One entity fetch per item, in parallel up to the bound, outcomes in order; joined with this request's other entity fetches to the same bank. */
    entities: <T>(items: readonly T[], request: (item: T) => { bank: RegisteredBank; request: SubgraphRequest }, context: RouterContext) =>
      mapLimit(items, concurrency, (item) => {
        const r = request(item);
        return jointly(r.bank, r.request, context);
      }),
  };
}
export type BankCalls = ReturnType<typeof bankCalls>;
