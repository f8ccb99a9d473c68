// The gateway's calls to the stores' records routes (gateway/records/stores.ts), against stores
// played by a small HTTP server: a store that refuses what it was asked (a 4xx with its code) gave
// an answer, the caller's mistake, not an outage: it is counted as an answer with errors, and a
// reviewer's query it refused as bad input is one BAD_USER_INPUT, with no store named unavailable.
// A filter value no record can have (a field the schema does not have, a malformed operation hash)
// is refused by the gateway before any store is asked; the request and operation filters reach
// every store as they were given.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { filterValueProblem, RECORDS_ROUTES } from '@consent-gateway/kit/records-routes';
import { bankRegistry } from '../gateway/bank-registry.ts';
import { gatewayMetrics } from '../gateway/observed-calls.ts';
import { auditEvents } from '../gateway/records/audit-events.ts';
import type { RecordsContext } from '../gateway/records/context.ts';
import { createRecordsExecutor, schemaFields } from '../gateway/records/index.ts';
import { recordStores } from '../gateway/records/stores.ts';
import { parsePrometheusText, sampleValue } from './support/prometheus.ts';

let server: Server;
let url: string;
/** What the played store answers, by route. */
const answers: Record<string, { status: number; body: unknown }> = {};
/** What the played stores were asked, by route. */
const asked: Record<string, unknown[]> = {};

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      (asked[req.url ?? ''] ??= []).push(JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null'));
      const answer = answers[req.url ?? ''] ?? { status: 404, body: { errors: [{ message: 'no route', extensions: { code: 'NOT_FOUND' } }] } };
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function setup(fields?: ReadonlySet<string>) {
  const registry = new Registry();
  const metrics = gatewayMetrics(registry);
  const stores = recordStores({
    subgraphs: { 'user-profile': url },
    registry: () => bankRegistry([{ id: 'northwind', name: 'Northwind', url }]),
    mint: async () => 'token',
    subgraphTimeoutMs: 2_000,
    bankTimeoutMs: 2_000,
    dataSubjectTimeoutMs: 2_000,
    concurrency: 4,
    observeCall: metrics.observeCall,
  });
  const calls = async (labels: Record<string, string>) => sampleValue(parsePrometheusText(await registry.metrics()), 'gateway_subgraph_calls_total', labels);
  const ctx = { identity: { sub: 'rita', roles: ['security_reviewer'], client: 'messenger-web', clientType: 'first-party' }, requestId: 'r1', stores, now: new Date(), problems: [], fields } as unknown as RecordsContext;
  return { stores, calls, ctx };
}

describe("a store's refusal", () => {
  it('is an answer with errors, not an outage: counted so, and a bad filter is one BAD_USER_INPUT for the request', async () => {
    answers[RECORDS_ROUTES.auditEvents] = { status: 400, body: { errors: [{ message: 'unknown reason "NEWER_REASON"', extensions: { code: 'BAD_USER_INPUT' } }] } };
    const { stores, calls, ctx } = setup();
    const [answer] = await stores.ask(stores.select().slice(0, 1), RECORDS_ROUTES.auditEvents, { limit: 2 }, ctx);
    expect(answer).toMatchObject({ refusal: { status: 400, code: 'BAD_USER_INPUT' } });
    expect(answer!.failure).toBeUndefined();
    expect(await calls({ subgraph: 'user-profile', bank: '', outcome: 'errors' })).toBe(1);
    expect(await calls({ subgraph: 'user-profile', bank: '', outcome: 'unavailable' })).toBe(0);

    await expect(auditEvents(undefined, { filter: { field: 'User.email' } }, ctx)).rejects.toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
    expect(ctx.problems).toEqual([]);
    expect(await calls({ subgraph: 'bank-account', bank: 'northwind', outcome: 'errors' })).toBe(1);
    expect(await calls({ subgraph: 'bank-account', bank: 'northwind', outcome: 'unavailable' })).toBe(0);
  });

  it('a store that fails (5xx) is still unavailable, and named', async () => {
    answers[RECORDS_ROUTES.auditEvents] = { status: 500, body: { errors: [{ message: 'internal', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] } };
    const { calls, ctx } = setup();
    const page = await auditEvents(undefined, {}, ctx);
    expect(page.unavailable).toEqual(['user-profile', 'bank:northwind']);
    expect(ctx.problems.map((p) => p.extensions?.code)).toEqual(['SUBGRAPH_UNAVAILABLE', 'SUBGRAPH_UNAVAILABLE']);
    expect(await calls({ subgraph: 'user-profile', bank: '', outcome: 'unavailable' })).toBe(1);
  });

  it('a bad filter value is refused by the gateway before any store is asked', async () => {
    const { calls, ctx } = setup();
    await expect(auditEvents(undefined, { filter: { reason: 'bogus' } }, ctx)).rejects.toMatchObject({ message: expect.stringMatching(/"bogus".*OUT_OF_WINDOW/), extensions: { code: 'BAD_USER_INPUT' } });
    expect(await calls({ subgraph: 'user-profile', bank: '' })).toBe(0);
  });
});

describe("a reviewer's filter", () => {
  const supergraph = readFileSync(new URL('../schema/supergraph.graphql', import.meta.url), 'utf8');
  const fields = schemaFields(supergraph);
  const hash = 'ab'.repeat(32);

  it('reaches every store with the request and the operation it names', async () => {
    answers[RECORDS_ROUTES.auditEvents] = { status: 200, body: { records: [] } };
    asked[RECORDS_ROUTES.auditEvents] = [];
    const { ctx } = setup(fields);
    const filter = { requestId: '5f0c8a1e-9d2b-4c61-8f4e-2a7b3c9d0e11', operationName: 'MyOverview', operationHash: hash, field: 'BankAccount.balance' };
    const page = await auditEvents(undefined, { filter }, ctx);
    expect(page.unavailable).toEqual([]);
    expect(asked[RECORDS_ROUTES.auditEvents]).toEqual([
      { filter: { ...filter, subjectUserId: undefined }, limit: 51, after: null },
      { filter: { ...filter, subjectUserId: undefined }, limit: 51, after: null },
    ].map((body) => JSON.parse(JSON.stringify(body))));
  });

  it.each([
    ['field', 'Bogus.x', /"Bogus\.x" names no field of this graph's schema \(Bogus is not a type/],
    ['field', 'User.nope', /"User\.nope" names no field of this graph's schema \(User has no field nope\)$/],
    ['field', 'balance', /not a schema coordinate/],
    ['operationHash', 'abc123', /not a SHA-256/],
    ['operationHash', hash.toUpperCase(), /lower-case hex/],
    ['operationName', 'my-overview', /not a GraphQL operation name/],
  ])('refuses %s %s before asking any store, as it refuses a bad reason', async (name, value, message) => {
    const { calls, ctx } = setup(fields);
    await expect(auditEvents(undefined, { filter: { [name]: value } }, ctx)).rejects.toMatchObject({ message: expect.stringMatching(message), extensions: { code: 'BAD_USER_INPUT', argument: `filter.${name}` } });
    expect(await calls({ subgraph: 'user-profile', bank: '' })).toBe(0);
  });

  it('knows every field of the supergraph, the ones no client reaches (@inaccessible) too', () => {
    for (const field of ['BankAccount.balance', 'User.accounts', 'User.accessLog', 'Query.auditEvents', 'Mutation.eraseMyData', 'Conversation.messages', 'User.bankIds']) expect(fields.has(field), field).toBe(true);
    expect(fields.has('Bogus.x')).toBe(false);
  });

  it('is checked so through the records schema the gateway runs: one BAD_USER_INPUT, no store asked', async () => {
    asked[RECORDS_ROUTES.auditEvents] = [];
    const { stores, ctx } = setup();
    const execute = createRecordsExecutor(stores, { supergraphSdl: supergraph });
    const query = 'query($f: AuditFilter) { auditEvents(filter: $f) { edges { node { id } } } }';
    const result = await execute({ query, variables: { f: { field: 'Bogus.x' } } }, ctx);
    expect(result.errors).toEqual([expect.objectContaining({ path: ['auditEvents'], extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }) })]);
    expect(asked[RECORDS_ROUTES.auditEvents]).toEqual([]);
    // A known field is asked for.
    answers[RECORDS_ROUTES.auditEvents] = { status: 200, body: { records: [] } };
    expect((await execute({ query, variables: { f: { field: 'User.accessLog', requestId: 'r-42' } } }, ctx)).errors).toBeUndefined();
    expect(asked[RECORDS_ROUTES.auditEvents]!.map((b: any) => b.filter)).toEqual([
      { field: 'User.accessLog', requestId: 'r-42' },
      { field: 'User.accessLog', requestId: 'r-42' },
    ]);
  });

  it('is checked again by each store (kit/src/records-routes.ts), with the same words', () => {
    expect(filterValueProblem('operationHash', 'nope')).toMatch(/not a SHA-256/);
    expect(filterValueProblem('operationHash', hash)).toBeUndefined();
    expect(filterValueProblem('operationName', 'MyOverview')).toBeUndefined();
    expect(filterValueProblem('reason', 'bogus')).toMatch(/"bogus" is not a reason code/);
    expect(filterValueProblem('field', 'BankAccount.balance')).toBeUndefined();
    expect(filterValueProblem('requestId', 'anything at all')).toBeUndefined();
  });
});
