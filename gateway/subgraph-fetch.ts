// Calls from the gateway to a subgraph: one bounded keep-alive pool and one deadline per
// subgraph, and what a client sees when such a call fails: an error at the path of every field
// the call would have resolved, saying which service failed and nothing more (no address, no
// stack); the rest of the response is unaffected. Engine-agnostic: the engine's data sources
// use `SubgraphPool.fetch` as their fetcher and `failedFetchResult` when a call fails.
// An answer is read up to a size limit (`maxResponseBytes`): a subgraph or a partner bank that
// answers more is cut off (its declared length checked first, then the bytes as they stream in),
// and the call fails like any other, so a hostile bank cannot fill the gateway's memory.
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { Kind, parse, type DocumentNode, type FragmentDefinitionNode, type GraphQLFormattedError, type SelectionSetNode } from 'graphql';
import type { SubgraphCallConfig } from './config.ts';

export type SubgraphFailureCode = 'SUBGRAPH_UNAVAILABLE' | 'SUBGRAPH_TIMEOUT';

export class SubgraphCallError extends Error {
  constructor(
    readonly code: SubgraphFailureCode,
    readonly service: string,
    cause: unknown,
    /** The partner bank the call was for, if any. */
    readonly bank?: string,
  ) {
    const why = code === 'SUBGRAPH_TIMEOUT' ? 'no answer in time' : ((cause as Error)?.message ?? String(cause));
    super(`${service}${bank ? ` (bank ${bank})` : ''}: ${why}`, { cause });
  }
}

/** The cause of a call cut off because its answer was larger than the pool's `maxResponseBytes`. */
export class ResponseTooLargeError extends Error {
  readonly code = 'RESPONSE_TOO_LARGE';
  constructor(readonly limit: number) {
    super(`the answer is larger than ${limit} bytes`);
  }
}

/** The default of SUBGRAPH_MAX_RESPONSE_BYTES: far above any answer of this graph (a 100-row page is tens of KB). */
export const DEFAULT_MAX_RESPONSE_BYTES = 10_000_000;

/**
 * Whether an answer is a subgraph's or bank's refusal of a call past its deadline (the token's
 * `dl`, kit internal-token.ts): it gave up at the moment the gateway stops waiting, a timeout seen
 * from its side (clocks a little apart), not an outage.
 */
export function isDeadlineRefusal(status: number | undefined, body: unknown): boolean {
  return status === 504 && (body as { errors?: Array<{ extensions?: { code?: unknown } }> } | null)?.errors?.[0]?.extensions?.code === 'DEADLINE_EXCEEDED';
}

/** Any failure of a call as a SubgraphCallError (a transport error, a non-2xx answer, a body that is not GraphQL). */
export function asSubgraphFailure(error: unknown, service: string, bank?: string): SubgraphCallError {
  if (error instanceof SubgraphCallError) return error;
  // Apollo's data source throws on a non-2xx answer, with the status and the parsed body.
  const response = (error as { extensions?: { response?: { status?: number; body?: unknown } } } | null)?.extensions?.response;
  return new SubgraphCallError(isDeadlineRefusal(response?.status, response?.body) ? 'SUBGRAPH_TIMEOUT' : 'SUBGRAPH_UNAVAILABLE', service, error, bank);
}

export interface FetchInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  signal?: AbortSignal;
}

export interface SubgraphPool {
  readonly service: string;
  readonly timeoutMs: number;
  readonly maxResponseBytes: number;
  /** A WHATWG-style fetch over this pool that rejects with SubgraphCallError on a timeout or a transport failure. */
  fetch(url: string, init?: FetchInit): Promise<Response>;
  close(): void;
}

// Idle pooled sockets close after this, well before the subgraphs' own keep-alive timeout (65 s,
// kit/src/http.ts): the client closing first means no request is ever written to a socket the
// server is closing.
const IDLE_SOCKET_MS = 30_000;
const NO_BODY = new Set([101, 204, 205, 304]);

function toHeaders(res: IncomingMessage): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(res.headers)) {
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else if (value !== undefined) headers.set(name, value);
  }
  return headers;
}

export function createSubgraphPool(service: string, options: { timeoutMs: number; maxConnections: number; maxResponseBytes?: number }): SubgraphPool {
  const maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const agentOptions = { keepAlive: true, maxSockets: options.maxConnections, maxFreeSockets: options.maxConnections, timeout: IDLE_SOCKET_MS, scheduling: 'lifo' as const };
  const http = new HttpAgent(agentOptions);
  const https = new HttpsAgent(agentOptions);
  return {
    service,
    timeoutMs: options.timeoutMs,
    maxResponseBytes,
    fetch(url, init = {}) {
      // The deadline covers waiting for a pooled connection, sending and reading the whole answer.
      const deadline = AbortSignal.timeout(options.timeoutMs);
      const signal = init.signal ? AbortSignal.any([init.signal, deadline]) : deadline;
      return new Promise<Response>((resolve, reject) => {
        const fail = (error: unknown) => reject(new SubgraphCallError(deadline.aborted ? 'SUBGRAPH_TIMEOUT' : 'SUBGRAPH_UNAVAILABLE', service, error));
        const target = new URL(url);
        const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
        const req = send(target, { method: init.method ?? 'GET', headers: init.headers, agent: target.protocol === 'https:' ? https : http, signal }, (res) => {
          // Too large: the socket is destroyed (never back in the pool, nothing more read) and the call fails.
          const tooLarge = () => {
            const error = new ResponseTooLargeError(maxResponseBytes);
            fail(error);
            req.destroy(error);
          };
          const declared = Number(res.headers['content-length']);
          if (Number.isFinite(declared) && declared > maxResponseBytes) return tooLarge();
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > maxResponseBytes) return tooLarge();
            chunks.push(chunk);
          });
          res.on('error', fail);
          res.on('end', () => {
            const status = res.statusCode ?? 502;
            try {
              resolve(new Response(NO_BODY.has(status) ? null : Buffer.concat(chunks), { status, statusText: res.statusMessage, headers: toHeaders(res) }));
            } catch (error) {
              fail(error); // e.g. a status outside 200-599
            }
          });
        });
        req.on('error', fail);
        req.end(init.body);
      });
    },
    close() {
      http.destroy();
      https.destroy();
    },
  };
}

/** One pool per subgraph, with that subgraph's timeout (`SUBGRAPH_TIMEOUT_MS_<NAME>` or the default). */
export function createSubgraphPools(names: string[], config: SubgraphCallConfig): Map<string, SubgraphPool> {
  return new Map(
    names.map((name) => [
      name,
      createSubgraphPool(name, { timeoutMs: config.timeoutOverridesMs[name] ?? config.timeoutMs, maxConnections: config.maxConnections, maxResponseBytes: config.maxResponseBytes }),
    ]),
  );
}

// ---- the error of a failed call -------------------------------------------------------------

type Path = Array<string | number>;

/** Response keys selected in `set`, through inline fragments and fragment spreads. */
function responseKeys(set: SelectionSetNode, fragments: Map<string, FragmentDefinitionNode>, seen = new Set<string>()): Map<string, SelectionSetNode | undefined> {
  const keys = new Map<string, SelectionSetNode | undefined>();
  for (const selection of set.selections) {
    if (selection.kind === Kind.FIELD) {
      if (selection.name.value !== '__typename') keys.set(selection.alias?.value ?? selection.name.value, selection.selectionSet);
      continue;
    }
    const name = selection.kind === Kind.FRAGMENT_SPREAD ? selection.name.value : undefined;
    if (name && seen.has(name)) continue;
    if (name) seen.add(name);
    const inner = selection.kind === Kind.INLINE_FRAGMENT ? selection.selectionSet : fragments.get(name!)?.selectionSet;
    if (inner) for (const [key, value] of responseKeys(inner, fragments, seen)) keys.set(key, value);
  }
  return keys;
}

/**
 * The response paths a subgraph fetch would have filled: its root fields, or for an entity fetch
 * (`_entities(representations: …)`) each representation's fields, which the engine maps back to
 * where those entities sit in the client's response.
 */
export function fetchedPaths(operation: DocumentNode | string, variables?: Record<string, unknown>): Path[] {
  const document = typeof operation === 'string' ? parse(operation) : operation;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const def of document.definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
  const op = document.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION);
  if (!op || op.kind !== Kind.OPERATION_DEFINITION) return [];
  const roots = responseKeys(op.selectionSet, fragments);
  const entities = roots.get('_entities');
  const representations = variables?.representations;
  if (entities && Array.isArray(representations)) {
    const keys = [...responseKeys(entities, fragments).keys()];
    return representations.flatMap((_, i) => keys.map((key) => ['_entities', i, key]));
  }
  return [...roots.keys()].map((key) => [key]);
}

/** What the engine receives instead of a subgraph's answer when the call failed. */
export function failedFetchResult(failure: SubgraphCallError, operation: DocumentNode | string, variables?: Record<string, unknown>): { data: null; errors: GraphQLFormattedError[] } {
  const who = failure.bank ? `The bank ${failure.bank}` : `The ${failure.service} service`;
  const message = failure.code === 'SUBGRAPH_TIMEOUT' ? `${who} did not answer in time.` : `${who} is unavailable.`;
  const extensions = { code: failure.code, service: failure.service, ...(failure.bank ? { bank: failure.bank } : {}) };
  let paths: Path[];
  try {
    paths = fetchedPaths(operation, variables);
  } catch {
    paths = []; // an operation the engine built always parses; without paths the error still names the service
  }
  return { data: null, errors: paths.length ? paths.map((path) => ({ message, path, extensions })) : [{ message, extensions }] };
}
