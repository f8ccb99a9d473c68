// The gateway's calls to the stores' records routes (gateway/records/stores.ts), against stores
// played by a small HTTP server: a store that refuses what it was asked (a 4xx with its code) gave
// an answer, the caller's mistake, not an outage: it is counted as an answer with errors, and a
// reviewer's query it refused as bad input is one BAD_USER_INPUT, with no store named unavailable.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { RECORDS_ROUTES } from '@consent-gateway/kit/records-routes';
import { bankRegistry } from '../gateway/bank-registry.ts';
import { gatewayMetrics } from '../gateway/observed-calls.ts';
import { auditEvents } from '../gateway/records/audit-events.ts';
import type { RecordsContext } from '../gateway/records/context.ts';
import { recordStores } from '../gateway/records/stores.ts';
import { parsePrometheusText, sampleValue } from './support/prometheus.ts';

let server: Server;
let url: string;
/** What the played store answers, by route. */
const answers: Record<string, { status: number; body: unknown }> = {};

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const answer = answers[req.url ?? ''] ?? { status: 404, body: { errors: [{ message: 'no route', extensions: { code: 'NOT_FOUND' } }] } };
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function setup() {
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
  const ctx = { identity: { sub: 'rita', roles: ['security_reviewer'], client: 'messenger-web', clientType: 'first-party' }, requestId: 'r1', stores, now: new Date(), problems: [] } as unknown as RecordsContext;
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
