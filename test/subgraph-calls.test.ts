// Calls from the gateway to subgraphs: a subgraph that hangs is cut off at its own timeout, one
// that fails answers nothing internal, and either way the client gets an error at the path of
// each field the call would have filled, naming the service, next to everything else. Each
// subgraph has a bounded pool of keep-alive connections, and an answer is read up to a size
// limit: a subgraph or bank that answers more fails that call alone.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSubgraphPool, ResponseTooLargeError, SubgraphCallError } from '../gateway/subgraph-fetch.ts';
import { startTestStack, type GraphQLResponse, type TestStack } from './support/stack.ts';

describe('a subgraph or bank that refuses a call as past its deadline (504 DEADLINE_EXCEEDED)', () => {
  it('is a timeout, not an outage, for a platform subgraph as for a bank', async () => {
    const late = await brokenSubgraph((res) =>
      res.writeHead(504, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ message: 'past its deadline', extensions: { code: 'DEADLINE_EXCEEDED' } }] })),
    );
    const stack = await startTestStack({ env: { SUBGRAPH_URL_MESSAGING: late.url, BANK_REGISTRY_FILE: registryAt(late.url) } });
    try {
      const res = await stack.query('{ me { displayName conversations { id } accounts { id } } }', {}, { token: await stack.token({ sub: 'alice' }) });
      expect(res.body.data.me.displayName).toBe('Alice Martin');
      expect((res.body.errors ?? []).map((e) => [e.path?.join('.'), e.extensions?.code, e.extensions?.service]).sort()).toEqual([
        ['me.accounts', 'SUBGRAPH_TIMEOUT', 'bank-account'],
        ['me.conversations', 'SUBGRAPH_TIMEOUT', 'messaging'],
      ]);
    } finally {
      await stack.close();
      await late.close();
    }
  });
});


/** A stand-in for a broken subgraph, on a free loopback port; notes when each connection arrived. */
async function brokenSubgraph(handle: (res: import('node:http').ServerResponse) => void) {
  const accepted: number[] = [];
  const server: Server = createServer((_req, res) => handle(res));
  server.on('connection', () => accepted.push(performance.now()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
    acceptedBetween: (from: number, to: number) => accepted.filter((t) => t >= from && t < to).length,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

/** A bank registry whose banks all live at `url` (a broken stand-in). */
function registryAt(url: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'broken-banks-')), 'banks.json');
  writeFileSync(file, JSON.stringify([{ id: 'contoso', name: 'Contoso Bank', url }, { id: 'northwind', name: 'Northwind Bank', url }]));
  return file;
}

const INTERNAL = '<pre>MongoServerError: connect ECONNREFUSED 10.0.0.7:27017\n    at /srv/bank/node_modules/mongodb/lib/cmap/connection.js:203:25</pre>';

const errorsAt = (res: GraphQLResponse) => (res.body.errors ?? []).map((e) => ({ path: e.path?.join('.'), ...e.extensions, message: e.message }));

describe('a subgraph that hangs, and one that fails', () => {
  let stack: TestStack;
  let hanging: Awaited<ReturnType<typeof brokenSubgraph>>;
  let failing: Awaited<ReturnType<typeof brokenSubgraph>>;
  let alice: string;
  beforeAll(async () => {
    hanging = await brokenSubgraph(() => {}); // accepts, never answers
    failing = await brokenSubgraph((res) => res.writeHead(500, { 'content-type': 'text/html' }).end(INTERNAL));
    stack = await startTestStack({
      env: {
        SUBGRAPH_URL_MESSAGING: hanging.url,
        SUBGRAPH_TIMEOUT_MS_MESSAGING: '300',
        BANK_REGISTRY_FILE: registryAt(failing.url),
        SUBGRAPH_MAX_CONNECTIONS: '2',
      },
    });
    alice = await stack.token({ sub: 'alice' });
  });
  afterAll(async () => {
    await stack?.close();
    await hanging?.close();
    await failing?.close();
  });

  it('the rest of the data comes back; each failed field carries its path and service', async () => {
    const res = await stack.query('{ me { displayName email conversations { id } accounts { id } } }', {}, { token: alice });
    expect(res.status).toBe(200);
    expect(res.body.data.me).toMatchObject({ displayName: 'Alice Martin', email: 'alice@example.org', conversations: null, accounts: null });
    expect(errorsAt(res).sort((a, b) => a.path!.localeCompare(b.path!))).toEqual([
      { path: 'me.accounts', code: 'SUBGRAPH_UNAVAILABLE', service: 'bank-account', serviceName: 'bank-account', bank: 'northwind', message: 'Bank "Northwind Bank" (northwind) is unavailable; its data is missing from this response.' },
      { path: 'me.conversations', code: 'SUBGRAPH_TIMEOUT', service: 'messaging', serviceName: 'messaging', message: 'The messaging service did not answer in time.' },
    ]);
  });

  it('a failed root field has its path too', async () => {
    const res = await stack.query('{ bank(id: "northwind") { name } me { displayName } }', {}, { token: alice });
    expect(res.body.data).toEqual({ bank: null, me: { displayName: 'Alice Martin' } });
    expect(errorsAt(res)).toMatchObject([{ path: 'bank', code: 'SUBGRAPH_UNAVAILABLE', service: 'bank-account', bank: 'northwind' }]);
  });

  it('nothing of the failure reaches the client: no address, no status line, no body', async () => {
    const res = await stack.query('{ banks { id } me { conversations { id } } }', {}, { token: alice });
    const text = JSON.stringify(res.body);
    for (const detail of ['127.0.0.1', '10.0.0.7', 'ECONNREFUSED', 'MongoServerError', '500', 'Internal Server Error', 'node_modules', 'aborted', 'timeout']) {
      expect(text).not.toContain(detail);
    }
  });

  it('calls wait for one of the bounded connections, within their timeout', async () => {
    const start = performance.now();
    const responses = await Promise.all(Array.from({ length: 6 }, () => stack.query('{ me { conversations { id } } }', {}, { token: alice })));
    for (const res of responses) expect(errorsAt(res)).toMatchObject([{ path: 'me.conversations', code: 'SUBGRAPH_TIMEOUT' }]);
    // Before the first deadline (300 ms) no connection was freed: only the pool's two were opened.
    const opened = hanging.acceptedBetween(start, start + 290);
    expect(opened).toBeGreaterThan(0);
    expect(opened).toBeLessThanOrEqual(2);
  });
});

describe('a failing entity fetch inside lists', () => {
  let stack: TestStack;
  let failing: Awaited<ReturnType<typeof brokenSubgraph>>;
  beforeAll(async () => {
    failing = await brokenSubgraph((res) => res.writeHead(502).end('bad gateway'));
    stack = await startTestStack({ env: { BANK_REGISTRY_FILE: registryAt(failing.url) } });
  });
  afterAll(async () => {
    await stack?.close();
    await failing?.close();
  });

  it('points at each entity it would have filled', async () => {
    const alice = await stack.token({ sub: 'alice' });
    const res = await stack.query('{ me { conversations { messages(first: 5) { edges { node { body transaction { amount { minorUnits } } } } } } } }', {}, { token: alice });
    const edges = res.body.data.me.conversations[0].messages.edges;
    expect(edges.every((e: any) => typeof e.node.body === 'string')).toBe(true); // messaging answered
    expect(edges.every((e: any) => e.node.transaction === null)).toBe(true);
    const failed = errorsAt(res);
    expect(failed.length).toBeGreaterThan(0);
    for (const error of failed) {
      expect(error).toMatchObject({ code: 'SUBGRAPH_UNAVAILABLE', service: 'bank-account', bank: 'northwind' });
      // The transaction reference came from messaging; the bank router marks the entity it could not fill.
      expect(error.path).toMatch(/^me\.conversations\.\d+\.messages\.edges\.\d+\.node\.transaction$/);
    }
  });
});

// Where the plan's two fetches to one bank go as one call (gateway/bank-fetch-plan.ts): the user's
// accounts wait for messaging, then go with the messages' transactions.
const JOINT = '{ me { displayName accounts { id } conversations { messages(first: 5) { edges { node { body transaction { amount { minorUnits } } } } } } } }';

describe('the fetches joined into one bank call, when something fails', () => {
  it('messaging down: the accounts, which waited for it, still come back', async () => {
    const failing = await brokenSubgraph((res) => res.writeHead(502).end('bad gateway'));
    const stack = await startTestStack({ env: { SUBGRAPH_URL_MESSAGING: failing.url } });
    try {
      const res = await stack.query(JOINT, {}, { token: await stack.token({ sub: 'alice' }) });
      expect(res.body.data.me.displayName).toBe('Alice Martin');
      expect(res.body.data.me.accounts.length).toBeGreaterThan(0);
      expect(res.body.data.me.conversations).toBeNull();
      expect(errorsAt(res)).toEqual([expect.objectContaining({ path: 'me.conversations', code: 'SUBGRAPH_UNAVAILABLE', service: 'messaging' })]);
      // A message's transaction is checked against the conversation's user, which messaging
      // tells: without it, the message is refused as unavailable (503), not as a client mistake.
      const transaction = stack.bank('northwind').transactions.find((x) => x.userId === 'alice')!._id;
      const send = await stack.query('mutation($c: ID!, $t: ID) { sendMessage(conversationId: $c, body: "this one?", transactionId: $t) { id } }', { c: stack.data.messaging.conversations[0]!._id, t: transaction }, { token: await stack.token({ sub: 'alice' }) });
      expect(send.status).toBe(503);
      expect(send.body.errors).toEqual([expect.objectContaining({ message: expect.stringMatching(/messaging is unavailable/), extensions: { code: 'SUBGRAPH_UNAVAILABLE', service: 'messaging' } })]);
    } finally {
      await stack.close();
      await failing.close();
    }
  });

  it('the bank down: the one call fails both fetches, each error at its own paths', async () => {
    const failing = await brokenSubgraph((res) => res.writeHead(502).end('bad gateway'));
    const stack = await startTestStack({ env: { BANK_REGISTRY_FILE: registryAt(failing.url) } });
    try {
      const res = await stack.query(JOINT, {}, { token: await stack.token({ sub: 'alice' }) });
      expect(res.body.data.me.displayName).toBe('Alice Martin');
      expect(res.body.data.me.accounts).toBeNull();
      const edges = res.body.data.me.conversations[0].messages.edges;
      expect(edges.every((e: any) => typeof e.node.body === 'string' && e.node.transaction === null)).toBe(true);
      const paths = errorsAt(res).map((e) => e.path);
      expect(paths).toContain('me.accounts');
      expect(paths.some((p) => /^me\.conversations\.0\.messages\.edges\.\d+\.node\.transaction$/.test(p!))).toBe(true);
      for (const error of errorsAt(res)) expect(error).toMatchObject({ code: 'SUBGRAPH_UNAVAILABLE', service: 'bank-account', bank: 'northwind' });
    } finally {
      await stack.close();
      await failing.close();
    }
  });
});

describe('keep-alive', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ seedData: false });
  });
  afterAll(() => stack?.close());

  it('sequential calls to a subgraph reuse one connection', async () => {
    let connections = 0;
    stack.subgraphs['user-profile'].server.on('connection', () => connections++);
    const alice = await stack.token({ sub: 'alice' });
    for (let i = 0; i < 10; i++) await stack.query('{ me { id } }', {}, { token: alice });
    expect(connections).toBeLessThanOrEqual(1);
  });
});

/**
 * A stand-in that answers a GraphQL-looking body of `megabytes` (1 MB chunks, as fast as the
 * reader takes them), with its length declared or not; counts what it managed to send.
 */
async function hugeAnswer(megabytes: number, declareLength: boolean) {
  let sent = 0;
  let cutOff = 0;
  const chunk = Buffer.alloc(1 << 20, 65);
  const head = '{"data":{"me":null},"padding":"';
  const stub = await brokenSubgraph((res) => {
    res.writeHead(200, { 'content-type': 'application/json', ...(declareLength ? { 'content-length': String(head.length + megabytes * chunk.length + 2) } : {}) });
    res.write(head);
    let n = 0;
    res.on('close', () => {
      if (!res.writableFinished) cutOff++;
    });
    const pump = () => {
      while (n < megabytes && !res.destroyed) {
        n++;
        sent += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      if (!res.destroyed) res.end('"}');
    };
    pump();
  });
  return { ...stub, sent: () => sent, cutOff: () => cutOff };
}

describe('an answer larger than the limit', () => {
  for (const declareLength of [true, false]) {
    it(`is cut off, and the call fails as unavailable (length ${declareLength ? 'declared' : 'not declared: counted as it streams'})`, async () => {
      const huge = await hugeAnswer(200, declareLength);
      const pool = createSubgraphPool('messaging', { timeoutMs: 10_000, maxConnections: 2, maxResponseBytes: 100_000 });
      try {
        const error = await pool.fetch(huge.url, { method: 'POST', body: '{}' }).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(SubgraphCallError);
        expect((error as SubgraphCallError).code).toBe('SUBGRAPH_UNAVAILABLE');
        expect((error as SubgraphCallError).cause).toBeInstanceOf(ResponseTooLargeError);
        // The connection was dropped long before the 200 MB were sent (what was sent sits in socket buffers).
        await expect.poll(() => huge.cutOff()).toBe(1);
        expect(huge.sent()).toBeLessThan(32 * 2 ** 20);
      } finally {
        pool.close();
        await huge.close();
      }
    });
  }

  it('an answer within the limit is read whole', async () => {
    const fits = await hugeAnswer(1, false);
    const pool = createSubgraphPool('messaging', { timeoutMs: 10_000, maxConnections: 2, maxResponseBytes: 2 * 2 ** 20 });
    try {
      const res = await pool.fetch(fits.url, { method: 'POST', body: '{}' });
      expect((await res.json()).padding).toHaveLength(2 ** 20);
    } finally {
      pool.close();
      await fits.close();
    }
  });

  it('through the gateway: only the bank and the subgraph parts fail, named, with nothing internal', async () => {
    const bank = await hugeAnswer(400, false);
    const messaging = await hugeAnswer(400, true);
    const stack = await startTestStack({
      env: { BANK_REGISTRY_FILE: registryAt(bank.url), SUBGRAPH_URL_MESSAGING: messaging.url, SUBGRAPH_MAX_RESPONSE_BYTES: '1000000' },
    });
    try {
      const res = await stack.query('{ me { displayName accounts { id } conversations { id } } }', {}, { token: await stack.token({ sub: 'alice' }) });
      expect(res.status).toBe(200);
      expect(res.body.data.me).toEqual({ displayName: 'Alice Martin', accounts: null, conversations: null });
      expect(errorsAt(res).sort((a, b) => a.path!.localeCompare(b.path!))).toEqual([
        expect.objectContaining({ path: 'me.accounts', code: 'SUBGRAPH_UNAVAILABLE', service: 'bank-account', bank: 'northwind' }),
        { path: 'me.conversations', code: 'SUBGRAPH_UNAVAILABLE', service: 'messaging', serviceName: 'messaging', message: 'The messaging service is unavailable.' },
      ]);
      expect(JSON.stringify(res.body)).not.toMatch(/bytes|larger|127\.0\.0\.1|AAAA/);
      expect(bank.sent() + messaging.sent()).toBeLessThan(64 * 2 ** 20);
    } finally {
      await stack.close();
      await bank.close();
      await messaging.close();
    }
  });
});
