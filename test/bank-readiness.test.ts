// The gateway's /ready calls each bank the way every bank call goes, with a token minted for that
// bank alone, and checks that it answers as the registry's bank: a bank that loads another gateway
// key or expects another audience (every call would fail with 401), or a deployment of another
// bank at the registered address, is reported down, not "ready". A bank served under a path
// prefix (https://host/consent/graphql) is probed at its prefix (…/consent/ready), and the
// conformance checker reaches its records routes there too.
import { createPrivateKey } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBankSubgraph } from '@consent-gateway/kit/bank';
import { createMongoBankStore } from '@consent-gateway/kit/bank-mongo';
import { createSubgraph, listenSubgraph, type ListeningSubgraph } from '@consent-gateway/kit/create-subgraph';
import { parseGatewayKeys } from '@consent-gateway/kit/internal-token';
import { createCaller } from '../kit/src/conformance/caller.ts';
import { recordsChecks } from '../kit/src/conformance/records.ts';
import { bankDatabaseName } from '../subgraphs/registry.ts';
import { startTestStack, type TestStack } from './support/stack.ts';

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => unknown;

async function serve(handler: Handler): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => void handler(req, body, res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}
const json = (res: ServerResponse, status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));

let stack: TestStack;
let fabrikam: ListeningSubgraph;
const servers: Server[] = [];
let registry: Array<{ id: string; name: string; url: string }>;

beforeAll(async () => {
  stack = await startTestStack({ seedData: false });
  // A real bank built with the kit, trusting the gateway's key, behind a reverse proxy that serves
  // it under /consent/ (and nothing at the root).
  const db = stack.client.db(bankDatabaseName(stack.dbPrefix, 'fabrikam-ready'));
  const store = createMongoBankStore(db);
  await store.ensureIndexes();
  const bank = createBankSubgraph({ bank: { id: 'fabrikam', name: 'Fabrikam Bank' }, store });
  const subgraph = await createSubgraph(bank.definition, { ...bank.runtime, gatewayKey: parseGatewayKeys(readFileSync(stack.keys.gatewayPublic, 'utf8')), auditKey: stack.auditKeys['bank-northwind']! });
  fabrikam = await listenSubgraph(subgraph, 0);
  const proxy = await serve(async (req, body, res) => {
    if (!req.url?.startsWith('/consent/')) return json(res, 404, { errors: [{ message: 'no such route' }] });
    const headers: Record<string, string> = {};
    for (const name of ['content-type', 'authorization', 'accept']) if (typeof req.headers[name] === 'string') headers[name] = req.headers[name] as string;
    const answer = await fetch(`${fabrikam.url}/${req.url.slice('/consent/'.length)}`, { method: req.method, headers, body: req.method === 'POST' ? body : undefined });
    res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' }).end(await answer.text());
  });
  // A bank that loads some other key: ready, but refuses every call of the gateway's.
  const otherKey = await serve((req, _body, res) => (req.method === 'GET' ? json(res, 200, { status: 'ready' }) : json(res, 401, { errors: [{ message: 'invalid gateway token', extensions: { code: 'UNAUTHENTICATED' } }] })));
  // Something at the address that answers as another bank.
  const impostor = await serve((req, _body, res) => (req.method === 'GET' ? json(res, 200, { status: 'ready' }) : json(res, 200, { data: { banks: [{ id: 'someone-else' }] } })));
  servers.push(proxy.server, otherKey.server, impostor.server);
  registry = [
    { id: 'northwind', name: 'Northwind Bank', url: `${stack.banks.northwind!.url}/graphql` },
    // contoso's entry points at northwind's deployment: its tokens (audience bank:contoso) are refused.
    { id: 'contoso', name: 'Contoso Bank', url: `${stack.banks.northwind!.url}/graphql` },
    { id: 'fabrikam', name: 'Fabrikam Bank', url: `${proxy.url}/consent/graphql` },
    { id: 'tailspin', name: 'Tailspin Bank', url: `${otherKey.url}/graphql` },
    { id: 'woodgrove', name: 'Woodgrove Bank', url: `${impostor.url}/graphql` },
  ];
  writeFileSync(stack.registryFile, JSON.stringify(registry));
  stack.gateway.bankRegistry.reload();
});
afterAll(async () => {
  for (const server of servers) await new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve())));
  await fabrikam?.stop();
  await stack?.close();
});

/** The gateway's /ready as this machine sees it (with details), once the probes of `banks` are in. */
async function readyWith(banks: string[]): Promise<Record<string, any>> {
  for (let i = 0; ; i++) {
    const body = (await (await fetch(`${stack.gateway.url}/ready`)).json()) as Record<string, any>;
    if (banks.every((b) => b in (body.banks ?? {})) && Object.keys(body.banks).length === banks.length) return body;
    if (i > 40) throw new Error(`the gateway's /ready never probed ${banks.join(', ')}: ${JSON.stringify(body)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe("the gateway's bank readiness probe", () => {
  it('calls each bank as the gateway does and marks down a bank that refuses its token or answers as another bank', async () => {
    const body = await readyWith(registry.map((b) => b.id));
    expect(body.status).toBe('degraded');
    expect(body.banks.northwind.ok).toBe(true);
    // Served under a prefix: /ready at the prefix, the call at the GraphQL URL, both answered.
    expect(body.banks.fabrikam, JSON.stringify(body.banks.fabrikam)).toMatchObject({ ok: true, detail: { status: 'ready', bank: 'fabrikam' } });
    expect(body.banks.contoso).toMatchObject({ ok: false, detail: { problem: expect.stringMatching(/refuses the gateway's token for bank:contoso \(HTTP 401\)/) } });
    expect(body.banks.tailspin).toMatchObject({ ok: false, detail: { status: 'ready', problem: expect.stringMatching(/refuses the gateway's token for bank:tailspin/) } });
    expect(body.banks.woodgrove).toMatchObject({ ok: false, detail: { problem: 'answers as bank someone-else, not woodgrove' } });
  });

  it('is ready again once the registry is right, with no restart', async () => {
    const right = [registry[0]!, { id: 'contoso', name: 'Contoso Bank', url: `${stack.banks.contoso!.url}/graphql` }, registry[2]!];
    writeFileSync(stack.registryFile, JSON.stringify(right));
    stack.gateway.bankRegistry.reload();
    // The probes of one round are reused for two seconds.
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    const body = await readyWith(right.map((b) => b.id));
    expect(body.status, JSON.stringify(body.banks)).toBe('ready');
  });
});

describe('check:bank under a path prefix', () => {
  it("reaches the records routes beside the prefixed GraphQL URL (…/consent/records/…)", async () => {
    const caller = createCaller(registry[2]!.url, 'fabrikam', createPrivateKey(readFileSync(stack.keys.gatewayPrivate, 'utf8')));
    const result = await recordsChecks(caller, 'fabrikam', ['conformance-prefix-customer']);
    expect(result.details).toEqual([]);
  });
});
