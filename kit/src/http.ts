// A small node:http front for Apollo Server, shared by the gateway and the subgraphs: JSON body
// with a size limit, plain routes (/health, /ready), and refusals as GraphQL-shaped errors.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';
import { ConfigError } from './config.ts';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

export type Route = (req: IncomingMessage) => Promise<{ status: number; body: unknown }>;

export interface HttpOptions<Ctx extends BaseContext> {
  server: ApolloServer<Ctx>;
  /** Builds the request's context; throw HttpError to refuse the request (e.g. 401). */
  context: (req: IncomingMessage) => Promise<Ctx>;
  routes?: Record<string, Route>;
  maxBodyBytes?: number;
  graphqlPath?: string;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.end(JSON.stringify(body));
}

export function sendError(res: ServerResponse, error: HttpError): void {
  sendJson(res, error.status, { errors: [{ message: error.message, extensions: { code: error.code } }] });
}

async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) throw new HttpError(413, `request body is larger than ${limit} bytes`, 'PAYLOAD_TOO_LARGE');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new HttpError(413, `request body is larger than ${limit} bytes`, 'PAYLOAD_TOO_LARGE');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseBody(raw: string, contentType: string | undefined): unknown {
  if (!raw) return undefined;
  if (!contentType?.includes('application/json')) return raw;
  try {
    return JSON.parse(raw);
  } catch {
    throw new HttpError(400, 'request body is not valid JSON', 'BAD_REQUEST');
  }
}

export function createHandler<Ctx extends BaseContext>(options: HttpOptions<Ctx>) {
  const { server, routes = {}, maxBodyBytes = 100_000, graphqlPath = '/graphql' } = options;
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const route = routes[url.pathname];
      if (route && req.method === 'GET') {
        const { status, body } = await route(req);
        return sendJson(res, status, body);
      }
      if (url.pathname !== graphqlPath) throw new HttpError(404, `no route ${url.pathname}`, 'NOT_FOUND');
      const headers = new HeaderMap();
      for (const [key, value] of Object.entries(req.headers)) {
        if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
      }
      const body = parseBody(await readBody(req, maxBodyBytes), req.headers['content-type']);
      const contextValue = await options.context(req);
      const result = await server.executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method: (req.method ?? 'GET').toUpperCase(), headers, search: url.search, body },
        context: async () => contextValue,
      });
      res.statusCode = result.status ?? 200;
      for (const [key, value] of result.headers) res.setHeader(key, value);
      if (result.body.kind === 'complete') return void res.end(result.body.string);
      for await (const chunk of result.body.asyncIterator) res.write(chunk);
      res.end();
    } catch (error) {
      if (error instanceof HttpError) return sendError(res, error);
      console.error('[http] unexpected error', error);
      sendError(res, new HttpError(500, 'internal server error', 'INTERNAL_SERVER_ERROR'));
    }
  };
}

export interface Listening {
  server: Server;
  url: string;
  close(): Promise<void>;
}

export async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void, port: number, host = '127.0.0.1'): Promise<Listening> {
  const server = createServer(handler);
  // Longer than any client's idle keep-alive (undici 4 s, agentkeepalive 15 s, load balancers
  // 60 s): a server that closes idle sockets first races clients that are reusing them.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
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
