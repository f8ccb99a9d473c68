// Connections held open against the gateway, and clients that go away: idle connections from one
// address beyond GATEWAY_MAX_CONNECTIONS_PER_ADDRESS are closed at once and everyone else is still
// served; a connection that sends nothing is refused at the headers deadline; a client that drops
// mid-body is its own outcome (info, 499, client_aborted), not our 500.
import { connect, type Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { CONNECTION_CHECK_INTERVAL_MS } from '@consent-gateway/kit/http';
import { postGraphQL } from '../support/stack.ts';
import { afterTheSuite, hostileStack } from './support.ts';

type Line = Record<string, any>;
const lines: Line[] = [];
const hostile = hostileStack({
  env: { GATEWAY_MAX_CONNECTIONS_PER_ADDRESS: '20', GATEWAY_HEADERS_TIMEOUT_MS: '1500', GATEWAY_REQUEST_TIMEOUT_MS: '3000', GATEWAY_MAX_CONNECTIONS: '500' },
  log: { level: 'info', destination: { write: (line: string) => void lines.push(JSON.parse(line)) } },
});

const sockets: Socket[] = [];
afterAll(() => sockets.forEach((s) => s.destroy()));

/** A raw connection to the gateway from `from` (any address of 127.0.0.0/8 is this machine). */
function open(from: string, send?: string): Promise<{ socket: Socket; isClosed: () => boolean; closed: Promise<{ seconds: number; answer: string }> }> {
  const { port } = new URL(hostile.stack.gateway.url);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let answer = '';
    let closed = false;
    const socket = connect({ port: Number(port), host: '127.0.0.1', localAddress: from });
    sockets.push(socket);
    socket.on('data', (chunk) => (answer += chunk));
    socket.on('error', () => {});
    const done = new Promise<{ seconds: number; answer: string }>((r) => socket.once('close', () => ((closed = true), r({ seconds: (performance.now() - started) / 1000, answer }))));
    socket.once('connect', () => {
      if (send) socket.write(send);
      resolve({ socket, isClosed: () => closed, closed: done });
    });
    socket.once('error', reject);
  });
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

describe('idle connections', () => {
  it('the gateway sets a total connection limit', () => {
    expect(hostile.stack.gateway.server.maxConnections).toBe(500);
  });

  it('beyond the cap of one address they are closed at once, and a request is still answered', async () => {
    const idle = await Promise.all(Array.from({ length: 60 }, () => open('127.0.0.2')));
    await settle();
    expect(idle.filter((c) => c.isClosed()).length).toBe(40);
    const res = await hostile.stack.query('{ me { displayName } }', {}, { token: await hostile.stack.token({ sub: 'alice' }) });
    expect(res.status).toBe(200);
    expect(res.body.data.me.displayName).toBe('Alice Martin');
    // The ones kept are closed at the headers deadline (1.5 s here), with 408, well before 30 s.
    const kept = await Promise.all(idle.filter((c) => !c.isClosed()).map((c) => c.closed));
    for (const { answer } of kept) expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    // (A loose bound: by this deadline, not the default 10 s one; this machine may be busy.)
    expect(Math.max(...kept.map((k) => k.seconds))).toBeLessThan(8 + CONNECTION_CHECK_INTERVAL_MS / 1000);
    // Every refusal counted; in the log, one warning line at once (the rest of the burst in the
    // next, at the end of its 10 s window), no line per connection.
    const metrics = await (await fetch(`${hostile.stack.gateway.url}/metrics`)).text();
    expect(metrics).toMatch(/gateway_connections_refused_total\{reason="per-address"[^}]*\} 40\n/);
    expect(lines.filter((l) => l.outcome === 'connections_refused')).toEqual([expect.objectContaining({ level: 'warn', perAddress: 1 })]);
  });
});

describe('a client that drops mid-body', () => {
  it('is logged at info as client_aborted with status 499, and counted as no error of ours', async () => {
    lines.length = 0;
    const body = JSON.stringify({ query: '{ me { displayName } }' });
    const dropping = await open('127.0.0.1', `POST /graphql HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${body.length + 100}\r\n\r\n${body.slice(0, 10)}`);
    await settle();
    dropping.socket.destroy();
    await expect.poll(() => lines.find((l) => l.service === 'gateway' && l.msg === 'request'), { timeout: 5_000 }).toBeDefined();
    const gateway = lines.filter((l) => l.service === 'gateway');
    expect(gateway.find((l) => l.msg === 'request')).toMatchObject({ level: 'info', status: 499 });
    expect(gateway.find((l) => l.outcome === 'client_aborted')).toMatchObject({ level: 'info' });
    expect(gateway.filter((l) => l.level === 'error' || /unexpected/.test(l.msg))).toEqual([]);
    const metrics = await (await fetch(`${hostile.stack.gateway.url}/metrics`)).text();
    expect(metrics).not.toMatch(/graphql_errors_total\{code="INTERNAL_SERVER_ERROR"\}/);
    expect(metrics).toMatch(/graphql_requests_total\{operation="[^"]*",status="499"[^}]*\} 1/);
    // And the gateway still answers a whole request.
    expect((await postGraphQL(hostile.stack.gatewayUrl, { query: '{ banks { id } }' })).status).toBe(200);
  });
});

describe('a body that does not arrive in time', () => {
  it('is answered 408 at the request deadline, and logged as that, not as the client leaving', async () => {
    lines.length = 0;
    const slow = await open('127.0.0.1', 'POST /graphql HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{');
    expect((await slow.closed).answer).toMatch(/^HTTP\/1\.1 408 /);
    await expect.poll(() => lines.find((l) => l.service === 'gateway' && l.msg === 'request'), { timeout: 5_000 }).toBeDefined();
    const gateway = lines.filter((l) => l.service === 'gateway');
    expect(gateway.find((l) => l.msg === 'request')).toMatchObject({ level: 'info', status: 408 });
    expect(gateway.find((l) => l.outcome === 'request_timeout')).toBeDefined();
    expect(gateway.filter((l) => l.outcome === 'client_aborted' || l.level === 'error')).toEqual([]);
  });
});

afterTheSuite(hostile);
