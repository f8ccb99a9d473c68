// Hostile headers: forged identity, request smuggling, cross-site requests, compressed bodies,
// method overrides. The identity comes from the token alone; ambiguous framing is refused by
// Node with our error shape; nothing crosses origins.
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { postGraphQL } from '../support/stack.ts';
import { afterTheSuite, expectDenied, expectNoInternals, expectRefusal, hostileStack, sendRaw } from './support.ts';

const hostile = hostileStack();
const FORGED = { 'x-user-id': 'alice', 'x-user': 'alice', 'x-roles': 'security_reviewer', 'x-client-type': 'first-party', 'x-purpose': 'fraud_prevention', 'x-forwarded-user': 'alice' };

const raw = (request: string) => sendRaw(hostile.stack.gateway.url, request);

describe('forged identity headers', () => {
  it("with bob's token: bob stays bob", async () => {
    const bob = await hostile.stack.token({ sub: 'bob' });
    const res = await hostile.stack.query('{ me { id email } }', {}, { token: bob, headers: FORGED });
    expect(res.body.data.me).toEqual({ id: 'bob', email: 'bob@example.org' });
    expectNoInternals(res, ['alice@example.org']);
    const reviewer = await hostile.stack.query('{ auditEvents(first: 1) { edges { node { id } } } }', {}, { token: bob, headers: FORGED });
    expectDenied(reviewer, 'auditEvents', /.+/);
  });

  it('without a token: still anonymous', async () => {
    const res = await hostile.stack.query('{ me { id email } }', {}, { headers: FORGED });
    expectDenied(res, 'me', 'NOT_AUTHENTICATED', ['alice@example.org']);
  });
});

describe('request framing', () => {
  it('both Content-Length and Transfer-Encoding (request smuggling)', async () => {
    const body = '{"query":"{ banks { id } }"}';
    const res = await raw(`POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /admin HTTP/1.1\r\nHost: x\r\n\r\n`);
    expect(res.status).toBe(400);
    expect(res.body.errors[0].extensions.code).toBe('BAD_REQUEST');
  });

  it('two different Content-Length headers', async () => {
    const res = await raw('POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5\r\nContent-Length: 50\r\n\r\n{"a":1}');
    expect(res.status).toBe(400);
    expect(res.body.errors[0].extensions.code).toBe('BAD_REQUEST');
  });

  it('a gzip-compressed body (never decompressed, so no decompression bomb)', async () => {
    const res = await fetch(hostile.stack.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: gzipSync(JSON.stringify({ query: '{ banks { id } }' })),
    });
    expectRefusal({ status: res.status, body: (await res.json()) as any }, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('a method override header is ignored', async () => {
    const res = await postGraphQL(hostile.stack.gatewayUrl, { query: 'mutation { optInToBankMessages(bankId: "contoso") { optedIn } }' }, { 'x-http-method-override': 'GET' });
    expectDenied(res, 'optInToBankMessages', 'NOT_AUTHENTICATED');
  });
});

describe('other origins', () => {
  it('a cross-site GET (no preflight header) runs nothing', async () => {
    const url = `${hostile.stack.gatewayUrl}?${new URLSearchParams({ query: '{ me { email } }' })}`;
    const res = await fetch(url, { headers: { origin: 'https://evil.example', authorization: `Bearer ${await hostile.stack.token({ sub: 'alice' })}` } });
    const body = (await res.json()) as any;
    expectRefusal({ status: res.status, body }, 400, 'BAD_REQUEST', ['alice@example.org']);
  });

  it('a CORS preflight gets no permission', async () => {
    const res = await fetch(hostile.stack.gatewayUrl, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
    });
    expect(res.status).toBe(405);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('a JSON POST from another origin gets no CORS header either (the browser keeps the answer from the page)', async () => {
    const res = await fetch(hostile.stack.gatewayUrl, { method: 'POST', headers: { origin: 'https://evil.example', 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ banks { id } }' }) });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('a foreign Host header changes nothing', async () => {
    const body = JSON.stringify({ query: '{ banks { id } }' });
    const res = await raw(`POST /graphql HTTP/1.1\r\nHost: evil.example\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
    expect(res.status).toBe(200);
    expect(res.body.data.banks.map((b: any) => b.id)).toEqual(['contoso', 'northwind']);
    expect(JSON.stringify(res.body)).not.toContain('evil.example');
  });

  it('answers name no server software', async () => {
    const res = await fetch(hostile.stack.gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ banks { id } }' }) });
    expect(res.headers.get('x-powered-by')).toBeNull();
    expect(res.headers.get('server')).toBeNull();
    expectNoInternals({ status: res.status, body: (await res.json()) as any });
  });
});

afterTheSuite(hostile);
