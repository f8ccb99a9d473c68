// Operations in flight per caller (gateway/in-flight.ts): the buckets count requests, this caps how
// many operations one user (all apps together), or one anonymous client address, may have running
// at once. Over HTTP with the cap at 2: two of alice's operations held at a paused bank, a third
// is refused with 429 RATE_LIMITED and Retry-After before anything is fetched for it, while bob
// runs; and the slots come back however an operation ended (answered, refused by the gate, a
// GraphQL error, the client gone, the bank past its deadline), once each: afterwards the cap is
// exactly 2 again, neither fewer (a leak would lock the user out for good) nor more.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ConfigError } from '@consent-gateway/kit/config';
import { HttpError } from '@consent-gateway/kit/http';
import { loadGatewayConfig } from '../gateway/config.ts';
import { createInFlightLimiter, InFlightCounter } from '../gateway/in-flight.ts';
import { ensureDevKeys } from '../scripts/dev-keys.ts';
import { parsePrometheusText, sampleValue } from './support/prometheus.ts';
import { postGraphQL, startTestStack, type GraphQLResponse, type TestStack } from './support/stack.ts';

describe('the counter', () => {
  it('gives at most `max` slots of a key, each given back once, keys apart, none kept for a key at rest', () => {
    const counter = new InFlightCounter();
    const a1 = counter.acquire('a', 2)!;
    const a2 = counter.acquire('a', 2)!;
    expect(a1).toBeTypeOf('function');
    expect(a2).toBeTypeOf('function');
    expect(counter.acquire('a', 2)).toBeUndefined();
    expect(counter.acquire('b', 2)).toBeTypeOf('function'); // another key has its own
    a1();
    a1(); // a second call of the same release gives back nothing more
    expect(counter.taken('a')).toBe(1);
    const a3 = counter.acquire('a', 2)!;
    expect(counter.acquire('a', 2)).toBeUndefined();
    a2();
    a3();
    a3();
    expect(counter.taken('a')).toBe(0);
    expect(counter.size).toBe(1); // 'a' is dropped, 'b' still holds one
  });
});

const fakeReq = () => ({}) as IncomingMessage;
const fakeRes = {} as ServerResponse;

describe('the limiter', () => {
  it('refuses as the buckets do: 429 RATE_LIMITED, Retry-After 1, extensions { limit, retryAfterSeconds }; counted by kind', () => {
    const refusals: string[] = [];
    const limiter = createInFlightLimiter({ user: 1, anonymous: 1 }, (kind) => refusals.push(kind));
    limiter.user(fakeReq(), 'alice');
    let refusal: unknown;
    try {
      limiter.user(fakeReq(), 'alice');
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(HttpError);
    const { status, errors, options } = refusal as HttpError;
    expect(status).toBe(429);
    expect(errors[0]).toMatchObject({ code: 'RATE_LIMITED', extensions: { limit: 'in-flight per user', retryAfterSeconds: 1 } });
    expect(errors[0]!.message).toMatch(/at most 1\b.*retry after 1 s/);
    expect(options.headers).toEqual({ 'retry-after': '1' });
    limiter.user(fakeReq(), 'bob');
    // An anonymous caller by its address's bucket: an IPv6 one by its /64, an IPv4-mapped one as IPv4.
    limiter.anonymous(fakeReq(), '2001:db8:1:2::1');
    expect(() => limiter.anonymous(fakeReq(), '2001:db8:1:2::ffff')).toThrow(expect.objectContaining({ status: 429, errors: [expect.objectContaining({ extensions: { limit: 'in-flight per address', retryAfterSeconds: 1 } })] }));
    limiter.anonymous(fakeReq(), '192.0.2.7');
    expect(() => limiter.anonymous(fakeReq(), '::ffff:192.0.2.7')).toThrow(HttpError);
    expect(refusals).toEqual(['user-in-flight', 'address-in-flight', 'address-in-flight']);
  });

  it("gives a request's slot back when its handler is done, whether it answered or threw, and once", async () => {
    const limiter = createInFlightLimiter({ user: 1, anonymous: 1 });
    const answered = limiter.releasing(async (req) => limiter.user(req, 'alice'));
    const failed = limiter.releasing(async (req) => {
      limiter.user(req, 'alice');
      throw new Error('the operation failed');
    });
    const refused = limiter.releasing(async (req) => limiter.user(req, 'alice'));
    await answered(fakeReq(), fakeRes);
    expect(limiter.counter.taken('user:alice')).toBe(0);
    await expect(failed(fakeReq(), fakeRes)).rejects.toThrow('the operation failed');
    expect(limiter.counter.taken('user:alice')).toBe(0);
    // A request refused for the cap took no slot, so it gives none back: the holder keeps its own.
    let finish!: () => void;
    const holding = limiter.releasing((req) => (limiter.user(req, 'alice'), new Promise<void>((r) => (finish = r))));
    const held = holding(fakeReq(), fakeRes);
    await expect(refused(fakeReq(), fakeRes)).rejects.toMatchObject({ status: 429 });
    expect(limiter.counter.taken('user:alice')).toBe(1);
    finish();
    await held;
    expect(limiter.counter.taken('user:alice')).toBe(0);
    // One request takes one slot, however often its context is built.
    const twice = limiter.releasing(async (req) => (limiter.user(req, 'alice'), limiter.user(req, 'alice')));
    await twice(fakeReq(), fakeRes);
    expect(limiter.counter.size).toBe(0);
  });
});

describe('configuration', () => {
  const dir = mkdtempSync(join(tmpdir(), 'in-flight-config-'));
  const keys = ensureDevKeys(`${dir}/keys/`);
  const BASE = { AUTH_PUBLIC_KEY_FILE: keys.idpPublic, AUTH_ISSUER: 'test', GATEWAY_PRIVATE_KEY_FILE: keys.gatewayPrivate, GATEWAY_PORT: '0' };

  it('16 per user and 8 per anonymous address unless configured; a bad value is named', () => {
    expect(loadGatewayConfig(BASE).rateLimit.inFlight).toEqual({ user: 16, anonymous: 8 });
    expect(loadGatewayConfig({ ...BASE, RATE_LIMIT_USER_IN_FLIGHT: '4', RATE_LIMIT_ANONYMOUS_IN_FLIGHT: '2' }).rateLimit.inFlight).toEqual({ user: 4, anonymous: 2 });
    expect(() => loadGatewayConfig({ ...BASE, RATE_LIMIT_USER_IN_FLIGHT: '0', RATE_LIMIT_ANONYMOUS_IN_FLIGHT: 'many' })).toThrow(
      /RATE_LIMIT_USER_IN_FLIGHT must be an integer from 1[\s\S]*RATE_LIMIT_ANONYMOUS_IN_FLIGHT must be an integer/,
    );
    expect(() => loadGatewayConfig({ ...BASE, RATE_LIMIT_USER_IN_FLIGHT: '2.5' })).toThrow(ConfigError);
  });
});

/**
 * A bank in front of the real one that holds every call while `hold()` is on, until `release()`:
 * a paused bank. It notes the request id of every call (from the gateway's token), held or not.
 */
async function pausableBank(target: string) {
  const calls: string[] = [];
  let paused: Promise<void> = Promise.resolve();
  let resume = () => {};
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const token = String(req.headers.authorization ?? '').split('.')[1];
    calls.push(token ? String(JSON.parse(Buffer.from(token, 'base64url').toString()).request_id) : '');
    await paused;
    try {
      const upstream = await fetch(new URL(req.url ?? '/', target), {
        method: req.method,
        headers: { 'content-type': String(req.headers['content-type'] ?? 'application/json'), authorization: String(req.headers.authorization ?? '') },
        body: req.method === 'POST' ? Buffer.concat(chunks) : undefined,
      });
      res.writeHead(upstream.status, { 'content-type': 'application/json' }).end(await upstream.text());
    } catch {
      res.destroy();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    calls,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hold: () => void (paused = new Promise<void>((r) => (resume = r))),
    release: () => resume(),
    close: () => (resume(), new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve())))),
  };
}

const BANK_TIMEOUT_MS = 8_000;
let stack: TestStack;
let bank: Awaited<ReturnType<typeof pausableBank>>;
let registry: string;
const token: Record<string, string> = {};
beforeAll(async () => {
  stack = await startTestStack({ env: { RATE_LIMIT_USER_IN_FLIGHT: '2', RATE_LIMIT_ANONYMOUS_IN_FLIGHT: '1', BANK_TIMEOUT_MS: String(BANK_TIMEOUT_MS) } });
  // Northwind, where alice has her accounts, behind a bank that can be paused.
  bank = await pausableBank(stack.banks.northwind!.url);
  registry = readFileSync(stack.registryFile, 'utf8');
  writeFileSync(stack.registryFile, registry.replace(`${stack.banks.northwind!.url}/graphql`, `${bank.url}/graphql`));
  stack.gateway.bankRegistry.reload();
  token.alice = await stack.token({ sub: 'alice' });
  token.aliceOtherApp = await stack.token({ sub: 'alice', client: 'messenger-ios' });
  token.bob = await stack.token({ sub: 'bob' });
  token.forged = 'forged.token.value';
});
afterAll(async () => {
  if (registry) writeFileSync(stack.registryFile, registry);
  await bank?.close();
  await stack?.close();
});

/** Reads northwind: held while the bank is paused. */
const ACCOUNTS = '{ me { accounts { id } } }';
/** Reads no bank. */
const NAME = '{ me { displayName } }';

const send = (query: string, who?: string, signal?: AbortSignal) =>
  fetch(stack.gatewayUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(who ? { authorization: `Bearer ${token[who]}` } : {}) },
    body: JSON.stringify({ query }),
    signal,
  });
const answer = async (res: Response): Promise<GraphQLResponse & { headers: Headers }> => ({ status: res.status, body: await res.json(), headers: res.headers });

/** Starts alice's (or `who`'s; anonymous when null) operations that read northwind, and waits until the paused bank has each of their calls. */
async function heldAt(count: number, { query = ACCOUNTS, who = 'alice' as string | null, signal = undefined as AbortSignal | undefined } = {}) {
  const before = bank.calls.length;
  const requests = Array.from({ length: count }, () => send(query, who ?? undefined, signal));
  await vi.waitFor(() => expect(bank.calls.length).toBe(before + count), { timeout: 10_000, interval: 20 });
  return requests;
}

function expectInFlightRefusal(res: GraphQLResponse & { headers: Headers }, limit = 'in-flight per user') {
  expect(res.status, JSON.stringify(res.body)).toBe(429);
  expect(res.headers.get('retry-after')).toBe('1');
  expect(res.body.data ?? null).toBeNull();
  expect(res.body.errors).toEqual([{ message: expect.stringMatching(/running at once/), extensions: { code: 'RATE_LIMITED', limit, retryAfterSeconds: 1 } }]);
}

/** The cap is exactly 2 again for alice: two held at the bank, the third refused, then all let go. */
async function expectCapOfTwo() {
  bank.hold();
  const held = await heldAt(2);
  expectInFlightRefusal(await answer(await send(NAME, 'alice')));
  bank.release();
  for (const res of await Promise.all(held)) expect(res.status).toBe(200);
  expect((await answer(await send(NAME, 'alice'))).status).toBe(200);
}

const refusalsOf = async (kind: string) =>
  sampleValue(parsePrometheusText(await (await fetch(`${stack.gateway.url}/metrics`)).text()), 'gateway_rate_limit_refusals_total', { kind });

describe('over HTTP, with the cap at 2 per user', () => {
  it("refuses alice's third operation while two are running, fetching nothing for it; bob runs meanwhile; then she runs again", async () => {
    const refusedBefore = await refusalsOf('user-in-flight');
    bank.hold();
    try {
      const held = await heldAt(2);
      const callsBefore = bank.calls.length;

      const third = await answer(await send(ACCOUNTS, 'alice'));
      expectInFlightRefusal(third);
      // Refused before anything was fetched: no bank call carries its request id, none was added.
      const requestId = third.headers.get('x-request-id');
      expect(requestId).toBeTruthy();
      expect(bank.calls).not.toContain(requestId);
      expect(bank.calls.length).toBe(callsBefore);
      // All her apps together: alice from another app is refused too.
      expectInFlightRefusal(await answer(await send(NAME, 'aliceOtherApp')));
      // Another user is not held back by her.
      const bobs = await answer(await send(NAME, 'bob'));
      expect(bobs.status).toBe(200);
      expect(bobs.body.data.me.displayName).toBe('Bob Okafor');
      expect(await refusalsOf('user-in-flight')).toBe(refusedBefore + 2);

      bank.release();
      const done = await Promise.all(held.map(async (r) => answer(await r)));
      for (const res of done) {
        expect(res.status).toBe(200);
        expect(res.body.errors).toBeUndefined();
        expect(res.body.data.me.accounts).toHaveLength(2);
      }
    } finally {
      bank.release();
    }
    await expectCapOfTwo();
  });

  it('gives the slots back after operations that fail: a validation error, a syntax error, GraphQL errors, refused by the gate', async () => {
    const failing = [
      '{ me { accounts { bank { nope } } } }', // Apollo's validation: 400
      '{ me { displayName ', // the gate cannot parse it: 400
      '{ me { displayName } user(id: "bob") { id accounts { id } } }', // answered, with an error (bob's accounts are not hers): 200
      `{ ${'me { '.repeat(40)}${' }'.repeat(40)} }`, // past MAX_QUERY_NESTING, refused by the gate: 400
    ];
    // Three rounds of each, one at a time: with a slot kept by any of them, a round would be refused.
    for (let round = 0; round < 3; round++) {
      const answers = [];
      for (const query of failing) answers.push(await answer(await send(query, 'alice')));
      expect(answers.map((a) => a.status)).toEqual([400, 400, 200, 400]);
      for (const a of answers) expect(a.body.errors?.length).toBeGreaterThan(0);
    }
    await expectCapOfTwo();
  });

  it("holds the slots of operations the client left until the gateway has done with them, then gives them back", async () => {
    bank.hold();
    const leaving = new AbortController();
    try {
      const held = await heldAt(2, { signal: leaving.signal });
      leaving.abort();
      for (const outcome of await Promise.allSettled(held)) expect(outcome.status).toBe('rejected');
      // Their calls are still waiting at the bank (the gateway does not cancel them): still counted.
      expectInFlightRefusal(await answer(await send(NAME, 'alice')));
    } finally {
      bank.release();
    }
    // Once the bank answers, the gateway finishes them (answering into closed sockets) and the slots
    // come back. (A client that leaves before its body is in is logged client_aborted, 499: it never
    // got as far as its context, so it took no slot.)
    await vi.waitFor(async () => expect((await send(NAME, 'alice')).status).toBe(200), { timeout: 10_000, interval: 100 });
    await expectCapOfTwo();
  });

  it('gives the slots back after operations whose bank passed its deadline (BANK_TIMEOUT_MS)', async () => {
    bank.hold();
    try {
      const held = await heldAt(2);
      expectInFlightRefusal(await answer(await send(NAME, 'alice')));
      for (const res of await Promise.all(held.map(async (r) => answer(await r)))) {
        expect(res.status).toBe(200);
        expect(res.body.errors?.[0]?.extensions).toMatchObject({ code: 'SUBGRAPH_TIMEOUT', bank: 'northwind' });
      }
    } finally {
      bank.release();
    }
    expect((await answer(await send(NAME, 'alice'))).status).toBe(200);
    await expectCapOfTwo();
  }, 30_000);

  it('counts anonymous operations by client address (cap 1 here), apart from signed-in users', async () => {
    const account = stack.bank('northwind').accounts.find((a) => a.userId === 'alice')!._id;
    bank.hold();
    try {
      const held = await heldAt(1, { query: `{ bankAccount(id: "${account}") { id } }`, who: null });
      expectInFlightRefusal(await answer(await send('{ banks { id } }')), 'in-flight per address');
      // A signed-in user from the same address is counted as herself, not as the address.
      expect((await answer(await send(NAME, 'alice'))).status).toBe(200);
      // A token that does not verify is refused as ever (it runs nothing, so it needs no slot).
      expect((await send(NAME, 'forged')).status).toBe(401);
      bank.release();
      const done = await answer(await held[0]!);
      expect(done.status).toBe(200);
      expect(done.body.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'NOT_AUTHENTICATED' });
    } finally {
      bank.release();
    }
    expect((await answer(await send('{ banks { id } }'))).status).toBe(200);
  });
});
