// Calling one bank's subgraph over HTTP: a token minted for this call and this bank alone
// (audience `bank:<id>`, the request's identity), a deadline, a bounded pool of keep-alive
// connections per bank (the platform subgraphs' pools, gateway/subgraph-fetch.ts), and a failure
// that says only what the client may know (which bank, down or slow); the detail goes to the
// gateway's log.
import { bankAudience } from '@consent-gateway/kit/internal-token';
import { requestLog } from '@consent-gateway/kit/observability';
import { traceHeaders } from '@consent-gateway/kit/tracing';
import type { RegisteredBank } from '../bank-registry.ts';
import { createSubgraphPool, isDeadlineRefusal, SubgraphCallError, type SubgraphPool } from '../subgraph-fetch.ts';
import { BankCallError, fromBank } from './merge.ts';
import type { BankCaller, RouterContext, SubgraphRequest, SubgraphResult } from './router.ts';

export interface BankClientOptions {
  mint: (context: RouterContext, audience: string) => Promise<string>;
  timeoutMs: number;
  /** Keep-alive connections per bank (further calls wait for one, within the deadline). */
  maxConnections?: number;
  /** The largest answer read from a bank (SUBGRAPH_MAX_RESPONSE_BYTES); a larger one fails the call. */
  maxResponseBytes?: number;
  log?: (line: string) => void;
}

export interface BankClient extends BankCaller {
  /** Closes every bank's pooled connections. */
  close(): void;
}

export const isResult = (body: unknown): body is SubgraphResult =>
  typeof body === 'object' && body !== null && ('data' in body || Array.isArray((body as SubgraphResult).errors));

/** What went wrong with an answer, for a log line: its error codes only (the messages may quote what was asked). */
export const errorCodes = (body: unknown): string =>
  isResult(body) ? (body.errors ?? []).map((e) => e.extensions?.code ?? 'no code').join(', ') || 'no error' : 'not a GraphQL answer';

/** One POST of a GraphQL request with a gateway token, through a pool (which owns the deadline); throws on no answer. */
export async function postGraphQL(pool: SubgraphPool, url: string, token: string, request: SubgraphRequest): Promise<{ status: number; body: unknown }> {
  const res = await pool.fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${token}`, ...traceHeaders() },
    body: JSON.stringify({ query: request.query, variables: request.variables, operationName: request.operationName ?? undefined }),
  });
  return { status: res.status, body: await res.json().catch(() => undefined) };
}

/** What went wrong with a call that brought no answer, for a log line. */
export function callProblem(error: unknown): string {
  const e = ((error as { cause?: unknown })?.cause ?? error) as Error & { code?: string; cause?: { code?: string } };
  const code = e.code ?? e.cause?.code;
  return `${e.message}${code ? ` (${code})` : ''}`;
}

export function createBankClient(options: BankClientOptions): BankClient {
  const log = options.log ?? ((line: string) => requestLog().warn(line));
  // One pool per bank, made at its first call: a bank dropped from the registry keeps its pool,
  // whose idle connections close by themselves (subgraph-fetch.ts).
  const pools = new Map<string, SubgraphPool>();
  const poolOf = (bank: RegisteredBank) => {
    let pool = pools.get(bank.id);
    if (!pool) pools.set(bank.id, (pool = createSubgraphPool(`bank:${bank.id}`, { timeoutMs: options.timeoutMs, maxConnections: options.maxConnections ?? 32, maxResponseBytes: options.maxResponseBytes })));
    return pool;
  };
  const fail = (bank: RegisteredBank, code: BankCallError['code'], detail: string) => {
    log(`bank ${bank.id} (${bank.url}): ${detail}`);
    return new BankCallError(code, detail);
  };
  const call = async (bank: RegisteredBank, request: SubgraphRequest, context: RouterContext) => {
    const token = await options.mint(context, bankAudience(bank.id));
    let answer: { status: number; body: unknown };
    try {
      answer = await postGraphQL(poolOf(bank), bank.url, token, request);
    } catch (error) {
      if (error instanceof SubgraphCallError && error.code === 'SUBGRAPH_TIMEOUT') throw fail(bank, 'SUBGRAPH_TIMEOUT', `no answer within ${options.timeoutMs} ms`);
      throw fail(bank, 'SUBGRAPH_UNAVAILABLE', callProblem(error));
    }
    const { status, body } = answer;
    // 200, or 400 for a request the bank refused as GraphQL (its errors say why): an answer. It
    // enters the gateway rebuilt: its data, and its errors with only what a client may see
    // (merge.ts, fromBank): no `http` status of the bank's, no internal detail.
    if ((status === 200 || status === 400) && isResult(body)) {
      const errors = Array.isArray(body.errors) ? body.errors.map((e) => fromBank(e, bank)) : undefined;
      return { ...('data' in body ? { data: body.data } : {}), ...(errors ? { errors } : {}) };
    }
    // The bank gave up at the call's deadline (its token's `dl`) while we still waited: a timeout.
    if (isDeadlineRefusal(status, body)) throw fail(bank, 'SUBGRAPH_TIMEOUT', 'HTTP 504: DEADLINE_EXCEEDED');
    // The bank's error code, not its message: a message may quote the request's values.
    throw fail(bank, 'SUBGRAPH_UNAVAILABLE', `HTTP ${status}${isResult(body) ? `: ${body.errors?.[0]?.extensions?.code ?? 'no error code'}` : ''}`);
  };
  return Object.assign(call, { close: () => pools.forEach((pool) => pool.close()) });
}
