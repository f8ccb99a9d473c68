// The gateway gives up on a call at its timeout and tells the client it failed; a bank (or
// subgraph) that gets to that call later, after a pause, must not carry it out after all. Every
// internal token carries the moment the gateway stops waiting (`dl`, epoch ms), and the kit refuses
// a request whose deadline has passed (504 DEADLINE_EXCEEDED) before running any of it, and checks
// again before each root mutation field. Shown on a real bank and its database: directly with
// tokens of our own, and through the gateway with a bank whose requests are held past
// BANK_TIMEOUT_MS.
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBankSubgraph } from '@consent-gateway/kit/bank';
import { createMongoBankStore, type ConsentDoc } from '@consent-gateway/kit/bank-mongo';
import { createSubgraph, listenSubgraph } from '@consent-gateway/kit/create-subgraph';
import type { Identity } from '@consent-gateway/kit/identity';
import { bankAudience, InternalTokenError, mintInternalToken, verifyInternalToken } from '@consent-gateway/kit/internal-token';
import { postGraphQL, startTestStack, type TestStack } from './support/stack.ts';

const BANK_TIMEOUT_MS = 2_000;
/** How long the held bank gets each request after the gateway sent it: well past BANK_TIMEOUT_MS. */
const HOLD_MS = 2_500;

let stack: TestStack;
let gatewayKey: KeyObject;
beforeAll(async () => {
  stack = await startTestStack({ env: { BANK_TIMEOUT_MS: String(BANK_TIMEOUT_MS) } });
  gatewayKey = createPrivateKey(readFileSync(stack.keys.gatewayPrivate, 'utf8'));
});
afterAll(() => stack?.close());

const alice: Identity = { sub: 'alice', client: 'messenger-web', clientType: 'first-party', roles: ['user'], purpose: 'customer_service' };
let grantCount = 0;
/** A grant with terms of its own each time (its own expiry): a bank refuses a duplicate of a live consent. */
const GRANT = () =>
  `mutation { grantConsent(input: { bankId: "contoso", permissions: [ACCOUNTS_BASIC], purposes: [FRAUD_PREVENTION], expiresAt: "${new Date(Date.UTC(2100, 0, 1) + ++grantCount * 60_000).toISOString()}" }) { id } }`;
const consents = () => stack.dbs.banks.contoso!.collection<ConsentDoc>('consents');
const alicesConsents = () => consents().countDocuments({ userId: 'alice' });
const contosoDb = () => stack.dbs.banks.contoso!.databaseName;

let requestCount = 0;
/** A token for contoso as the gateway mints it, with the deadline given (epoch ms), or none. */
const tokenFor = (deadline: number | undefined, identity: Identity = alice) =>
  mintInternalToken({ identity, requestId: `deadline-test-${++requestCount}`, ...(deadline !== undefined && { deadline }) }, bankAudience('contoso'), gatewayKey);
const callContoso = async (query: string, deadline: number | undefined, url = `${stack.banks.contoso!.url}/graphql`) =>
  postGraphQL(url, { query }, { authorization: `Bearer ${await tokenFor(deadline)}` });

describe('the deadline claim', () => {
  it('travels as `dl` in epoch milliseconds; a token without one has none; one that is not a time is refused', async () => {
    const publicKey = createPublicKey(gatewayKey);
    const deadline = Date.now() + 5_000;
    const token = await tokenFor(deadline);
    expect(JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).dl).toBe(deadline);
    expect((await verifyInternalToken(token, bankAudience('contoso'), publicKey)).deadline).toBe(deadline);
    expect((await verifyInternalToken(await tokenFor(undefined), bankAudience('contoso'), publicKey)).deadline).toBeUndefined();
    await expect(verifyInternalToken(await tokenFor(Number.NaN), bankAudience('contoso'), publicKey)).rejects.toThrow(InternalTokenError);
    // In seconds by mistake: long before the token was issued, said so.
    await expect(verifyInternalToken(await tokenFor(Math.floor(deadline / 1000)), bankAudience('contoso'), publicKey)).rejects.toThrow(/not seconds/);
  });
});

describe('a bank given a call whose deadline has passed', () => {
  it('refuses a grant with 504 DEADLINE_EXCEEDED and touches nothing: no read, no write, no record', async () => {
    const before = await alicesConsents();
    const { result: res, commands } = await stack.commands.watch(() => callContoso(GRANT(), Date.now() - 1));
    expect(res.status).toBe(504);
    expect(res.body.data).toBeUndefined();
    expect(res.body.errors).toMatchObject([{ extensions: { code: 'DEADLINE_EXCEEDED' } }]);
    expect(res.body.errors![0]!.message).toMatch(/stopped waiting.*none of it was run/);
    expect(commands.filter((c) => c.db === contosoDb())).toEqual([]);
    expect(await alicesConsents()).toBe(before);
  });

  it('refuses a query too: nobody is waiting for its answer', async () => {
    const res = await callContoso('{ __typename }', Date.now() - 1);
    expect(res.status).toBe(504);
    expect(res.body.errors?.[0]?.extensions?.code).toBe('DEADLINE_EXCEEDED');
  });

  it('carries out a grant within its deadline, and one whose token has no deadline (an older gateway)', async () => {
    const before = await alicesConsents();
    const within = await callContoso(GRANT(), Date.now() + 10_000);
    expect(within.body.errors).toBeUndefined();
    expect(await consents().findOne({ _id: within.body.data.grantConsent.id })).toMatchObject({ userId: 'alice' });
    const without = await callContoso(GRANT(), undefined);
    expect(without.body.errors).toBeUndefined();
    expect(await alicesConsents()).toBe(before + 2);
  });

  it('writes nothing more once the deadline passes during the request: each mutation field checks it before it runs', async () => {
    // A bank whose revoke is slow: the first field of the operation outlasts the deadline.
    const deadline = Date.now() + 2_000;
    const store = createMongoBankStore(stack.dbs.banks.contoso!);
    const slowRevoke: typeof store.revokeConsent = async (change) => (await sleep(deadline - Date.now() + 50), store.revokeConsent(change));
    const bank = createBankSubgraph({ bank: { id: 'contoso', name: 'Contoso Bank' }, store: { ...store, revokeConsent: slowRevoke } });
    const slow = await listenSubgraph(
      await createSubgraph(bank.definition, { ...bank.runtime, gatewayKey: createPublicKey(gatewayKey), auditKey: 'a test audit key of at least 32 characters' }),
      0,
    );
    try {
      const granted = await callContoso(GRANT(), undefined);
      const id = granted.body.data.grantConsent.id as string;
      const before = await alicesConsents();
      const both = `mutation { revoked: revokeConsent(id: "${id}") { id } granted: ${GRANT().slice('mutation { '.length)}`;
      const res = await callContoso(both, deadline, `${slow.url}/graphql`);
      // The revoke had started in time and went through; the grant after it was refused.
      expect(res.body.errors).toMatchObject([{ path: ['granted'], message: expect.stringMatching(/this was not done/), extensions: { code: 'DEADLINE_EXCEEDED' } }]);
      expect(await consents().findOne({ _id: id })).toMatchObject({ revokedAt: expect.any(String) });
      expect(await alicesConsents()).toBe(before);
    } finally {
      await slow.stop();
    }
  });
});

/**
 * A stand-in for a bank that was paused: each request is read at once, then handed to the real
 * bank `holdMs` later, whether or not the gateway is still waiting; what the bank answered is kept.
 */
async function heldBank(target: string) {
  const answers: Array<Promise<{ status: number; body: any; lateMs: number }>> = [];
  const held = { holdMs: 0 };
  const server = createServer(async (req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const holdMs = held.holdMs;
    const answer = (async () => {
      await sleep(holdMs);
      // How long after the token's deadline the bank gets the request.
      const lateMs = Date.now() - JSON.parse(Buffer.from(String(req.headers.authorization).split('.')[1]!, 'base64url').toString()).dl;
      const upstream = await fetch(new URL(req.url ?? '/', target), {
        method: req.method,
        headers: { 'content-type': String(req.headers['content-type']), authorization: String(req.headers.authorization) },
        body: Buffer.concat(chunks),
      });
      return { status: upstream.status, body: await upstream.json(), lateMs };
    })();
    answers.push(answer);
    try {
      const { status, body } = await answer;
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    } catch {
      res.destroy();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    held,
    answers,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

describe('through the gateway, a bank paused past BANK_TIMEOUT_MS', () => {
  it('does not store the grant the client was told failed, once it resumes; one in time is stored', async () => {
    const token = await stack.token({ sub: 'alice' });
    const bank = await heldBank(stack.banks.contoso!.url);
    const registry = readFileSync(stack.registryFile, 'utf8');
    writeFileSync(stack.registryFile, registry.replace(`${stack.banks.contoso!.url}/graphql`, `${bank.url}/graphql`));
    stack.gateway.bankRegistry.reload();
    try {
      const before = await alicesConsents();
      bank.held.holdMs = HOLD_MS;
      const failed = await stack.query(GRANT(), {}, { token });
      expect(failed.body.data).toBeNull();
      expect(failed.body.errors).toMatchObject([{ path: ['grantConsent'], extensions: { code: 'SUBGRAPH_TIMEOUT', bank: 'contoso' } }]);

      // The bank resumes and gets the request: it refuses it, and stores nothing.
      expect(bank.answers).toHaveLength(1);
      const late = await bank.answers[0]!;
      expect(late.lateMs).toBeGreaterThan(0); // it reached the bank after the gateway had stopped waiting
      expect(late).toMatchObject({ status: 504, body: { errors: [{ extensions: { code: 'DEADLINE_EXCEEDED' } }] } });
      expect(await alicesConsents()).toBe(before);

      // The same bank, answering in time, through the same gateway: the grant goes through.
      bank.held.holdMs = 0;
      const granted = await stack.query(GRANT(), {}, { token });
      expect(granted.body.errors).toBeUndefined();
      expect(await alicesConsents()).toBe(before + 1);
    } finally {
      writeFileSync(stack.registryFile, registry);
      stack.gateway.bankRegistry.reload();
      await bank.close();
    }
  });
});
