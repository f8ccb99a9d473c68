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
/** What the played store answers, by route; a function answers by the token (its audience, see setup) and the body asked. */
type Played = { status: number; body: unknown };
const answers: Record<string, Played | ((audience: string, body: any) => Played)> = {};
/** What the played stores were asked, by route. */
const asked: Record<string, unknown[]> = {};

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null');
      (asked[req.url ?? ''] ??= []).push(body);
      const played = answers[req.url ?? ''] ?? { status: 404, body: { errors: [{ message: 'no route', extensions: { code: 'NOT_FOUND' } }] } };
      const answer = typeof played === 'function' ? played(String(req.headers.authorization).replace(/^Bearer /, ''), body) : played;
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
    mint: async (_context, audience) => audience,
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

describe("a store's answer that is not its own (a forged or jammed auditEvents page)", () => {
  const now = Date.now();
  const iso = (minutesAgo: number) => new Date(now - minutesAgo * 60_000).toISOString();
  let n = 0;
  /** A record as `store` keeps it: user-profile's name that subgraph, northwind's that bank. */
  const record = (audience: string, minutesAgo: number, fields: Record<string, unknown> = {}) => ({
    _id: `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`,
    at: iso(minutesAgo),
    requestId: 'r-1',
    subgraph: audience === 'bank:northwind' ? 'bank-account' : 'user-profile',
    bankId: audience === 'bank:northwind' ? 'northwind' : null,
    operationName: null,
    operationHash: null,
    outcome: 'ALLOW',
    reason: null,
    rule: 'isOwner',
    permission: null,
    consentId: null,
    field: 'User.email',
    count: 1,
    viewerKind: 'USER',
    viewerId: 'alice',
    client: 'messenger-web',
    purpose: null,
    subjectUserId: 'alice',
    chain: 'c',
    seq: n,
    prev: 'p',
    hash: 'h',
    v: 1,
    ...fields,
  });
  /** user-profile answers honestly (one record, none for a filter); northwind answers what `bank` makes of what it was asked. */
  const play = (bank: (asked: any) => unknown[]) => {
    const filtered = (asked: any) => Object.values(asked.filter ?? {}).some((v) => v != null);
    answers[RECORDS_ROUTES.auditEvents] = (audience, asked) => ({
      status: 200,
      body: { records: audience === 'bank:northwind' ? bank(asked) : filtered(asked) ? [] : [record(audience, 10)].slice(0, asked.limit) },
    });
  };
  const forged = () => record('bank:northwind', -60 * 24 * 365 * 70, { subgraph: 'user-profile', bankId: 'northwind', viewerId: 'mallory' });

  it.each<[string, (asked: any) => unknown[], Record<string, unknown>?]>([
    ["another store's record (subgraph user-profile, dated 2099): the reviewer's repro", () => Array.from({ length: 51 }, forged)],
    ["a record naming another subgraph", () => [record('bank:northwind', 5, { subgraph: 'user-profile' })]],
    ['a record naming another bank', () => [record('bank:northwind', 5, { bankId: 'contoso' })]],
    ['a record naming no bank', () => [record('bank:northwind', 5, { bankId: null })]],
    ['a record dated in the future', () => [record('bank:northwind', -60)]],
    ['a record that does not match the userId asked', () => [record('bank:northwind', 5, { subjectUserId: 'bob' })], { userId: 'alice' }],
    ['a record that does not match the outcome asked', () => [record('bank:northwind', 5)], { outcome: 'DENY' }],
    ['a record that does not match the viewerId asked', () => [record('bank:northwind', 5)], { viewerId: 'bob' }],
    ['a record that does not match the consent asked', () => [record('bank:northwind', 5, { consentId: 'cns_northwind_1,cns_northwind_2' })], { consentId: 'cns_northwind_3' }],
    ["a record before the filter's from", () => [record('bank:northwind', 120)], { from: iso(60) }],
    ['more records than the limit asked', (asked) => Array.from({ length: asked.limit + 1 }, (_, i) => record('bank:northwind', 20 + i))],
    ['records out of order', () => [record('bank:northwind', 30), record('bank:northwind', 20)]],
    ['the same record twice', () => { const r = record('bank:northwind', 30); return [r, r]; }],
    ['not a list of records', () => [{ nope: true }]],
  ])('%s: that store failed, named, no detail; the honest store\'s records are the page', async (_name, bank, filter) => {
    play(bank);
    const { ctx } = setup();
    const page = await auditEvents(undefined, { filter: filter as any }, ctx);
    expect(page.unavailable).toEqual(['bank:northwind']);
    expect(ctx.problems).toEqual([
      { message: 'The bank northwind is unavailable; its records are missing from this page.', path: ['auditEvents'], extensions: { code: 'SUBGRAPH_UNAVAILABLE', service: 'bank-account', bank: 'northwind' } },
    ]);
    expect(page.edges.map((e) => e.node.subgraph)).toEqual(filter ? [] : ['user-profile']);
    expect(page.edges.every((e) => e.node.viewerId !== 'mallory')).toBe(true);
  });

  it("a record that is not strictly after the cursor sent: the next page is not jammed by the same records", async () => {
    const first = record('bank:northwind', 5);
    play(() => [first]);
    const { ctx } = setup();
    const one = await auditEvents(undefined, { first: 1 }, ctx);
    expect(one.unavailable).toEqual([]);
    expect(one.edges.map((e) => e.node.id)).toEqual([first._id]);
    expect(one.pageInfo.hasNextPage).toBe(true);
    // The bank ignores `after` and answers the same record again: it failed; the next page goes on.
    const two = await auditEvents(undefined, { first: 1, after: one.pageInfo.endCursor }, ctx);
    expect(two.unavailable).toEqual(['bank:northwind']);
    expect(two.edges.map((e) => e.node.subgraph)).toEqual(['user-profile']);
  });

  it('an honest answer is taken: each store its own records, matching the filter, after the cursor, in order', async () => {
    play((asked) => [record('bank:northwind', 3, { outcome: 'DENY', consentId: 'cns_northwind_1,cns_northwind_2' }), record('bank:northwind', 4, { outcome: 'DENY', consentId: 'cns_northwind_2' })].slice(0, asked.limit));
    answers[RECORDS_ROUTES.auditEvents] = ((play) => (audience: string, asked: any) =>
      audience === 'bank:northwind' ? play(audience, asked) : { status: 200, body: { records: [record(audience, 1, { outcome: 'DENY', bankId: 'northwind', consentId: 'cns_northwind_2' })] } })(answers[RECORDS_ROUTES.auditEvents] as any);
    const { ctx } = setup();
    const page = await auditEvents(undefined, { filter: { outcome: 'DENY', consentId: 'cns_northwind_2', userId: 'alice' } }, ctx);
    expect(page.unavailable).toEqual([]);
    expect(ctx.problems).toEqual([]);
    expect(page.edges.map((e) => [e.node.subgraph, e.node.bankId])).toEqual([['user-profile', 'northwind'], ['bank-account', 'northwind'], ['bank-account', 'northwind']]);
  });
});
