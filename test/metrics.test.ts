// Prometheus metrics at GET /metrics on every service, read from the outside: the text parses as
// Prometheus' exposition format, a denied field is counted by the bank that denied it, subgraph
// and bank calls are counted by the gateway, calls of the records routes by the service answering them, a rate-limit refusal is counted by kind, a failed
// audit flush is counted (and logged without the values its error quotes), operation labels stay
// bounded, and /metrics is for this machine or an operator only.
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBankSubgraph } from '@consent-gateway/kit/bank';
import { createMongoBankStore } from '@consent-gateway/kit/bank-mongo';
import { createSubgraph, listenSubgraph } from '@consent-gateway/kit/create-subgraph';
import { bankAudience, mintInternalToken } from '@consent-gateway/kit/internal-token';
import { createLogger } from '@consent-gateway/kit/log';
import { OTHER, operationLabels, UNNAMED } from '@consent-gateway/kit/metrics';
import { RECORDS_ROUTES } from '@consent-gateway/kit/records-routes';
import { buildManifest } from '../scripts/persisted.ts';
import { parsePrometheusText, sampleValue, samples, type Family } from './support/prometheus.ts';
import { postGraphQL, startTestStack, type TestStack } from './support/stack.ts';

const OPERATOR_TOKEN = 'operator-token-for-metrics-0123456789abcdef';
// An address of this machine that is not loopback (a request to it arrives from that address);
// a machine with loopback only cannot play a remote caller, so that one test needs one.
const external = Object.values(networkInterfaces())
  .flat()
  .find((i) => i && !i.internal && i.family === 'IPv4')?.address;

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({
    // A small allowance for anonymous callers, so that one is refused; users keep the defaults.
    env: { GATEWAY_HOST: '0.0.0.0', OPERATOR_TOKEN, RATE_LIMIT_ANONYMOUS_BURST: '3', RATE_LIMIT_ANONYMOUS_PER_SECOND: '1' },
  });
});
afterAll(() => stack?.close());

async function metricsOf(service: string): Promise<Map<string, Family>> {
  const res = await fetch(`${stack.serviceUrls()[service]}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parsePrometheusText(await res.text());
}

describe('the Prometheus text reader of these tests', () => {
  it('accepts a well-formed exposition and refuses what Prometheus would refuse', () => {
    const good = '# HELP x_total things\n# TYPE x_total counter\nx_total{a="1",b="q\\"\\n"} 2\n';
    expect(sampleValue(parsePrometheusText(good), 'x_total', { b: 'q"\n' })).toBe(2);
    for (const bad of ['x_total 1\n', '# TYPE x_total counter\nx_total{a="1} 2\n', '# TYPE x_total counter\nx_total{a="1"} two\n', '# TYPE x counter\n# TYPE x gauge\n', '# TYPE x counter\nx 1']) {
      expect(() => parsePrometheusText(bad), bad).toThrow();
    }
    const histogram = (inf: number) => `# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} ${inf}\nh_sum 3\nh_count 2\n`;
    expect(() => parsePrometheusText(histogram(2))).not.toThrow();
    expect(() => parsePrometheusText(histogram(3))).toThrow(/_count/);
  });
});

describe('/metrics', () => {
  it('parses as Prometheus text on every service, with request counts, latencies and process metrics', async () => {
    const alice = await stack.token({ sub: 'alice' });
    expect((await stack.query('{ me { displayName accounts { balance { minorUnits } } } }', {}, { token: alice })).status).toBe(200);
    for (const service of Object.keys(stack.serviceUrls())) {
      const families = await metricsOf(service);
      expect(families.get('graphql_requests_total')?.type, service).toBe('counter');
      expect(families.get('graphql_request_duration_seconds')?.type, service).toBe('histogram');
      expect(families.has('process_cpu_user_seconds_total'), service).toBe(true);
      for (const s of samples(families, 'graphql_requests_total')) expect(s.labels.service).toBe(service);
    }
    expect(sampleValue(await metricsOf('bank-northwind'), 'graphql_requests_total', { status: '200' })).toBeGreaterThan(0);
  });

  it('counts a denied field where it was decided, by field, outcome and reason', async () => {
    const field = { field: 'BankAccount.accountNumber', outcome: 'DENY', reason: 'CONSENT_REQUIRED' };
    const before = sampleValue(await metricsOf('bank-northwind'), 'consent_decisions_total', field);
    // alice's consent does not cover account numbers: one denial per account (she has two at Northwind).
    const res = await stack.query('{ me { accounts { id accountNumber } } }', {}, { token: await stack.token({ sub: 'alice' }) });
    expect(res.body.errors?.map((e) => e.extensions?.reason)).toEqual(['CONSENT_REQUIRED', 'CONSENT_REQUIRED']);
    const after = await metricsOf('bank-northwind');
    expect(sampleValue(after, 'consent_decisions_total', field) - before).toBe(2);
    expect(sampleValue(after, 'consent_decisions_total', { field: 'BankAccount.id', outcome: 'ALLOW', reason: 'none' })).toBeGreaterThan(0);
    expect(sampleValue(after, 'graphql_errors_total', { code: 'FORBIDDEN' })).toBeGreaterThanOrEqual(2);
    // The decisions of another bank are its own: contoso was not asked.
    expect(sampleValue(await metricsOf('bank-contoso'), 'consent_decisions_total', field)).toBe(0);
  });

  it("counts the gateway's calls by subgraph, bank and outcome, and a bank that is down", async () => {
    const token = await stack.token({ sub: 'alice' });
    const calls = async (labels: Record<string, string>) => sampleValue(await metricsOf('gateway'), 'gateway_subgraph_calls_total', labels);
    const northwind = { subgraph: 'bank-account', bank: 'northwind' };
    const [okBefore, downBefore] = [await calls({ ...northwind, outcome: 'ok' }), await calls({ ...northwind, outcome: 'unavailable' })];
    const profileBefore = await calls({ subgraph: 'user-profile', bank: '' });
    expect((await stack.query('{ me { displayName accounts { id } } }', {}, { token })).body.errors).toBeUndefined();
    expect(await calls({ ...northwind, outcome: 'ok' })).toBe(okBefore + 1);
    expect(await calls({ subgraph: 'user-profile', bank: '' })).toBe(profileBefore + 1);
    await stack.banks.northwind!.stop();
    try {
      const res = await stack.query('{ me { accounts { id } } }', {}, { token });
      expect(res.body.errors?.[0]?.extensions).toMatchObject({ code: 'SUBGRAPH_UNAVAILABLE', bank: 'northwind' });
    } finally {
      await stack.banks.northwind!.start();
    }
    expect(await calls({ ...northwind, outcome: 'unavailable' })).toBe(downBefore + 1);
    const families = await metricsOf('gateway');
    expect(sampleValue(families, 'gateway_subgraph_call_duration_seconds_count', northwind)).toBeGreaterThanOrEqual(okBefore + 2);
  });

  it("counts the gateway's calls to every store's records routes like its other calls, and none for a filter it refuses itself", async () => {
    const calls = async () => {
      const families = await metricsOf('gateway');
      const of = (subgraph: string, bank = '', outcome?: string) => sampleValue(families, 'gateway_subgraph_calls_total', { subgraph, bank, ...(outcome ? { outcome } : {}) });
      return { 'user-profile': of('user-profile'), messaging: of('messaging'), northwind: of('bank-account', 'northwind'), contoso: of('bank-account', 'contoso'), unavailable: of('user-profile', '', 'unavailable') };
    };
    const diff = (a: Record<string, number>, b: Record<string, number>) => Object.fromEntries(Object.keys(b).map((k) => [k, b[k]! - a[k]!]));
    let before = await calls();
    expect((await stack.query('{ myData { complete } }', {}, { token: await stack.token({ sub: 'alice' }) })).body.data.myData.complete).toBe(true);
    expect(diff(before, await calls())).toEqual({ 'user-profile': 1, messaging: 1, northwind: 1, contoso: 1, unavailable: 0 });
    expect(sampleValue(await metricsOf('gateway'), 'gateway_subgraph_call_duration_seconds_count', { subgraph: 'bank-account', bank: 'contoso' })).toBeGreaterThan(0);

    const rita = await stack.token({ sub: 'rita', roles: ['security_reviewer'] });
    before = await calls();
    expect((await stack.query('{ auditEvents(filter: { reason: "bogus" }) { edges { node { id } } } }', {}, { token: rita })).status).toBe(400);
    expect(diff(before, await calls())).toEqual({ 'user-profile': 0, messaging: 0, northwind: 0, contoso: 0, unavailable: 0 });
    // A refusal is recorded by user-profile: one call, there only.
    before = await calls();
    await stack.query('{ auditEvents { edges { node { id } } } }', {}, { token: await stack.token({ sub: 'alice' }) });
    expect(diff(before, await calls())).toEqual({ 'user-profile': 1, messaging: 0, northwind: 0, contoso: 0, unavailable: 0 });
  });

  it('counts the calls of its records routes by route and status in every service that answers them, apart from GraphQL requests', async () => {
    const routes = async (service: string) => {
      const families = await metricsOf(service);
      const of = (route: string, status?: string) => sampleValue(families, 'http_route_requests_total', { route, ...(status ? { status } : {}) });
      return {
        auditEvents: of('/records/audit-events', '200'),
        refused: of('/records/audit-events', '401'),
        export: of('/records/export', '200'),
        graphql: sampleValue(families, 'graphql_requests_total'),
        timed: sampleValue(families, 'http_route_request_duration_seconds_count', { route: '/records/audit-events' }),
      };
    };
    const services = ['bank-northwind', 'bank-contoso', 'user-profile', 'messaging'];
    const before = Object.fromEntries(await Promise.all(services.map(async (s) => [s, await routes(s)] as const)));
    const rita = await stack.token({ sub: 'rita', roles: ['security_reviewer'] });
    expect((await stack.query('{ auditEvents(first: 1) { edges { node { id } } } }', {}, { token: rita })).body.errors).toBeUndefined();
    expect((await stack.query('{ myData { complete } }', {}, { token: await stack.token({ sub: 'alice' }) })).body.data.myData.complete).toBe(true);
    // A call without the gateway's token is refused, and counted with its status.
    expect((await fetch(`${stack.serviceUrls()['bank-northwind']}/records/audit-events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"limit":1}' })).status).toBe(401);
    for (const service of services) {
      const after = await routes(service);
      const was = before[service]!;
      expect(after.auditEvents - was.auditEvents, service).toBe(1);
      expect(after.export - was.export, service).toBe(1);
      expect(after.timed - was.timed, service).toBe(service === 'bank-northwind' ? 2 : 1);
      expect(after.refused - was.refused, service).toBe(service === 'bank-northwind' ? 1 : 0);
      // Not GraphQL requests: none of them counted as one.
      expect(after.graphql - was.graphql, service).toBe(0);
    }
    const families = await metricsOf('bank-northwind');
    expect(families.get('http_route_requests_total')?.type).toBe('counter');
    expect(families.get('http_route_request_duration_seconds')?.type).toBe('histogram');
    for (const s of samples(families, 'http_route_requests_total')) expect(Object.values(RECORDS_ROUTES)).toContain(s.labels.route);
  });

  it("labels operations by registered name or our own pages' names only, at the gateway and in every subgraph alike; other names and none are grouped", async () => {
    const token = await stack.token({ sub: 'alice' });
    const overview = buildManifest(new URL('../operations', import.meta.url).pathname).operations.find((op) => op.name === 'MyOverview')!;
    const invented = `Invented${Date.now()}`;
    expect((await postGraphQL(stack.gatewayUrl, { extensions: { persistedQuery: { version: 1, sha256Hash: overview.id } } }, { authorization: `Bearer ${token}` })).status).toBe(200);
    expect((await stack.query(`query ${invented} { me { displayName } }`, {}, { token })).status).toBe(200);
    const gateway = await metricsOf('gateway');
    expect(sampleValue(gateway, 'graphql_requests_total', { operation: 'MyOverview', status: '200' })).toBe(1);
    expect(sampleValue(gateway, 'graphql_requests_total', { operation: OTHER })).toBeGreaterThan(0);
    expect(sampleValue(gateway, 'graphql_requests_total', { operation: UNNAMED })).toBeGreaterThan(0);
    expect(samples(gateway, 'graphql_requests_total').some((s) => s.labels.operation === invented)).toBe(false);
    // Subgraphs label by the gateway's label, carried in its token: the registered name, and the
    // invented one as `other` (the planner's `Invented…__user_profile__0` would be the client's choice).
    const profile = await metricsOf('user-profile');
    expect(sampleValue(profile, 'graphql_requests_total', { operation: 'MyOverview' })).toBe(1);
    expect(samples(profile, 'graphql_requests_total').some((s) => s.labels.operation?.startsWith('Invented'))).toBe(false);
    expect(sampleValue(profile, 'graphql_requests_total', { operation: OTHER })).toBeGreaterThan(0);
    // The privacy centre's own operations are named too (files we ship, not a caller's choice).
    expect((await stack.query('query PrivacyCentre { me { displayName } }', {}, { token })).status).toBe(200);
    expect(sampleValue(await metricsOf('gateway'), 'graphql_requests_total', { operation: 'PrivacyCentre', status: '200' })).toBe(1);
    expect(sampleValue(await metricsOf('user-profile'), 'graphql_requests_total', { operation: 'PrivacyCentre' })).toBe(1);
  });

  it('keeps operation labels bounded whatever names arrive', () => {
    const label = operationLabels({ extra: 100 });
    const labels = new Set(Array.from({ length: 1_000 }, (_, i) => label(`Op${i}__user_profile__${i % 3}`)));
    expect(labels.size).toBe(101);
    expect(labels.has(OTHER)).toBe(true);
    expect(label('Op5')).toBe('Op5');
    expect(label('not a name; DROP')).toBe(OTHER);
    expect(label(null)).toBe(UNNAMED);
    const known = operationLabels({ known: ['MyOverview'] });
    expect([known('MyOverview'), known('Anything'), known(undefined)]).toEqual(['MyOverview', OTHER, UNNAMED]);
  });

  it('counts rate-limit refusals by kind of bucket', async () => {
    const before = sampleValue(await metricsOf('gateway'), 'gateway_rate_limit_refusals_total', { kind: 'address' });
    const statuses: number[] = [];
    for (let i = 0; i < 20 && !statuses.includes(429); i++) statuses.push((await stack.query('{ banks { id } }')).status);
    expect(statuses).toContain(429);
    const families = await metricsOf('gateway');
    expect(sampleValue(families, 'gateway_rate_limit_refusals_total', { kind: 'address' })).toBe(before + 1);
    expect(sampleValue(families, 'gateway_rate_limit_refusals_total', { kind: 'user' })).toBe(0);
    expect(sampleValue(families, 'graphql_requests_total', { status: '429' })).toBe(1);
    expect(sampleValue(families, 'graphql_errors_total', { code: 'RATE_LIMITED' })).toBe(1);
  });

  it.skipIf(!external)('is refused to a caller that is not on this machine, unless it shows the operator token', async () => {
    const { port } = new URL(stack.gateway.url);
    const url = `http://${external}:${port}/metrics`;
    const refused = await fetch(url);
    expect(refused.status).toBe(403);
    expect(await refused.json()).toEqual({ errors: [{ message: expect.stringMatching(/operator/), extensions: { code: 'FORBIDDEN' } }] });
    expect((await fetch(url, { headers: { authorization: `Bearer ${OPERATOR_TOKEN}x` } })).status).toBe(403);
    const allowed = await fetch(url, { headers: { authorization: `Bearer ${OPERATOR_TOKEN}` } });
    expect(allowed.status).toBe(200);
    expect(parsePrometheusText(await allowed.text()).has('graphql_requests_total')).toBe(true);
  });
});

describe('a failed audit flush', () => {
  it('is counted and logged with the request id, without the values its error quotes; the answer still goes out', async () => {
    const lines: string[] = [];
    const store = createMongoBankStore(stack.dbs.banks.northwind!);
    const bank = createBankSubgraph({ bank: { id: 'northwind', name: 'Northwind Bank' }, store });
    const failing = await createSubgraph(bank.definition, {
      ...bank.runtime,
      audit: {
        ...bank.runtime.audit,
        appendRecords: async () => {
          // What a MongoDB server error says about a duplicate key: the document's values.
          throw Object.assign(new Error('E11000 duplicate key error collection: decisions index: _id_ dup key: { subjectUserId: "alice" }'), { name: 'MongoServerError', code: 11000 });
        },
      },
      gatewayKey: createPublicKey(readFileSync(stack.keys.gatewayPublic, 'utf8')),
      auditKey: 'a test audit key of at least 32 characters',
      log: createLogger('bank-northwind', { level: 'info', destination: { write: (line: string) => void lines.push(line) } }),
    });
    const listening = await listenSubgraph(failing, 0);
    try {
      const identity = { sub: 'alice', client: 'messenger-web', clientType: 'first-party' as const, roles: ['user' as const], purpose: 'customer_service' as const };
      const token = await mintInternalToken({ identity, requestId: 'flush-test-1' }, bankAudience('northwind'), createPrivateKey(readFileSync(stack.keys.gatewayPrivate, 'utf8')));
      const res = await postGraphQL(`${listening.url}/graphql`, { query: 'query($r: [_Any!]!) { _entities(representations: $r) { ... on User { accounts { id } } } }', variables: { r: [{ __typename: 'User', id: 'alice' }] } }, { authorization: `Bearer ${token}` });
      expect(res.status).toBe(200);
      expect(res.body.data._entities[0].accounts).toHaveLength(2);
      const metrics = parsePrometheusText(await (await fetch(`${listening.url}/metrics`)).text());
      expect(sampleValue(metrics, 'audit_flush_failures_total')).toBe(1);
      const failure = lines.map((l) => JSON.parse(l)).find((l) => /audit flush failed/.test(l.msg));
      expect(failure).toMatchObject({ level: 'error', service: 'bank-northwind', requestId: 'flush-test-1', err: { type: 'MongoServerError', code: 11000 } });
      expect(lines.join('\n')).not.toMatch(/alice|dup key/);
    } finally {
      await listening.stop();
    }
  });
});
