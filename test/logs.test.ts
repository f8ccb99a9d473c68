// Structured logs, read as an operator reads them: every line written while a request is served,
// in every service it reached, carries that request's id and the caller's pseudonym; no line holds
// a token, a user id in clear, or a value of the data; refusals and failures are logged with the
// request id too; LOG_LEVEL is validated; `npm start` shows the lines compact.
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '@consent-gateway/kit/config';
import { createLogger, safeError } from '@consent-gateway/kit/log';
import { pseudonym } from '@consent-gateway/kit/pseudonym';
import { loadGatewayConfig } from '../gateway/config.ts';
import { renderLogLine } from '../scripts/log-lines.ts';
import { loadBankConfig } from '../subgraphs/bank/config.ts';
import { loadSubgraphConfig } from '../subgraphs/config.ts';
import { postGraphQL, startTestStack, type TestStack } from './support/stack.ts';

type Line = Record<string, any>;
const lines: Line[] = [];
const raw: string[] = [];
let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({
    log: {
      level: 'debug',
      destination: {
        write: (line: string) => {
          raw.push(line);
          lines.push(JSON.parse(line));
        },
      },
    },
  });
});
afterAll(() => stack?.close());
beforeEach(() => {
  lines.length = 0;
  raw.length = 0;
});

const README_QUERY = `{ me { displayName email accounts { accountNumber balance { minorUnits } transactions(first: 3) { edges { node { amount { minorUnits } merchant { name } } } } }
  conversations { messages(first: 2) { edges { node { body } } } } } }`;
const accessLine = (service: string) => lines.find((l) => l.service === service && l.msg === 'request');

describe('log lines of one request', () => {
  it('carry its request id, the caller as a pseudonym and the client app, in every service it reached', async () => {
    const token = await stack.token({ sub: 'alice' });
    const res = await stack.query(README_QUERY, {}, { token });
    expect(res.status).toBe(200);
    expect(res.body.data.me.accounts.length).toBeGreaterThan(0);

    const requestId = accessLine('gateway')?.requestId;
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Set(lines.map((l) => l.service))).toEqual(new Set(['gateway', 'user-profile', 'messaging', 'bank-northwind']));
    for (const line of lines) {
      expect(line, JSON.stringify(line)).toMatchObject({ requestId, user: pseudonym('alice'), client: 'messenger-web' });
      expect(line.time).toMatch(/^\d{4}-\d\d-\d\dT/);
      expect(['debug', 'info', 'warn', 'error']).toContain(line.level);
    }
    expect(accessLine('gateway')).toMatchObject({ level: 'info', status: 200, operation: 'unnamed', durationMs: expect.any(Number) });
    expect(accessLine('bank-northwind')).toMatchObject({ status: 200 });
    const calls = lines.filter((l) => l.msg === 'subgraph call').map((l) => `${l.subgraph}/${l.bank ?? ''}:${l.outcome}`);
    expect(calls).toEqual(expect.arrayContaining(['user-profile/:ok', 'messaging/:ok', 'bank-account/northwind:errors']));

    // Nothing of the caller's token or identity in clear, nor of the data the request read.
    const alice = stack.data.userProfile.users.find((u) => u._id === 'alice')!;
    const all = raw.join('');
    for (const secret of [token, token.split('.')[2]!, 'alice', alice.displayName, alice.email!, 'Bearer']) expect(all).not.toContain(secret);
    const account = res.body.data.me.accounts[0];
    expect(all).not.toContain(`${account.balance.minorUnits}`);
    for (const edge of account.transactions.edges) expect(all).not.toContain(edge.node.merchant?.name ?? '\u0000');
  });

  it('have the request id for a body refused before any GraphQL is read, and the client is told it', async () => {
    for (const [body, status] of [['{"query": ', 400], [JSON.stringify({ query: `{ me { displayName } } #${'x'.repeat(200_000)}` }), 413]] as const) {
      lines.length = 0;
      const res = await fetch(stack.gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      expect(res.status).toBe(status);
      const requestId = res.headers.get('x-request-id');
      expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
      expect(accessLine('gateway')).toMatchObject({ status, requestId });
    }
  });

  it("carry its request id in every store its records routes reached, each with an access line, and the gateway's call lines", async () => {
    const token = await stack.token({ sub: 'alice' });
    const res = await stack.query('{ myData { complete } }', {}, { token });
    expect(res.body.data.myData.complete).toBe(true);
    const requestId = accessLine('gateway')?.requestId;
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    const stores = ['user-profile', 'messaging', 'bank-northwind', 'bank-contoso'];
    expect(new Set(lines.map((l) => l.service))).toEqual(new Set(['gateway', ...stores]));
    for (const line of lines) expect(line, JSON.stringify(line)).toMatchObject({ requestId, user: pseudonym('alice'), client: 'messenger-web' });
    const operation = accessLine('gateway')!.operation;
    for (const service of stores) expect(accessLine(service), service).toMatchObject({ level: 'info', status: 200, path: '/records/export', operation, durationMs: expect.any(Number) });
    const calls = lines.filter((l) => l.msg === 'subgraph call').map((l) => `${l.subgraph}/${l.bank ?? ''}${l.path}:${l.outcome}`);
    expect(calls.sort()).toEqual(['bank-account/contoso/records/export:ok', 'bank-account/northwind/records/export:ok', 'messaging//records/export:ok', 'user-profile//records/export:ok']);
    expect(raw.join('')).not.toContain('alice@');
  });

  it('have the request id for a refused request too, and never the token it was refused for', async () => {
    const forged = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJtYWxsb3J5In0.bm90LWEtc2lnbmF0dXJl';
    const res = await postGraphQL(stack.gatewayUrl, { query: '{ me { displayName } }' }, { authorization: `Bearer ${forged}` });
    expect(res.status).toBe(401);
    expect(accessLine('gateway')).toMatchObject({ status: 401, requestId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(accessLine('gateway')).not.toHaveProperty('user');
    expect(raw.join('')).not.toMatch(/eyJ|mallory|bm90LWEtc2lnbmF0dXJl/);
  });

  it("name a bank that is down, with the request's id", async () => {
    await stack.banks.northwind!.stop();
    try {
      const res = await stack.query('{ me { accounts { id } } }', {}, { token: await stack.token({ sub: 'alice' }) });
      expect(res.body.errors?.[0]?.extensions).toMatchObject({ code: 'SUBGRAPH_UNAVAILABLE', bank: 'northwind' });
    } finally {
      await stack.banks.northwind!.start();
    }
    const requestId = accessLine('gateway')!.requestId;
    const warning = lines.find((l) => l.level === 'warn' && l.service === 'gateway');
    expect(warning).toMatchObject({ requestId, msg: expect.stringMatching(/^bank northwind .*ECONNREFUSED/) });
    expect(lines.find((l) => l.msg === 'subgraph call' && l.bank === 'northwind')).toMatchObject({ requestId, outcome: 'unavailable' });
  });
});

describe('the logger', () => {
  const capture = () => {
    const out: string[] = [];
    return { out, log: createLogger('test', { level: 'info', destination: { write: (line: string) => void out.push(line) } }) };
  };

  it('redacts authorization headers, tokens and variables, and scrubs token-shaped strings from messages', () => {
    const { out, log } = capture();
    const jwt = 'eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXBhcnQ';
    log.info({ headers: { authorization: 'Bearer abc.def.ghi', cookie: 'session=s1' }, token: 'opaque-s3cret', variables: { amount: 4242 }, note: `token ${jwt}` }, `called with Bearer sekrit-value and ${jwt}`);
    const line = JSON.parse(out[0]!);
    expect(line).toMatchObject({ service: 'test', level: 'info', headers: { authorization: '[redacted]', cookie: '[redacted]' }, token: '[redacted]', variables: '[redacted]' });
    expect(out[0]).not.toMatch(/abc\.def|session=s1|opaque-s3cret|4242|sekrit|eyJhbGci/);
    expect(line.msg).toBe('called with Bearer [redacted] and [redacted-token]');
  });

  it('logs errors by type and message, MongoDB server errors (which quote documents) by code only', () => {
    const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    expect(safeError(new Error('fetch failed', { cause }))).toMatchObject({ type: 'Error', message: 'fetch failed', cause: { code: 'ECONNREFUSED', message: /ECONNREFUSED/ } });
    const duplicate = Object.assign(new Error('E11000 duplicate key error dup key: { email: "alice@example.org" }'), { name: 'MongoServerError', code: 11000, codeName: 'DuplicateKey' });
    expect(safeError(duplicate)).toEqual({ type: 'MongoServerError', code: 11000, codeName: 'DuplicateKey' });
  });

  it('writes nothing below its level', () => {
    const out: string[] = [];
    const log = createLogger('test', { level: 'warn', destination: { write: (line: string) => void out.push(line) } });
    log.info('not shown');
    log.debug('not shown');
    log.warn('shown');
    expect(out.map((l) => JSON.parse(l).msg)).toEqual(['shown']);
  });
});

describe('pseudonyms', () => {
  it('are a keyed hash: stable for one key, different under another, not a plain hash anyone can recompute', () => {
    const a = 'k'.repeat(32);
    const b = 'q'.repeat(32);
    expect(pseudonym('alice', a)).toBe(pseudonym('alice', a));
    expect(pseudonym('alice', a)).toMatch(/^[0-9a-f]{16}$/);
    expect(pseudonym('alice', a)).not.toBe(pseudonym('alice', b));
    expect(pseudonym('alice', a)).not.toBe(pseudonym('bob', a));
    expect(pseudonym('alice', a)).toBe(createHmac('sha256', a).update('alice').digest('hex').slice(0, 16));
  });
});

describe('configuration', () => {
  it('refuses an unknown LOG_LEVEL and a short OBSERVABILITY_ID_KEY in every service, naming them', () => {
    const bad = { LOG_LEVEL: 'loud', OBSERVABILITY_ID_KEY: 'short' };
    const loaders = [
      () => loadGatewayConfig({ AUTH_ISSUER: 'i', AUTH_PUBLIC_KEY_FILE: 'k', GATEWAY_PRIVATE_KEY_FILE: 'k', ...bad }),
      () => loadSubgraphConfig({ SUBGRAPH_NAME: 'messaging', MONGODB_URI: 'mongodb://x', GATEWAY_PUBLIC_KEY_FILE: 'k', AUDIT_KEY_FILE: 'k', ...bad }),
      () => loadBankConfig({ BANK_ID: 'northwind', BANK_NAME: 'N', PORT: '4002', MONGODB_URI: 'mongodb://x', GATEWAY_PUBLIC_KEY_FILE: 'k', AUDIT_KEY_FILE: 'k', ...bad }),
    ];
    for (const load of loaders) {
      expect(load).toThrow(ConfigError);
      expect(load).toThrow(/LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent \(got "loud"\)/);
      expect(load).toThrow(/OBSERVABILITY_ID_KEY must be at least 32 characters/);
    }
    expect(loadSubgraphConfig({ SUBGRAPH_NAME: 'messaging', MONGODB_URI: 'mongodb://x', GATEWAY_PUBLIC_KEY_FILE: 'k', AUDIT_KEY_FILE: 'k', LOG_LEVEL: 'debug' }).observability.logLevel).toBe('debug');
  });
});

describe("npm start's view of the lines", () => {
  it('shows a JSON log line compact after the service name, and other lines as they are', () => {
    const line = JSON.stringify({ level: 'warn', time: '2026-01-01T00:00:00.000Z', service: 'gateway', pid: 1, requestId: 'r1', msg: 'bank northwind: down', err: { type: 'Error', message: 'fetch failed' } });
    expect(renderLogLine(line)).toBe('WARN bank northwind: down requestId=r1 (Error: fetch failed)');
    expect(renderLogLine(JSON.stringify({ level: 'info', msg: 'request', status: 200, pid: 1 }))).toBe('request status=200');
    expect(renderLogLine('plain output')).toBe('plain output');
    expect(renderLogLine('{"not":"a log line"}')).toBe('{"not":"a log line"}');
  });
});
