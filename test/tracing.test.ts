// OpenTelemetry traces, with an in-memory exporter standing in for the operator's collector: one
// request through the gateway is one trace, from the gateway through the platform subgraphs and
// the bank to MongoDB, every parent link right (W3C trace context across the HTTP calls), and no
// attribute holds a user id, a token, an amount, an email or a database command's contents; so is
// a request the gateway answers from every store's records routes (an export). Then
// the real exporter, configured by the standard variables, delivers spans to a receiver on
// loopback; with nothing configured, nothing is started.
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnvReader } from '@consent-gateway/kit/config';
import { pseudonym } from '@consent-gateway/kit/pseudonym';
import { inClientSpan, InMemorySpanExporter, readTracingConfig, startTracing, tracingEnabled, type ReadableSpan, type Tracing } from '@consent-gateway/kit/tracing';
import { startTestStack, type TestStack } from './support/stack.ts';

const QUERY = `{ me { displayName email accounts { balance { minorUnits currency } transactions(first: 3) { edges { node { amount { minorUnits } merchant { name } } } } }
  conversations { messages(first: 2) { edges { node { body } } } } } }`;

const SERVER = 1; // SpanKind.SERVER
const CLIENT = 2; // SpanKind.CLIENT
const parentId = (span: ReadableSpan) => span.parentSpanContext?.spanId;


/** The spans of one trace as a tree: every span but the root hangs from another of them (asserted); a span's ancestors, nearest first. */
function treeOf(spans: ReadableSpan[], root: ReadableSpan) {
  const byId = new Map(spans.map((s) => [s.spanContext().spanId, s]));
  for (const span of spans) if (span !== root) expect(byId.has(parentId(span)!), span.name).toBe(true);
  const ancestors = (span: ReadableSpan) => {
    const chain: ReadableSpan[] = [];
    for (let s = byId.get(parentId(span) ?? ''); s; s = byId.get(parentId(s) ?? '')) chain.push(s);
    return chain;
  };
  return { byId, ancestors };
}
describe('a request through the gateway', () => {
  const exporter = new InMemorySpanExporter();
  const logLines: Array<Record<string, any>> = [];
  let tracing: Tracing;
  let stack: TestStack;
  beforeAll(async () => {
    tracing = await startTracing('consent-gateway-test', { exporter: 'none' }, { exporter });
    // After tracing started: the stack's database client then reports its commands as spans.
    stack = await startTestStack({ log: { level: 'info', destination: { write: (line: string) => void logLines.push(JSON.parse(line)) } } });
  });
  afterAll(async () => {
    await stack?.close();
    await tracing?.shutdown();
  });

  it('is one trace from the gateway through the subgraphs and the bank to MongoDB, with no values in it', async () => {
    const token = await stack.token({ sub: 'alice' });
    exporter.reset();
    logLines.length = 0;
    const res = await stack.query(QUERY, {}, { token });
    expect(res.status).toBe(200);
    const isGatewayRoot = (s: ReadableSpan) => s.kind === SERVER && s.attributes['consent.service'] === 'gateway';
    // The gateway's span ends just after its answer is written: wait for it (no time limit asserted).
    for (let i = 0; i < 200 && !exporter.getFinishedSpans().some(isGatewayRoot); i++) await new Promise((r) => setTimeout(r, 10));

    const roots = exporter.getFinishedSpans().filter(isGatewayRoot);
    expect(roots).toHaveLength(1);
    const root = roots[0]!;
    expect(parentId(root)).toBeUndefined(); // the edge starts the trace
    const spans = exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === root.spanContext().traceId);
    // Every span of the trace hangs from another of the same trace, up to the gateway's.
    const { byId, ancestors } = treeOf(spans, root);

    expect(root.attributes).toMatchObject({ 'http.request.method': 'POST', 'url.path': '/graphql', 'http.response.status_code': 200, 'enduser.pseudo.id': pseudonym('alice') });
    // Apollo Gateway's own spans sit under ours.
    expect(spans.find((s) => s.name === 'gateway.request') && ancestors(spans.find((s) => s.name === 'gateway.request')!)[0]).toBe(root);

    const services = new Map<string, ReadableSpan>();
    for (const s of spans) if (s.kind === SERVER && s !== root) services.set(String(s.attributes['consent.service']), s);
    expect([...services.keys()].sort()).toEqual(['bank-northwind', 'messaging', 'user-profile']);
    for (const [service, server] of services) {
      // Each service continued the trace from the gateway's call to it (traceparent)...
      const call = byId.get(parentId(server)!)!;
      expect(call.kind, service).toBe(CLIENT);
      expect(call.name).toBe(service === 'bank-northwind' ? 'POST bank northwind' : `POST ${service}`);
      expect(ancestors(call)).toContain(root);
      // ...and its database commands are spans under its own, in its own database.
      const commands = spans.filter((s) => s.attributes['db.system.name'] === 'mongodb' && ancestors(s).includes(server));
      expect(commands.length, service).toBeGreaterThan(0);
      for (const command of commands) {
        expect(command.kind).toBe(CLIENT);
        expect(String(command.attributes['db.namespace'])).toBe(`${stack.dbPrefix}${service === 'bank-northwind' ? 'bank_northwind' : service.replace('-', '_')}`);
        expect(command.attributes['db.operation.name']).toEqual(expect.any(String));
      }
    }
    const commands = spans.filter((s) => s.attributes['db.system.name'] === 'mongodb');
    expect(commands.map((s) => s.attributes['db.collection.name'])).toEqual(expect.arrayContaining(['users', 'accounts', 'transactions']));

    // Every log line of the request, in every service, names the trace and the span it was written in.
    expect(new Set(logLines.map((l) => l.service))).toEqual(new Set(['gateway', 'user-profile', 'messaging', 'bank-northwind']));
    for (const line of logLines) {
      expect(line.traceId).toBe(root.spanContext().traceId);
      expect(byId.has(line.spanId), JSON.stringify(line)).toBe(true);
    }
    expect(logLines.find((l) => l.service === 'bank-northwind')!.spanId).toBe(services.get('bank-northwind')!.spanContext().spanId);

    // No values: no command contents, documents, variables; no id of a person, token, amount or email.
    const keys = spans.flatMap((s) => Object.keys(s.attributes));
    for (const key of ['db.statement', 'db.query.text', 'graphql.document', 'graphql.variables', 'http.request.header.authorization']) expect(keys).not.toContain(key);
    const values = spans.flatMap((s) => [s.name, ...Object.values(s.attributes).flat().map(String), ...s.events.map((e) => e.name)]);
    const alice = stack.data.userProfile.users.find((u) => u._id === 'alice')!;
    const me = res.body.data.me;
    const amounts = me.accounts.flatMap((a: any) => [a.balance.minorUnits, ...a.transactions.edges.map((e: any) => e.node.amount.minorUnits)]).map(String);
    for (const value of values) {
      for (const secret of ['alice', alice.displayName, alice.email!, token, token.split('.')[1]!, 'Bearer']) expect(value, value).not.toContain(secret);
      expect(amounts, value).not.toContain(value);
      for (const merchant of me.accounts.flatMap((a: any) => a.transactions.edges.map((e: any) => e.node.merchant?.name)).filter(Boolean)) expect(value).not.toContain(merchant);
    }
  });

  it('an export is one trace too: a client span per store, the store continuing it with its server span, its MongoDB commands under that', async () => {
    const token = await stack.token({ sub: 'alice' });
    exporter.reset();
    const res = await stack.query('{ myData { complete } }', {}, { token });
    expect(res.body.data.myData.complete).toBe(true);
    const isGatewayRoot = (s: ReadableSpan) => s.kind === SERVER && s.attributes['consent.service'] === 'gateway';
    for (let i = 0; i < 200 && !exporter.getFinishedSpans().some(isGatewayRoot); i++) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 50)); // stragglers of other traces, if any, would be there by now

    const spans = exporter.getFinishedSpans();
    const root = spans.find(isGatewayRoot)!;
    // Nothing of this request made a trace of its own (the stores' MongoDB spans were orphan roots).
    expect(new Set(spans.map((s) => s.spanContext().traceId))).toEqual(new Set([root.spanContext().traceId]));
    const { byId, ancestors } = treeOf(spans, root);

    const servers = spans.filter((s) => s.kind === SERVER && s !== root);
    expect(servers.map((s) => String(s.attributes['consent.service'])).sort()).toEqual(['bank-contoso', 'bank-northwind', 'messaging', 'user-profile']);
    for (const server of servers) {
      const service = String(server.attributes['consent.service']);
      expect(server.name).toBe('POST /records/export');
      expect(server.attributes).toMatchObject({ 'url.path': '/records/export', 'http.response.status_code': 200, 'enduser.pseudo.id': pseudonym('alice') });
      const call = byId.get(parentId(server)!)!;
      expect(call.kind, service).toBe(CLIENT);
      expect(call.name).toBe(service.startsWith('bank-') ? `POST bank ${service.slice('bank-'.length)}` : `POST ${service}`);
      expect(call.attributes).toMatchObject({ 'url.path': '/records/export', 'consent.call.outcome': 'ok' });
      expect(ancestors(call)).toContain(root);
      const commands = spans.filter((s) => s.attributes['db.system.name'] === 'mongodb' && ancestors(s).includes(server));
      expect(commands.length, service).toBeGreaterThan(0);
      expect(commands.map((c) => c.attributes['db.collection.name'])).toContain('audit_decisions');
    }
  });
});

describe('exporting', () => {
  it('sends spans over OTLP/HTTP to the configured endpoint only', async () => {
    const received: Array<{ path: string; body: string }> = [];
    const receiver: Server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        received.push({ path: req.url ?? '', body });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const { port } = receiver.address() as { port: number };
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}` };
    Object.assign(process.env, env); // the exporter reads the standard variables itself
    try {
      const config = readTracingConfig(new EnvReader(env));
      expect(config).toEqual({ exporter: 'otlp' });
      const tracing = await startTracing('exporting-test', config);
      expect(tracing.enabled).toBe(true);
      await inClientSpan('POST somewhere', { 'consent.subgraph': 'somewhere' }, async () => undefined);
      await tracing.shutdown(); // flushes
      expect(received.map((r) => r.path)).toEqual(['/v1/traces']);
      const exported = JSON.parse(received[0]!.body);
      expect(JSON.stringify(exported)).toContain('POST somewhere');
      expect(exported.resourceSpans[0].resource.attributes).toContainEqual({ key: 'service.name', value: { stringValue: 'exporting-test' } });
    } finally {
      for (const name of Object.keys(env)) delete process.env[name];
      receiver.close();
    }
  });

  it('starts nothing when nothing is configured, and reads the standard variables the safe way round', async () => {
    const read = (env: Record<string, string>) => readTracingConfig(new EnvReader(env));
    expect(read({})).toEqual({ exporter: 'none' });
    expect(read({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:4318/v1/traces' })).toEqual({ exporter: 'otlp' });
    expect(read({ OTEL_TRACES_EXPORTER: 'otlp' })).toEqual({ exporter: 'otlp' }); // to the standard default, localhost:4318
    expect(read({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' })).toEqual({ exporter: 'none' });
    expect(read({ OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' })).toEqual({ exporter: 'none' });
    const problems = (env: Record<string, string>) => {
      const r = new EnvReader(env);
      readTracingConfig(r);
      return () => r.done('test');
    };
    expect(problems({ OTEL_TRACES_EXPORTER: 'zipkin' })).toThrow(/OTEL_TRACES_EXPORTER must be one of otlp, none/);
    expect(problems({ OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url' })).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT must be a URL/);
    expect(problems({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toThrow(/OTEL_EXPORTER_OTLP_PROTOCOL must be http\/json/);

    const tracing = await startTracing('nothing', read({}));
    expect(tracing.enabled).toBe(false);
    expect(tracingEnabled()).toBe(false);
  });
});
