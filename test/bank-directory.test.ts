// The gateway's calls to the directory's keeper (user-profile) for the decisions it makes itself:
// waited for, and a write that fails is counted and logged, never silent, without failing the answer.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRecordWithoutBank } from '../gateway/bank-directory.ts';
import { createSubgraphPool } from '../gateway/subgraph-fetch.ts';

let server: Server;
let url: string;
let answer: () => unknown = () => ({ data: { recordDecisionsWithoutBank: true } });
const received: Array<{ authorization?: string; body: any }> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk) => (text += chunk));
    req.on('end', () => {
      received.push({ authorization: req.headers.authorization, body: JSON.parse(text) });
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(answer()));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

function recorder(target = url) {
  const failures: number[] = [];
  const lines: string[] = [];
  const pool = createSubgraphPool('user-profile', { timeoutMs: 2_000, maxConnections: 2 });
  const record = createRecordWithoutBank({ url: target, pool, mint: async (_context, audience) => `token-for-${audience}`, onFailure: () => failures.push(1), log: (line) => lines.push(line) });
  return { record, failures, lines, close: () => pool.close() };
}
const context = { identity: { sub: 'bob', roles: ['user'] as const }, requestId: 'r-1' } as any;

describe("the gateway's own decisions, recorded by user-profile", () => {
  it('sends the users and fields it answered, with a token for user-profile, and counts nothing when they are written', async () => {
    const r = recorder();
    await r.record(context, ['bob'], ['accounts', 'consents']);
    r.close();
    expect(received.at(-1)).toEqual({
      authorization: 'Bearer token-for-user-profile',
      body: expect.objectContaining({ variables: { userIds: ['bob'], fields: ['accounts', 'consents'] } }),
    });
    expect(received.at(-1)!.body.query).toContain('recordDecisionsWithoutBank');
    expect(r.failures).toEqual([]);
  });

  it.each([
    ['user-profile refuses', () => ({ errors: [{ message: 'no', extensions: { code: 'FORBIDDEN' } }] }), 'FORBIDDEN'],
    ['user-profile answers something else', () => ({ data: { recordDecisionsWithoutBank: false } }), 'no error'],
  ])('%s: counted and logged, the answer still goes out', async (_name, reply, shown) => {
    answer = reply;
    const r = recorder();
    await expect(r.record(context, ['bob'], ['accounts'])).resolves.toBeUndefined();
    r.close();
    answer = () => ({ data: { recordDecisionsWithoutBank: true } });
    expect(r.failures).toEqual([1]);
    expect(r.lines).toEqual([expect.stringContaining(`audit flush failed`)]);
    expect(r.lines[0]).toContain(shown);
    expect(r.lines[0]).not.toContain('bob');
  });

  it('user-profile down: counted and logged', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const r = recorder(`http://127.0.0.1:${port}/graphql`);
    await r.record(context, ['bob'], ['accounts']);
    r.close();
    expect(r.failures).toEqual([1]);
    expect(r.lines[0]).toMatch(/audit flush failed.*ECONNREFUSED/);
  });
});
