// Calling one bank's subgraph over HTTP: a token minted for this call and this bank alone
// (audience `bank:<id>`, the request's identity), a deadline, and a failure that says only what
// the client may know (which bank, down or slow); the detail goes to the gateway's log.
import { bankAudience } from '@consent-gateway/kit/internal-token';
import { requestLog } from '@consent-gateway/kit/observability';
import { traceHeaders } from '@consent-gateway/kit/tracing';
import type { RegisteredBank } from '../bank-registry.ts';
import { BankCallError } from './merge.ts';
import type { BankCaller, RouterContext, SubgraphRequest, SubgraphResult } from './router.ts';

export interface BankClientOptions {
  mint: (context: RouterContext, audience: string) => Promise<string>;
  timeoutMs: number;
  log?: (line: string) => void;
}

export const isResult = (body: unknown): body is SubgraphResult =>
  typeof body === 'object' && body !== null && ('data' in body || Array.isArray((body as SubgraphResult).errors));

/** One POST of a GraphQL request with a gateway token and a deadline; throws on no answer. */
export async function postGraphQL(url: string, token: string, request: SubgraphRequest, timeoutMs: number): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${token}`, ...traceHeaders() },
    body: JSON.stringify({ query: request.query, variables: request.variables, operationName: request.operationName ?? undefined }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  return { status: res.status, body: await res.json().catch(() => undefined) };
}

/** What went wrong with a call that brought no answer, for a log line. */
export function callProblem(error: unknown): string {
  const e = error as Error & { cause?: { code?: string } };
  return `${e.message}${e.cause?.code ? ` (${e.cause.code})` : ''}`;
}

export function createBankClient(options: BankClientOptions): BankCaller {
  const log = options.log ?? ((line: string) => requestLog().warn(line));
  const fail = (bank: RegisteredBank, code: BankCallError['code'], detail: string) => {
    log(`bank ${bank.id} (${bank.url}): ${detail}`);
    return new BankCallError(code, detail);
  };
  return async (bank, request, context) => {
    const token = await options.mint(context, bankAudience(bank.id));
    let answer: { status: number; body: unknown };
    try {
      answer = await postGraphQL(bank.url, token, request, options.timeoutMs);
    } catch (error) {
      if ((error as Error).name === 'TimeoutError') throw fail(bank, 'SUBGRAPH_TIMEOUT', `no answer within ${options.timeoutMs} ms`);
      throw fail(bank, 'SUBGRAPH_UNAVAILABLE', callProblem(error));
    }
    const { status, body } = answer;
    // 200, or 400 for a request the bank refused as GraphQL (its errors say why): an answer.
    if ((status === 200 || status === 400) && isResult(body)) return body;
    // The bank's error code, not its message: a message may quote the request's values.
    throw fail(bank, 'SUBGRAPH_UNAVAILABLE', `HTTP ${status}${isResult(body) ? `: ${body.errors?.[0]?.extensions?.code ?? 'no error code'}` : ''}`);
  };
}
