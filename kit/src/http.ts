// A small node:http front for Apollo Server, shared by the gateway and the subgraphs: JSON body
// with a size limit, plain routes (/health, /ready), and refusals as GraphQL-shaped errors.
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isIP, type AddressInfo, type BlockList, type Socket } from 'node:net';
import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';
import { ConfigError } from './config.ts';
import { noteSentOperation, observeRequest, requestLog, type Observability } from './observability.ts';

/** One GraphQL-shaped error of a refusal: a message and a stable code, plus figures if any. */
export interface ErrorDetail {
  message: string;
  code: string;
  extensions?: Record<string, unknown>;
  /** Where in the document, for errors about the document itself. */
  locations?: ReadonlyArray<{ line: number; column: number }>;
}

/** A refusal before GraphQL execution: an HTTP status and one or more GraphQL-shaped errors. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: string,
    readonly options: {
      extensions?: Record<string, unknown>;
      locations?: ErrorDetail['locations'];
      headers?: Record<string, string>;
      more?: ErrorDetail[];
    } = {},
  ) {
    super(message);
  }

  get errors(): ErrorDetail[] {
    return [{ message: this.message, code: this.code, extensions: this.options.extensions, locations: this.options.locations }, ...(this.options.more ?? [])];
  }
}

/** A plain GET route: a JSON body, or text when a content type is given (/metrics). */
export type Route = (req: IncomingMessage) => Promise<{ status: number; body: unknown; contentType?: string }>;
/** A route answered to POST with a JSON body (e.g. the kit's records routes). */
export type PostRoute = (req: IncomingMessage, body: unknown) => Promise<{ status: number; body: unknown }>;

/** What the gateway's gate sees of a GraphQL request before Apollo does, and may rewrite. */
export interface GateInput {
  req: IncomingMessage;
  method: string;
  /** The parsed JSON body (POST), the raw text for other content types, undefined when empty. */
  body: unknown;
  /** The query string, with its leading `?` (GET). */
  search: string;
}

export interface HttpOptions<Ctx extends BaseContext> {
  server: ApolloServer<Ctx>;
  /** Builds the request's context; throw HttpError to refuse the request (e.g. 401). */
  context: (req: IncomingMessage) => Promise<Ctx>;
  routes?: Record<string, Route>;
  postRoutes?: Record<string, PostRoute>;
  maxBodyBytes?: number;
  graphqlPath?: string;
  /** Inspects a GraphQL request after the context was built and before Apollo sees it; throw HttpError to refuse. */
  gate?: (input: GateInput, context: Ctx) => Promise<{ body: unknown; search: string }>;
  /** The service's logger, metrics and tracing: every GraphQL request is served in its scope (observability.ts). */
  observe?: Observability;
  /** Proxies whose `X-Forwarded-For` names the client (TRUSTED_PROXIES); without, the peer is the client. */
  trustedProxies?: BlockList;
}

/**
 * The request's target as a URL. Node passes on targets no URL parser accepts (`GET //[/`):
 * those are the client's mistake, a 400, never an exception that reaches the server.
 */
export function requestUrl(req: IncomingMessage): URL {
  try {
    return new URL(req.url ?? '/', 'http://localhost');
  } catch {
    throw new HttpError(400, 'the request target is not a valid path', 'BAD_REQUEST');
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.end(JSON.stringify(body));
}

export function sendError(res: ServerResponse, error: HttpError): void {
  for (const [name, value] of Object.entries(error.options.headers ?? {})) res.setHeader(name, value);
  const errors = error.errors.map((e) => ({ message: e.message, ...(e.locations ? { locations: e.locations } : {}), extensions: { code: e.code, ...e.extensions } }));
  sendJson(res, error.status, { errors });
}

/** A loopback address: this machine, when it is the peer itself and not a trusted proxy (see fromLoopback). */
const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;

/** Each request's client address, when a trusted proxy stands before the service (see clientAddressFrom). */
const clientAddresses = new WeakMap<IncomingMessage, string>();
/** Requests whose peer is a trusted proxy: whatever address it names, the client is not this machine. */
const viaTrustedProxy = new WeakSet<IncomingMessage>();

/**
 * A route the kit serves beside a GraphQL endpoint (`/ready`, `/health`, `/records/export`...),
 * resolved against that endpoint's directory, not the host's root: a bank served under a path
 * prefix keeps it (https://bank.example/consent/graphql → https://bank.example/consent/records/export;
 * its reverse proxy maps the prefix to the kit's routes at its root). The gateway and the
 * conformance checks both reach a bank's routes this way.
 */
export function besideGraphql(graphqlUrl: string, route: string): string {
  const base = new URL(graphqlUrl);
  base.search = '';
  base.hash = '';
  // The endpoint's directory: its last segment dropped (a trailing slash first).
  base.pathname = base.pathname.replace(/\/+$/, '').replace(/[^/]*$/, '') || '/';
  return new URL(route.replace(/^\/+/, ''), base).href;
}

/**
 * The client of a request that came through a trusted proxy which named no valid client (no
 * `X-Forwarded-For`, nonsense in it, or only trusted proxies in it): not an address, so never this
 * machine, and one rate-limit bucket for all such requests (a proxy that forwards without the
 * header shows at once as 429s rather than as a quiet bypass).
 */
export const UNKNOWN_CLIENT = 'unknown';

/**
 * One `X-Forwarded-For` entry as an address: a plain IPv4 or IPv6 address, or one with a port as
 * some load balancers write it (`203.0.113.9:4444`, `[2001:db8::1]:4444`, `[2001:db8::1]`), the
 * port dropped. Anything else is undefined.
 */
export function forwardedAddress(entry: string): string | undefined {
  const value = entry.trim();
  if (isIP(value)) return value;
  const portOk = (port: string | undefined) => port === undefined || Number(port) <= 65535;
  const bracketed = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(value);
  if (bracketed) return isIP(bracketed[1]!) === 6 && portOk(bracketed[2]) ? bracketed[1] : undefined;
  const v4WithPort = /^(\d{1,3}(?:\.\d{1,3}){3}):(\d{1,5})$/.exec(value);
  return v4WithPort && isIP(v4WithPort[1]!) === 4 && portOk(v4WithPort[2]) ? v4WithPort[1] : undefined;
}

/**
 * The client's address: the peer, or, when the peer is a proxy the operator trusts, the nearest
 * address of `X-Forwarded-For` that is not a trusted proxy itself (read from the right: the left
 * part is whatever the client wrote). When a trusted proxy names no such address (no header, a
 * malformed nearest entry, only trusted proxies), the client is UNKNOWN_CLIENT: never the proxy,
 * so never this machine when the proxy runs here. Without trusted proxies, the header is ignored.
 */
export function clientAddressFrom(req: IncomingMessage, trustedProxies: BlockList | undefined): string {
  const peer = req.socket.remoteAddress ?? UNKNOWN_CLIENT;
  if (!trustedProxies || !isTrusted(trustedProxies, peer)) return peer;
  const header = req.headers['x-forwarded-for'];
  const forwarded = (Array.isArray(header) ? header.join(',') : String(header ?? ''))
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean);
  for (let i = forwarded.length - 1; i >= 0; i--) {
    const address = forwardedAddress(forwarded[i]!);
    if (address === undefined) return UNKNOWN_CLIENT; // a malformed chain: trust nothing of it
    if (!isTrusted(trustedProxies, address)) return address;
  }
  return UNKNOWN_CLIENT;
}

/** Whether an address is in a list of trusted proxies (an IPv4-mapped IPv6 address as its IPv4 address). */
export function isTrusted(list: BlockList, address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  return mapped ? list.check(mapped, 'ipv4') : list.check(address, family === 6 ? 'ipv6' : 'ipv4');
}

/** The address a request came from, as the handler resolved it (clientAddressFrom), else its peer. */
export function clientAddress(req: IncomingMessage): string {
  return clientAddresses.get(req) ?? req.socket.remoteAddress ?? UNKNOWN_CLIENT;
}

/**
 * The client is this machine: a loopback peer that is not a trusted proxy. A request a trusted
 * proxy forwarded is never from this machine, even when its `X-Forwarded-For` says 127.0.0.1 or
 * says nothing: the proxy speaks for clients elsewhere (an operator there uses OPERATOR_TOKEN).
 */
export function fromLoopback(req: IncomingMessage): boolean {
  if (viaTrustedProxy.has(req)) return false;
  return LOOPBACK.test(clientAddress(req));
}

/** `Authorization: Bearer <token>` equals `expected`, compared in constant time (digests of equal length). */
export function bearerEquals(req: IncomingMessage, expected: string | undefined): boolean {
  const given = req.headers.authorization?.match(/^Bearer\s+(\S+)$/i)?.[1];
  if (!expected || !given) return false;
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** Operational details (addresses, error messages) are for this machine or an operator only. */
export function mayShowDetails(req: IncomingMessage, operatorToken: string | undefined): boolean {
  return fromLoopback(req) || bearerEquals(req, operatorToken);
}

/**
 * The client closed the connection before its request had arrived (a dropped mobile link, a
 * cancelled fetch): its outcome, not our fault. Logged at info as `client_aborted` with status 499
 * (nginx's "client closed request"), counted in no error metric, and nothing is sent back.
 */
export class ClientAbortedError extends Error {
  constructor() {
    super('the client closed the connection before the request body arrived');
  }
}

const CLIENT_ABORT_STATUS = 499;

/**
 * Sockets Node has already answered itself (answerClientError: a request past its deadline gets
 * 408 there), so that the handler still reading that request's body does not take the closed
 * connection for the client leaving: the access line says 408, as the client was told.
 */
const answeredByNode = new WeakSet<object>();

/** The request's body did not arrive in time, and Node answered 408 on the connection already. */
class BodyTimedOutError extends Error {
  constructor() {
    super('the request body did not arrive in time (answered 408)');
  }
}

async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  // Bodies are never decompressed (no decompression bomb), so a compressed one could only be misread.
  const encoding = req.headers['content-encoding'];
  if (encoding && encoding.toLowerCase() !== 'identity') throw new HttpError(415, 'compressed request bodies are not accepted', 'UNSUPPORTED_MEDIA_TYPE');
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) throw new HttpError(413, `request body is larger than ${limit} bytes`, 'PAYLOAD_TOO_LARGE');
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > limit) throw new HttpError(413, `request body is larger than ${limit} bytes`, 'PAYLOAD_TOO_LARGE');
      chunks.push(chunk as Buffer);
    }
  } catch (error) {
    // Node rejects the read with `aborted` (ECONNRESET) when the peer goes away mid-body.
    if (!(error instanceof HttpError) && answeredByNode.has(req.socket)) throw new BodyTimedOutError();
    if (!(error instanceof HttpError) && (req.destroyed || (error as NodeJS.ErrnoException).code === 'ECONNRESET')) throw new ClientAbortedError();
    throw error;
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Whether a Content-Type is JSON: `application/json` itself, in any case (media types are
 * case-insensitive), with any parameters (`; charset=utf-8`); not a type that merely starts
 * with it (`application/json-patch+json` is a different format).
 */
export function isJsonMediaType(contentType: string | undefined): boolean {
  return contentType?.split(';', 1)[0]!.trim().toLowerCase() === 'application/json';
}

function parseBody(raw: string, contentType: string | undefined): unknown {
  if (!raw) return undefined;
  if (!isJsonMediaType(contentType)) return raw;
  try {
    return JSON.parse(raw);
  } catch {
    throw new HttpError(400, 'request body is not valid JSON', 'BAD_REQUEST');
  }
}

/** The operation name a request sent, before anything is resolved: from the body (POST) or the query string (GET). */
function sentOperationName(body: unknown, search: string): unknown {
  if (body && typeof body === 'object') return (body as { operationName?: unknown }).operationName;
  return new URLSearchParams(search).get('operationName');
}

export function createHandler<Ctx extends BaseContext>(options: HttpOptions<Ctx>) {
  const { server, routes = {}, postRoutes = {}, maxBodyBytes = 100_000, graphqlPath = '/graphql', observe } = options;

  const fail = (res: ServerResponse, error: unknown, counted = true) => {
    if (error instanceof ClientAbortedError || error instanceof BodyTimedOutError) {
      // For the access line; nobody is there to read an answer (or Node gave it: 408).
      const aborted = error instanceof ClientAbortedError;
      res.statusCode = aborted ? CLIENT_ABORT_STATUS : 408;
      requestLog(observe?.log).info({ outcome: aborted ? 'client_aborted' : 'request_timeout' }, error.message);
      return void res.destroy();
    }
    // The rest of an oversized body is never read: the connection cannot carry another request.
    if (error instanceof HttpError && error.status === 413) res.setHeader('connection', 'close');
    const refusal = error instanceof HttpError ? error : new HttpError(500, 'internal server error', 'INTERNAL_SERVER_ERROR');
    if (!(error instanceof HttpError)) requestLog(observe?.log).error({ err: error }, 'unexpected error');
    if (counted) observe?.metrics.errors(refusal.errors.map((e) => e.code));
    sendError(res, refusal);
  };

  const servePost = async (req: IncomingMessage, res: ServerResponse, path: string, route: PostRoute): Promise<void> => {
    if (req.method !== 'POST') throw new HttpError(405, `${path} answers POST only`, 'METHOD_NOT_ALLOWED', { headers: { allow: 'POST' } });
    const { status, body } = await route(req, parseBody(await readBody(req, maxBodyBytes), 'application/json'));
    sendJson(res, status, body);
  };

  const serveGraphQL = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    try {
      const headers = new HeaderMap();
      for (const [key, value] of Object.entries(req.headers)) {
        if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
      }
      const method = (req.method ?? 'GET').toUpperCase();
      let body = parseBody(await readBody(req, maxBodyBytes), req.headers['content-type']);
      let search = url.search;
      noteSentOperation(sentOperationName(body, search));
      const contextValue = await options.context(req);
      if (options.gate) ({ body, search } = await options.gate({ req, method, body, search }, contextValue));
      const result = await server.executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method, headers, search, body },
        context: async () => contextValue,
      });
      res.statusCode = result.status ?? 200;
      for (const [key, value] of result.headers) res.setHeader(key, value);
      if (result.body.kind === 'complete') return void res.end(result.body.string);
      for await (const chunk of result.body.asyncIterator) res.write(chunk);
      res.end();
    } catch (error) {
      fail(res, error);
    }
  };

  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (options.trustedProxies) {
      clientAddresses.set(req, clientAddressFrom(req, options.trustedProxies));
      if (isTrusted(options.trustedProxies, req.socket.remoteAddress ?? '')) viaTrustedProxy.add(req);
    }
    let url: URL;
    try {
      url = requestUrl(req);
      const route = Object.hasOwn(routes, url.pathname) ? routes[url.pathname] : undefined;
      if (route && req.method === 'GET') {
        const { status, body, contentType } = await route(req);
        if (contentType === undefined) return sendJson(res, status, body);
        res.statusCode = status;
        res.setHeader('content-type', contentType);
        return void res.end(body);
      }
      if (Object.hasOwn(postRoutes, url.pathname)) {
        const postRoute = postRoutes[url.pathname]!;
        const path = url.pathname;
        const serve = () => servePost(req, res, path, postRoute).catch((error: unknown) => fail(res, error, false));
        // A POST route (the kit's records routes) serves a client's operation too: its lines, its
        // server span (continuing the caller's trace) and its access line, like GraphQL's; it is
        // not a GraphQL request, so not counted as one.
        return await (observe ? observeRequest(observe, req, res, path, serve, { graphql: false }) : serve());
      }
      if (route) throw new HttpError(405, `${url.pathname} answers GET only`, 'METHOD_NOT_ALLOWED', { headers: { allow: 'GET' } });
      if (url.pathname !== graphqlPath) throw new HttpError(404, `no route ${url.pathname}`, 'NOT_FOUND');
    } catch (error) {
      return fail(res, error, false);
    }
    // Health checks and probes are not requests worth a log line, a span or a count: GraphQL is.
    if (!observe) return serveGraphQL(req, res, url);
    return observeRequest(observe, req, res, url.pathname, () => serveGraphQL(req, res, url));
  };
}

const CLIENT_ERRORS: Record<string, [number, string, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'REQUEST_HEADER_FIELDS_TOO_LARGE', 'the request headers are too large'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'REQUEST_TIMEOUT', 'the request did not arrive in time'],
};

/** Requests Node refuses before any handler runs (malformed, headers too large, too slow) get the same JSON error shape. */
function answerClientError(error: NodeJS.ErrnoException, socket: import('node:stream').Duplex): void {
  if (error.code === 'ECONNRESET' || !socket.writable) return void socket.destroy();
  const [status, code, message] = CLIENT_ERRORS[error.code ?? ''] ?? [400, 'BAD_REQUEST', 'the request is not valid HTTP'];
  // A request past its deadline is answered here while its handler may still be reading the body.
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') answeredByNode.add(socket);
  const body = JSON.stringify({ errors: [{ message, extensions: { code } }] });
  socket.end(
    `HTTP/1.1 ${status} ${code.replace(/_/g, ' ')}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

export interface Listening {
  server: Server;
  url: string;
  close(): Promise<void>;
}

/**
 * What a server lets its connections hold: how many at once, from one address, and for how long.
 * Node refuses a request whose headers are not in within `headersTimeoutMs`, or whose headers and
 * body are not in within `requestTimeoutMs` (408 REQUEST_TIMEOUT), checked every second; a
 * connection that sends nothing at all is closed at the headers deadline too.
 */
export interface ConnectionLimits {
  /** Open connections in all (`server.maxConnections`); a connection beyond is closed at once. */
  maxConnections: number;
  /**
   * Open connections from one client address (by `addressKey`); at the cap, that address's idle
   * keep-alive connections are closed to make room, and if none is idle the new one is closed at
   * once. Undefined: no cap (a subgraph, whose one client is the gateway).
   */
  maxConnectionsPerAddress?: number;
  /** Which addresses count together (the gateway: an IPv6 address by its /64). */
  addressKey?: (address: string) => string;
  /** Peers not capped per address: a trusted reverse proxy speaks for many clients. */
  uncapped?: (address: string) => boolean;
  /** Hears of each connection closed for a limit (at most once per connection). */
  onRefused?: (reason: 'per-address' | 'total', address: string) => void;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  /** How long a connection may stay idle between requests. */
  keepAliveTimeoutMs: number;
}

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  maxConnections: 4_096,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  // Longer than any client's idle keep-alive (undici 4 s, agentkeepalive 15 s, load balancers
  // 60 s): a server that closes idle sockets first races clients that are reusing them.
  keepAliveTimeoutMs: 65_000,
};

/** How often Node looks for requests past their deadlines: a deadline is met within this much. */
export const CONNECTION_CHECK_INTERVAL_MS = 1_000;

/** Caps connections per client address (see ConnectionLimits.maxConnectionsPerAddress). */
function capPerAddress(server: Server, limits: ConnectionLimits): void {
  const cap = limits.maxConnectionsPerAddress;
  if (cap === undefined) return;
  const key = limits.addressKey ?? ((address: string) => address);
  const open = new Map<string, Set<Socket>>();
  // Sockets serving a request now; the others of `open` that served one are idle keep-alive connections.
  const busy = new WeakSet<Socket>();
  const served = new WeakSet<Socket>();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket;
    busy.add(socket);
    served.add(socket);
    res.once('close', () => busy.delete(socket));
  });
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? 'unknown';
    if (limits.uncapped?.(address)) return;
    const group = key(address);
    let sockets = open.get(group);
    if (!sockets) open.set(group, (sockets = new Set()));
    if (sockets.size >= cap) {
      // Oldest first (a Set keeps insertion order): an idle keep-alive connection makes room.
      for (const other of sockets) {
        if (sockets.size < cap) break;
        if (served.has(other) && !busy.has(other)) {
          sockets.delete(other);
          other.destroy();
        }
      }
      if (sockets.size >= cap) {
        limits.onRefused?.('per-address', address);
        return void socket.destroy();
      }
    }
    sockets.add(socket);
    socket.once('close', () => {
      sockets.delete(socket);
      if (sockets.size === 0 && open.get(group) === sockets) open.delete(group);
    });
  });
}

/**
 * The handler, with a last resort: whatever it throws or rejects with is answered (a 500, or the
 * connection closed when an answer was already under way) and logged, never left to end the
 * process as an unhandled rejection. Every handler of ours answers its own errors; this is for
 * the one that was missed.
 */
function caught(handler: (req: IncomingMessage, res: ServerResponse) => unknown) {
  const lastResort = (res: ServerResponse, error: unknown) => {
    requestLog().error({ err: error }, 'unhandled error in the request handler');
    if (res.headersSent) return void res.destroy();
    sendError(res, error instanceof HttpError ? error : new HttpError(500, 'internal server error', 'INTERNAL_SERVER_ERROR'));
  };
  return (req: IncomingMessage, res: ServerResponse): void => {
    try {
      const served = handler(req, res);
      if (served instanceof Promise) served.catch((error: unknown) => lastResort(res, error));
    } catch (error) {
      lastResort(res, error);
    }
  };
}

export async function listen(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  port: number,
  host = '127.0.0.1',
  connectionLimits: Partial<ConnectionLimits> = {},
): Promise<Listening> {
  const limits: ConnectionLimits = { ...DEFAULT_CONNECTION_LIMITS, ...connectionLimits };
  const server = createServer(
    {
      // Node's default looks every 30 s, so a 10 s deadline was met only within 40 s.
      connectionsCheckingInterval: CONNECTION_CHECK_INTERVAL_MS,
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
    },
    caught(handler),
  );
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  server.maxConnections = limits.maxConnections;
  server.on('drop', (data?: { remoteAddress?: string }) => limits.onRefused?.('total', data?.remoteAddress ?? 'unknown'));
  capPerAddress(server, limits);
  server.on('clientError', answerClientError);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new ConfigError(`port ${port} on ${host} is already in use (choose another port in the configuration)`) : error),
    );
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const shownHost = host === '0.0.0.0' || host === '127.0.0.1' ? 'localhost' : host;
  return {
    server,
    url: `http://${shownHost}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
