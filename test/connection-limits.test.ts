// What one client's connections may hold (kit/src/http.ts, listen): idle connections from one
// address beyond its cap are closed at once, and the server keeps answering everyone else; at the
// cap, that address's idle keep-alive connections make room for its new one; a trusted proxy is
// not capped; a connection that sends nothing, or headers or a body too slowly, is refused within
// its deadline (checked every second), not 30 s later.
import { request, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CONNECTION_CHECK_INTERVAL_MS, DEFAULT_CONNECTION_LIMITS, listen, type ConnectionLimits, type Listening } from '@consent-gateway/kit/http';

const servers: Listening[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(limits: Partial<ConnectionLimits>): Promise<Listening & { port: number }> {
  const listening = await listen(
    (req: IncomingMessage, res: ServerResponse) => {
      req.resume();
      req.on('end', () => res.end('{"ok":true}'));
    },
    0,
    '127.0.0.1',
    limits,
  );
  servers.push(listening);
  return { ...listening, port: Number(new URL(listening.url).port) };
}

interface Watched {
  socket: Socket;
  /** Resolves when the server closed it, with the seconds since it was opened and what it answered. */
  closed: Promise<{ seconds: number; answer: string }>;
  isClosed(): boolean;
}

/** A raw connection from `from` (any address of 127.0.0.0/8 is this machine), optionally sending `send` at once. */
function open(port: number, from = '127.0.0.1', send?: string): Promise<Watched> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let answer = '';
    let done = false;
    const socket = connect({ port, host: '127.0.0.1', localAddress: from });
    sockets.push(socket);
    socket.on('data', (chunk) => (answer += chunk));
    socket.on('error', () => {}); // a reset is a close too
    const closed = new Promise<{ seconds: number; answer: string }>((r) => socket.once('close', () => ((done = true), r({ seconds: (performance.now() - started) / 1000, answer }))));
    socket.once('connect', () => {
      if (send) socket.write(send);
      resolve({ socket, closed, isClosed: () => done });
    });
    socket.once('error', reject);
  });
}

/** One GET over its own connection (no keep-alive pool), from `from`. */
function get(port: number, from = '127.0.0.1', agentOptions: { keepAlive?: boolean } = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', localAddress: from, agent: false, headers: agentOptions.keepAlive ? {} : { connection: 'close' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 200));

describe('connections per address', () => {
  it('idle connections beyond the cap are closed at once; others still get answers, the same address once it has room', async () => {
    const server = await serve({ maxConnectionsPerAddress: 5 });
    const idle = await Promise.all(Array.from({ length: 20 }, () => open(server.port, '127.0.0.2')));
    await settle();
    expect(idle.filter((c) => c.isClosed())).toHaveLength(15);
    // Another address is not held up by the first one's connections.
    expect(await get(server.port, '127.0.0.3')).toBe(200);
    // The capped address itself: refused while its five idle connections stay open, served when one closes.
    await expect(get(server.port, '127.0.0.2')).rejects.toThrow();
    idle.find((c) => !c.isClosed())!.socket.destroy();
    await settle();
    expect(await get(server.port, '127.0.0.2')).toBe(200);
  });

  it('at the cap, an idle keep-alive connection of that address makes room for its new one', async () => {
    const server = await serve({ maxConnectionsPerAddress: 3 });
    const kept = await Promise.all(Array.from({ length: 3 }, () => open(server.port, '127.0.0.2', 'GET / HTTP/1.1\r\nhost: x\r\n\r\n')));
    await settle();
    expect(kept.every((c) => !c.isClosed())).toBe(true); // answered, and kept alive
    expect(await get(server.port, '127.0.0.2')).toBe(200);
    expect(kept.filter((c) => c.isClosed())).toHaveLength(1);
  });

  it('no cap for a peer the operator trusts (a reverse proxy speaks for many clients)', async () => {
    const server = await serve({ maxConnectionsPerAddress: 2, uncapped: (address) => address === '127.0.0.4' });
    const idle = await Promise.all(Array.from({ length: 6 }, () => open(server.port, '127.0.0.4')));
    await settle();
    expect(idle.filter((c) => c.isClosed())).toHaveLength(0);
  });

  it('the count of each address goes down as its connections close', async () => {
    const refused: string[] = [];
    const server = await serve({ maxConnectionsPerAddress: 2, onRefused: (reason, address) => refused.push(`${reason} ${address}`) });
    for (let i = 0; i < 5; i++) expect(await get(server.port, '127.0.0.2')).toBe(200);
    expect(refused).toEqual([]);
    await Promise.all(Array.from({ length: 3 }, () => open(server.port, '127.0.0.2')));
    await settle();
    expect(refused).toEqual(['per-address 127.0.0.2']);
  });
});

describe('connections in all', () => {
  it('server.maxConnections is set, 4096 unless configured; a connection beyond it is closed', async () => {
    expect((await serve({})).server.maxConnections).toBe(DEFAULT_CONNECTION_LIMITS.maxConnections);
    const refused: string[] = [];
    const server = await serve({ maxConnections: 3, onRefused: (reason) => refused.push(reason) });
    expect(server.server.maxConnections).toBe(3);
    const idle = await Promise.all(Array.from({ length: 5 }, (_, i) => open(server.port, `127.0.0.${10 + i}`)));
    await settle();
    expect(idle.filter((c) => c.isClosed())).toHaveLength(2);
    expect(refused).toEqual(['total', 'total']);
  });
});

describe('deadlines', () => {
  const slack = CONNECTION_CHECK_INTERVAL_MS / 1000 + 0.5;

  it('a connection that sends nothing, or its headers too slowly, is refused at the headers deadline', async () => {
    const server = await serve({ headersTimeoutMs: 1_000, requestTimeoutMs: 3_000 });
    const silent = await open(server.port);
    const trickle = await open(server.port, '127.0.0.1', 'POST /graphql HTTP/1.1\r\nhost: x\r\n');
    const drip = setInterval(() => trickle.socket.write('x-a: b\r\n'), 200);
    try {
      for (const { seconds, answer } of await Promise.all([silent.closed, trickle.closed])) {
        expect(seconds).toBeGreaterThanOrEqual(0.9);
        // By this deadline, not Node's own (60 s): a loose bound, this machine may be busy.
        expect(seconds).toBeLessThan(10 + slack);
        expect(answer).toMatch(/^HTTP\/1\.1 408 REQUEST TIMEOUT\r\n[\s\S]*"code":"REQUEST_TIMEOUT"/);
      }
    } finally {
      clearInterval(drip);
    }
  });

  it('a body that arrives too slowly is refused at the request deadline', async () => {
    const server = await serve({ headersTimeoutMs: 1_000, requestTimeoutMs: 2_000 });
    const slow = await open(server.port, '127.0.0.1', 'POST /graphql HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{');
    const drip = setInterval(() => slow.socket.write(' '), 200);
    try {
      const { seconds, answer } = await slow.closed;
      expect(seconds).toBeGreaterThanOrEqual(1.9);
      expect(seconds).toBeLessThan(10 + slack);
      expect(answer).toMatch(/^HTTP\/1\.1 408/);
    } finally {
      clearInterval(drip);
    }
  });

  it('an idle keep-alive connection is not cut by the headers deadline, only by the keep-alive timeout', async () => {
    const server = await serve({ headersTimeoutMs: 1_000, requestTimeoutMs: 2_000, keepAliveTimeoutMs: 4_000 });
    const kept = await open(server.port, '127.0.0.1', 'GET / HTTP/1.1\r\nhost: x\r\n\r\n');
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(kept.isClosed()).toBe(false);
    kept.socket.write('GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n');
    const { answer } = await kept.closed;
    expect(answer.match(/HTTP\/1\.1 200/g)).toHaveLength(2);
  });
});

describe("a handler's missed error", () => {
  /** One GET on its own connection: the status and body, or `closed` when the connection ended without an answer. */
  const get = (port: number) =>
    new Promise<{ status: number; body: string } | 'closed'>((resolve) => {
      const req = request({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
        let body = '';
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
        res.on('error', () => resolve('closed'));
      });
      req.on('error', () => resolve('closed'));
      req.end();
    });

  it('is answered 500 in the JSON error shape, whether thrown or rejected, and the server goes on serving', async () => {
    let calls = 0;
    const listening = await listen(async (_req: IncomingMessage, res: ServerResponse) => {
      calls++;
      if (calls === 1) throw new Error('a rejected handler');
      if (calls === 3) {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('half an answer');
        throw new Error('a handler that failed mid-answer');
      }
      res.end('fine');
    }, 0);
    servers.push(listening);
    const port = Number(new URL(listening.url).port);
    const syncThrow = await listen(() => {
      throw new Error('a handler that threw');
    }, 0);
    servers.push(syncThrow);

    const first = await get(port);
    expect(first).not.toBe('closed');
    expect((first as { status: number }).status).toBe(500);
    expect(JSON.parse((first as { body: string }).body)).toEqual({ errors: [{ message: 'internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
    expect(await get(port)).toEqual({ status: 200, body: 'fine' });
    // An answer already under way cannot become a 500: the connection is closed, so the client sees it was cut short.
    const cut = await get(port);
    expect(cut === 'closed' || (cut.status === 200 && cut.body === 'half an answer')).toBe(true);
    expect(cut).not.toEqual({ status: 200, body: 'fine' });
    expect(await get(port)).toEqual({ status: 200, body: 'fine' });

    const thrown = await get(Number(new URL(syncThrow.url).port));
    expect(thrown !== 'closed' && thrown.status).toBe(500);
  });
});
