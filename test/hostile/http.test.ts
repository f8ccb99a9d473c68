// HTTP-level mistakes, honest or not: each is a 4xx with a GraphQL-shaped error and a stable code
// (never a 500), nothing runs, nothing is written.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PERSISTED_OPERATIONS_FILE } from '../../gateway/config.ts';
import { sendHttp } from '../support/stack.ts';
import { afterTheSuite, expectNoInternals, expectRefusal, hostileStack, sendRaw } from './support.ts';

const hostile = hostileStack();
let alice = '';
const auth = async () => (alice ||= await hostile.stack.token({ sub: 'alice' }));

const send = async (init: { method?: string; path?: string; headers?: Record<string, string>; body?: string }) =>
  sendHttp(`${hostile.stack.gateway.url}${init.path ?? '/graphql'}`, { method: init.method ?? 'POST', headers: { authorization: `Bearer ${await auth()}`, ...init.headers }, body: init.body });

const json = (body: unknown, headers: Record<string, string> = {}) => send({ body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } });
const get = (params: Record<string, string>, headers: Record<string, string> = {}) =>
  send({ method: 'GET', path: `/graphql?${new URLSearchParams(params)}`, headers: { 'apollo-require-preflight': 'true', ...headers } });

const raw = (request: string | Buffer) => sendRaw(hostile.stack.gateway.url, request);

describe('which operation to run', () => {
  it('two operations and no operationName', async () => {
    expectRefusal(await json({ query: 'query A { me { id } } query B { me { id } }' }), 400, 'OPERATION_RESOLUTION_FAILURE');
  });
  it('an operationName the document does not have', async () => {
    const res = await json({ query: 'query A { me { id } }', operationName: 'B' });
    expectRefusal(res, 400, 'OPERATION_RESOLUTION_FAILURE');
    expect(res.body.errors![0]!.message).toMatch(/no operation named "B"/);
  });
  it('a document with fragments only', async () => {
    expectRefusal(await json({ query: 'fragment F on User { id }' }), 400, 'OPERATION_RESOLUTION_FAILURE');
  });
  it('a subscription', async () => {
    expectRefusal(await json({ query: 'subscription { me { id } }' }), 400, 'SUBSCRIPTION_NOT_SUPPORTED');
  });
  it('a mutation over GET (and the data is unchanged)', async () => {
    const res = await get({ query: 'mutation { optInToBankMessages(bankId: "contoso") { optedIn } }' });
    expectRefusal(res, 405, 'METHOD_NOT_ALLOWED');
    expect(res.headers.get('allow')).toBe('POST');
  });
  it('a query over GET is answered (control)', async () => {
    const res = await get({ query: '{ me { displayName } }' });
    expect(res.status).toBe(200);
    expect(res.body.data.me.displayName).toBe('Alice Martin');
  });
});

describe('methods, content types and bodies', () => {
  it.each(['PUT', 'DELETE', 'PATCH'])('%s', async (method) => {
    const res = await send({ method, body: JSON.stringify({ query: '{ me { id } }' }), headers: { 'content-type': 'application/json' } });
    expectRefusal(res, 405, 'METHOD_NOT_ALLOWED');
    expect(res.headers.get('allow')).toBe('GET, POST');
  });
  it.each([
    ['text/plain', 'query={ me { id } }'],
    ['application/x-www-form-urlencoded', 'query=%7B%20me%20%7B%20id%20%7D%20%7D'],
    ['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="query"\r\n\r\n{ me { id } }\r\n--x--'],
  ])('a POST sent as %s (what a cross-site form can send)', async (type, body) => {
    expectRefusal(await send({ body, headers: { 'content-type': type } }), 415, 'UNSUPPORTED_MEDIA_TYPE');
  });
  it.each(['application/json-patch+json', 'application/json-seq', 'application/jsonx', 'text/json'])('a POST sent as %s, a type that only looks like JSON', async (type) => {
    expectRefusal(await send({ body: JSON.stringify({ query: '{ me { id } }' }), headers: { 'content-type': type } }), 415, 'UNSUPPORTED_MEDIA_TYPE');
  });
  it.each(['Application/JSON', 'APPLICATION/JSON; Charset=UTF-8', 'application/json ; charset=utf-8'])('media types are case-insensitive, parameters allowed: %s is answered', async (type) => {
    const res = await send({ body: JSON.stringify({ query: '{ me { displayName } }' }), headers: { 'content-type': type } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.data.me.displayName).toBe('Alice Martin');
  });
  it('a POST without a content type', async () => {
    expectRefusal(await send({ body: '{"query":"{ me { id } }"}' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
  });
  it('a body that is not JSON', async () => {
    expectRefusal(await send({ body: '{"query": ', headers: { 'content-type': 'application/json' } }), 400, 'BAD_REQUEST');
  });
  it('an empty body', async () => {
    expectRefusal(await send({ body: '', headers: { 'content-type': 'application/json' } }), 400, 'BAD_REQUEST');
  });
  it('a batch of operations', async () => {
    const batch = Array.from({ length: 50 }, () => ({ query: '{ me { id } }' }));
    expectRefusal(await json(batch), 400, 'BATCH_NOT_SUPPORTED');
  });
  it.each([
    ['a JSON string', '"{ me { id } }"'],
    ['a JSON number', '42'],
    ['null', 'null'],
  ])('a body that is %s', async (_what, body) => {
    expectRefusal(await send({ body, headers: { 'content-type': 'application/json' } }), 400, 'BAD_REQUEST');
  });
  it('a query that is not a string', async () => expectRefusal(await json({ query: { me: 'id' } }), 400, 'BAD_REQUEST'));
  it('variables as a string', async () => expectRefusal(await json({ query: '{ me { id } }', variables: '{"a":1}' }), 400, 'BAD_REQUEST'));
  it('an operationName that is not a string', async () => expectRefusal(await json({ query: '{ me { id } }', operationName: ['A'] }), 400, 'BAD_REQUEST'));
  it('no query at all', async () => expectRefusal(await json({ variables: {} }), 400, 'BAD_REQUEST'));
  it('a body larger than the limit, declared', async () => {
    expectRefusal(await json({ query: `{ me { id } } # ${'x'.repeat(70_000)}` }), 413, 'PAYLOAD_TOO_LARGE');
  });
  it('a body larger than the limit, streamed without a length', async () => {
    const chunk = Buffer.alloc(16_000, 'a');
    const head = `POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`;
    const chunks = Array.from({ length: 5 }, () => Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]));
    const res = await raw(Buffer.concat([Buffer.from(head), ...chunks, Buffer.from('0\r\n\r\n')]));
    expect(res.status).toBe(413);
    expect(res.body.errors[0].extensions.code).toBe('PAYLOAD_TOO_LARGE');
  });
  it('GET with a parameter given twice', async () => {
    expectRefusal(await send({ method: 'GET', path: '/graphql?query=%7B%20me%20%7B%20id%20%7D%20%7D&query=%7B%20banks%20%7B%20id%20%7D%20%7D', headers: { 'apollo-require-preflight': '1' } }), 400, 'BAD_REQUEST');
  });
  it('GET with variables that are not JSON', async () => {
    expectRefusal(await get({ query: '{ me { id } }', variables: '{nope' }), 400, 'BAD_REQUEST');
  });
  it.each([
    ['POST', '/ready'],
    ['POST', '/health'],
    ['DELETE', '/health'],
    ['PUT', '/metrics'],
  ])('%s %s, a route that answers GET: 405 with Allow: GET, not 404', async (method, path) => {
    const res = await send({ method, path, body: method === 'DELETE' ? undefined : '{}', headers: { 'content-type': 'application/json' } });
    expectRefusal(res, 405, 'METHOD_NOT_ALLOWED');
    expect(res.headers.get('allow')).toBe('GET');
  });
  it('a path that is not served', async () => {
    expectRefusal(await send({ method: 'GET', path: '/admin' }), 404, 'NOT_FOUND');
    expectRefusal(await send({ method: 'GET', path: '/graphql/../.env' }), 404, 'NOT_FOUND');
  });
});

describe('persisted operations named twice', () => {
  const manifest = JSON.parse(readFileSync(DEFAULT_PERSISTED_OPERATIONS_FILE, 'utf8')) as { operations: Array<{ id: string; name: string }> };
  const id = (name: string) => manifest.operations.find((o) => o.name === name)!.id;

  it('documentId and a different extensions.persistedQuery.sha256Hash: refused, neither is preferred', async () => {
    const res = await json({ documentId: `sha256:${id('MyConsents')}`, extensions: { persistedQuery: { version: 1, sha256Hash: id('Banks') } } });
    expectRefusal(res, 400, 'PERSISTED_QUERY_ID_CONFLICT');
    const viaGet = await get({ documentId: id('Banks'), extensions: JSON.stringify({ persistedQuery: { version: 1, sha256Hash: id('MyConsents') } }) });
    expectRefusal(viaGet, 400, 'PERSISTED_QUERY_ID_CONFLICT');
  });
  it('the same hash both ways is one operation (control)', async () => {
    const res = await json({ documentId: `sha256:${id('Banks').toUpperCase()}`, extensions: { persistedQuery: { version: 1, sha256Hash: id('Banks') } } });
    expect(res.status).toBe(200);
    expect(res.body.data.banks.length).toBeGreaterThan(0);
  });
});

describe('requests Node itself refuses get the same error shape', () => {
  it('a request line that is not HTTP', async () => {
    const res = await raw('HELLO / WORLD\r\n\r\n');
    expect(res.status).toBe(400);
    expect(res.body.errors[0].extensions.code).toBe('BAD_REQUEST');
  });
  it('headers larger than Node accepts', async () => {
    const res = await raw(`GET /health HTTP/1.1\r\nHost: x\r\nX-Filler: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(res.status).toBe(431);
    expect(res.body.errors[0].extensions.code).toBe('REQUEST_HEADER_FIELDS_TOO_LARGE');
  });
  it('a header with a line break smuggled in', async () => {
    const res = await raw('GET /health HTTP/1.1\r\nHost: x\r\nX-A: b\rX-Injected: c\r\n\r\n');
    expect(res.status).toBe(400);
  });
});

describe('headers that try to change what the gateway reveals', () => {
  it("Apollo's query-plan header gets no query plan", async () => {
    const res = await json({ query: '{ banks { id } }' }, { 'apollo-query-plan-experimental': '1', 'apollo-query-plan-experimental-format': 'internal' });
    expect(res.status).toBe(200);
    expect(res.body).not.toHaveProperty('extensions');
    expectNoInternals(res);
  });
  it('a federated-trace header gets no trace', async () => {
    const res = await json({ query: '{ me { displayName } }' }, { 'apollo-federation-include-trace': 'ftv1' });
    expect(res.body.extensions).toBeUndefined();
    expect(JSON.stringify(res.body)).not.toContain('ftv1');
  });
  it('an Accept header the gateway cannot serve', async () => {
    const res = await json({ query: '{ me { id } }' }, { accept: 'text/html' });
    expect(res.status).toBe(406);
    expectNoInternals(res);
  });
});

afterTheSuite(hostile);
