// The gateway's calls to the stores' records routes (auditEvents, myData, eraseMyData), as an
// attacker at a registered bank's address would play them: a redirect (307 keeps the POST body) to
// a service on the gateway's machine is never followed, an answer of any size is cut off at the
// limit, and both fail that store alone, named, with no detail. A store that gave up at the
// deadline (504 DEADLINE_EXCEEDED) did not answer in time. Each call's token carries the call's
// deadline. One person has one export or erasure at a time; a second one is refused (409
// DATA_SUBJECT_REQUEST_IN_PROGRESS) before any store is asked. The kit's records routes stop at
// the deadline (before judging, between pages of an export's records) and read at most a fixed
// number of decision records for an export, saying what they left out.
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditRecord, AuditStore, DecisionQuery, StoredRecord } from '@consent-gateway/kit/audit';
import { pseudonymizer } from '@consent-gateway/kit/audit-chain';
import { mintInternalToken, verifyInternalToken } from '@consent-gateway/kit/internal-token';
import { RECORDS_ROUTES, recordsRoutes } from '@consent-gateway/kit/records-routes';
import { bankRegistry } from '../gateway/bank-registry.ts';
import { createBankClient } from '../gateway/bank-router/bank-client.ts';
import type { RecordsContext } from '../gateway/records/context.ts';
import { DATA_SUBJECT_REQUEST_IN_PROGRESS } from '../gateway/records/data-subject.ts';
import { createRecordsExecutor } from '../gateway/records/index.ts';
import { recordStores, storeFailure, type RecordStoresOptions } from '../gateway/records/stores.ts';
import { startTestStack, type TestStack } from './support/stack.ts';

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => unknown;
const servers: Server[] = [];

async function serve(handler: Handler): Promise<string> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => void handler(req, body, res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
afterAll(async () => {
  for (const server of servers) await new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve())));
});
const json = (res: ServerResponse, status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));

/** A service on the gateway's machine that no bank should make the gateway call. */
let internal: string;
const internalCalls: Array<{ method?: string; url?: string; body: string }> = [];
/** What the hostile bank answers, by route (path after the host). */
const hostile: Record<string, Handler> = {};
let hostileUrl: string;

beforeAll(async () => {
  internal = await serve((req, body, res) => {
    internalCalls.push({ method: req.method, url: req.url, body });
    json(res, 200, { profile: { secret: 'internal-service-answer' }, accessLog: [] });
  });
  hostileUrl = await serve((req, body, res) => (hostile[req.url ?? ''] ?? ((_q, _b, r: ServerResponse) => json(r, 404, { errors: [{ message: 'no route', extensions: { code: 'NOT_FOUND' } }] })))(req, body, res));
});

function stores(overrides: Partial<RecordStoresOptions> = {}) {
  const minted: Array<{ audience: string; deadline: number; at: number }> = [];
  const logged: string[] = [];
  const s = recordStores({
    subgraphs: {},
    registry: () => bankRegistry([{ id: 'mallory', name: 'Mallory Bank', url: `${hostileUrl}/graphql` }]),
    mint: async (_context, audience, deadline) => (minted.push({ audience, deadline, at: Date.now() }), 'token'),
    subgraphTimeoutMs: 1_500,
    bankTimeoutMs: 1_500,
    dataSubjectTimeoutMs: 3_000,
    concurrency: 4,
    log: (line) => logged.push(line),
    ...overrides,
  });
  servers.push({ close: (cb: () => void) => (s.close(), cb()), closeAllConnections: () => {} } as unknown as Server);
  const ctx = { identity: { sub: 'bob', roles: ['user'], client: 'messenger-web', clientType: 'first-party' }, requestId: 'r1', stores: s, now: new Date(), problems: [] } as unknown as RecordsContext;
  return { stores: s, minted, logged, ctx };
}

describe('a registered bank that answers the records routes with a redirect', () => {
  it.each([307, 302, 308, 301])('HTTP %i: not followed, the store failed, named, and no detail of it reaches the client', async (status) => {
    internalCalls.length = 0;
    hostile[RECORDS_ROUTES.export] = (_req, _body, res) => res.writeHead(status, { location: `${internal}/records/export` }).end();
    const { stores: s, logged, ctx } = stores();
    const [answer] = await s.ask(s.select(), RECORDS_ROUTES.export, {}, ctx);
    expect(answer).toMatchObject({ failure: 'SUBGRAPH_UNAVAILABLE' });
    expect(answer!.body).toBeUndefined();
    expect(internalCalls).toEqual([]);
    // The log says it was a redirect, not where to.
    expect(logged).toEqual([`bank:mallory ${RECORDS_ROUTES.export}: HTTP ${status}: a redirect, not followed`]);
    expect(storeFailure(answer!, 'myData', 'its part is missing from the export')).toEqual({
      message: 'The bank mallory is unavailable; its part is missing from the export.',
      path: ['myData'],
      extensions: { code: 'SUBGRAPH_UNAVAILABLE', service: 'bank-account', bank: 'mallory' },
    });
  });

  it("keeps the internal service's answer out of bob's export (through the records executor)", async () => {
    internalCalls.length = 0;
    hostile[RECORDS_ROUTES.export] = (_req, _body, res) => res.writeHead(307, { location: `${internal}/records/export` }).end();
    const { stores: s, ctx } = stores();
    const result = await createRecordsExecutor(s)({ query: '{ myData { complete unavailable document } }' }, ctx);
    expect(result.data?.myData).toMatchObject({ complete: false, unavailable: ['bank:mallory'] });
    expect(JSON.stringify(result)).not.toMatch(/internal-service-answer|127\.0\.0\.1/);
    expect(internalCalls).toEqual([]);
  });
});

describe("a store's answer is read up to the limit", () => {
  it('an undeclared length streamed past it: cut off, that store failed', async () => {
    let written = 0;
    hostile[RECORDS_ROUTES.export] = (_req, _body, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"junk":"');
      const chunk = 'x'.repeat(64 * 1024);
      const pump = () => {
        while (written < 200 * 1024 * 1024 && !res.destroyed) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end('"}');
      };
      res.on('error', () => {});
      pump();
    };
    const { stores: s, logged, ctx } = stores({ maxResponseBytes: 100_000 });
    const [answer] = await s.ask(s.select(), RECORDS_ROUTES.export, {}, ctx);
    expect(answer).toMatchObject({ failure: 'SUBGRAPH_UNAVAILABLE' });
    expect(written).toBeLessThan(50 * 1024 * 1024); // the connection was dropped: it stopped writing
    expect(logged).toEqual([`bank:mallory ${RECORDS_ROUTES.export}: the answer is larger than 100000 bytes`]);
  });

  it('a declared length above it: refused at the headers', async () => {
    hostile[RECORDS_ROUTES.auditEvents] = (_req, _body, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(500 * 1024 * 1024) });
      res.on('error', () => {});
      res.write('{"records":[');
    };
    const { stores: s, ctx } = stores({ maxResponseBytes: 100_000 });
    const [answer] = await s.ask(s.select(), RECORDS_ROUTES.auditEvents, { limit: 2 }, ctx);
    expect(answer).toMatchObject({ failure: 'SUBGRAPH_UNAVAILABLE' });
  });
});

describe("a records call's deadline", () => {
  it("is in its token: the export's (DATA_SUBJECT_TIMEOUT_MS), a reviewer's read the store's", async () => {
    hostile[RECORDS_ROUTES.export] = (_req, _body, res) => json(res, 200, { accessLog: [] });
    hostile[RECORDS_ROUTES.auditEvents] = (_req, _body, res) => json(res, 200, { records: [] });
    const { stores: s, minted, ctx } = stores();
    await s.ask(s.select(), RECORDS_ROUTES.export, {}, ctx);
    await s.ask(s.select(), RECORDS_ROUTES.auditEvents, { limit: 2 }, ctx);
    expect(minted.map((m) => m.audience)).toEqual(['bank:mallory', 'bank:mallory']);
    expect(minted[0]!.deadline - minted[0]!.at).toBeGreaterThan(2_900);
    expect(minted[0]!.deadline - minted[0]!.at).toBeLessThanOrEqual(3_000);
    expect(minted[1]!.deadline - minted[1]!.at).toBeGreaterThan(1_400);
    expect(minted[1]!.deadline - minted[1]!.at).toBeLessThanOrEqual(1_500);
  });

  it('a store that answers 504 DEADLINE_EXCEEDED did not answer in time: SUBGRAPH_TIMEOUT', async () => {
    hostile[RECORDS_ROUTES.erase] = (_req, _body, res) => json(res, 504, { errors: [{ message: 'The gateway stopped waiting', extensions: { code: 'DEADLINE_EXCEEDED' } }] });
    const { stores: s, ctx } = stores();
    const [answer] = await s.ask(s.select(), RECORDS_ROUTES.erase, {}, ctx);
    expect(answer).toMatchObject({ failure: 'SUBGRAPH_TIMEOUT' });
    expect(storeFailure(answer!, 'eraseMyData', 'ask again').message).toBe('The bank mallory did not answer in time; ask again.');
  });

  it('a store that does not answer by then: SUBGRAPH_TIMEOUT', async () => {
    hostile[RECORDS_ROUTES.export] = () => {}; // never answers
    const { stores: s, ctx } = stores({ dataSubjectTimeoutMs: 300 });
    const [answer] = await s.ask(s.select(), RECORDS_ROUTES.export, {}, ctx);
    expect(answer).toMatchObject({ failure: 'SUBGRAPH_TIMEOUT' });
  });
});

describe('a bank call (the bank client) answered 504 DEADLINE_EXCEEDED', () => {
  it('is SUBGRAPH_TIMEOUT, not SUBGRAPH_UNAVAILABLE; another 5xx stays unavailable', async () => {
    let answer = { status: 504, code: 'DEADLINE_EXCEEDED' };
    const url = await serve((_req, _body, res) => json(res, answer.status, { errors: [{ message: 'gave up', extensions: { code: answer.code } }] }));
    const call = createBankClient({ mint: async () => 'token', timeoutMs: 2_000, log: () => undefined });
    const context = { identity: { sub: 'bob', roles: ['user' as const] }, requestId: 'r' };
    try {
      await expect(call({ id: 'mallory', name: 'Mallory Bank', url: `${url}/graphql` }, { query: '{ banks { id } }' }, context)).rejects.toMatchObject({ code: 'SUBGRAPH_TIMEOUT' });
      answer = { status: 503, code: 'DEADLINE_EXCEEDED' };
      await expect(call({ id: 'mallory', name: 'Mallory Bank', url: `${url}/graphql` }, { query: '{ banks { id } }' }, context)).rejects.toMatchObject({ code: 'SUBGRAPH_UNAVAILABLE' });
    } finally {
      call.close();
    }
  });
});

describe("one person's export or erasure at a time", () => {
  it('a second one while the first runs is refused before any store is asked; another person is not held up; afterwards it is allowed again', async () => {
    let asked = 0;
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    hostile[RECORDS_ROUTES.export] = async (_req, _body, res) => {
      asked++;
      await held;
      json(res, 200, { accessLog: [] });
    };
    hostile[RECORDS_ROUTES.erase] = (_req, _body, res) => json(res, 200, { erased: {} });
    const { stores: s, ctx } = stores();
    const execute = createRecordsExecutor(s);
    const as = (sub: string) => ({ ...ctx, identity: { ...ctx.identity, sub }, problems: [] }) as RecordsContext;
    const first = execute({ query: '{ myData { complete } }' }, as('bob'));
    await expect.poll(() => asked).toBe(1);
    for (const query of ['{ myData { complete } }', 'mutation { eraseMyData { complete } }']) {
      const second = await execute({ query }, as('bob'));
      expect(second.errors).toEqual([
        expect.objectContaining({ message: expect.stringMatching(/earlier export or erasure is still running/), extensions: { code: DATA_SUBJECT_REQUEST_IN_PROGRESS } }),
      ]);
    }
    expect(asked).toBe(1);
    const alice = execute({ query: '{ myData { complete } }' }, as('alice'));
    await expect.poll(() => asked).toBe(2);
    release();
    expect((await first).data).toEqual({ myData: { complete: true } });
    expect((await alice).data).toEqual({ myData: { complete: true } });
    expect((await execute({ query: 'mutation { eraseMyData { complete } }' }, as('bob'))).data).toEqual({ eraseMyData: { complete: true } });
  });

  it('a first one that fails frees the person too', async () => {
    hostile[RECORDS_ROUTES.export] = (_req, _body, res) => json(res, 500, {});
    const { stores: s, ctx } = stores();
    const execute = createRecordsExecutor(s);
    expect((await execute({ query: '{ myData { complete } }' }, { ...ctx, problems: [] } as RecordsContext)).data).toEqual({ myData: { complete: false } });
    expect((await execute({ query: '{ myData { complete } }' }, { ...ctx, problems: [] } as RecordsContext)).data).toEqual({ myData: { complete: false } });
  });
});

// ---- the kit's side -----------------------------------------------------------------------------

describe("the kit's records routes and the gateway's deadline", () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const audience = 'bank:northwind';

  function memoryStore(records: StoredRecord[], onPage: () => unknown = () => {}) {
    const pages: DecisionQuery[] = [];
    const written: AuditRecord[] = [];
    const store: AuditStore = {
      appendRecords: async () => {},
      chainHead: async () => null,
      pseudonymize: async () => 0,
      allRecords: async function* () {},
      findRecords: async (query) => {
        pages.push(query);
        await onPage();
        const sorted = records
          .filter((r) => r.subjectUserId === query.subjectUserId && r.outcome === query.outcome)
          .sort((a, b) => (a.at === b.at ? a._id.localeCompare(b._id) : b.at.localeCompare(a.at)));
        const start = query.after ? sorted.findIndex((r) => r.at < query.after!.at || (r.at === query.after!.at && r._id > query.after!.id)) : 0;
        return start < 0 ? [] : sorted.slice(start, start + query.limit);
      },
    };
    return { store, pages, written };
  }

  const record = (i: number): StoredRecord =>
    ({
      _id: `rec-${String(i).padStart(6, '0')}`,
      at: new Date(Date.UTC(2025, 0, 1) + i * 1000).toISOString(),
      subjectUserId: 'bob',
      outcome: 'ALLOW',
      requestId: `req-${i}`,
      bankId: 'northwind',
      viewerKind: 'SELF',
      viewerId: 'bob',
      purpose: null,
      field: 'BankAccount.balance',
    }) as unknown as StoredRecord;

  function routes(store: AuditStore, options: { exportMaxDecisionRecords?: number; onErase?: () => void } = {}) {
    const written: AuditRecord[] = [];
    const r = recordsRoutes({
      name: 'bank-northwind',
      bankId: 'northwind',
      audience,
      gatewayKey: publicKey,
      store,
      sink: { recordDecisions: async (records) => void written.push(...records) },
      pseudonym: pseudonymizer('an audit key for this test, 32+ characters long'),
      dataSubject: { exportSubject: async () => ({ consents: [] }), eraseSubject: async () => (options.onErase?.(), { consentsRevoked: 0 }) },
      exportMaxDecisionRecords: options.exportMaxDecisionRecords,
    });
    return { routes: r, written };
  }

  const request = async (deadline?: number) => {
    const token = await mintInternalToken({ identity: { sub: 'bob', roles: ['user'], client: 'messenger-web', clientType: 'first-party' }, requestId: 'r-1', deadline }, audience, privateKey);
    expect((await verifyInternalToken(token, audience, publicKey)).deadline).toBe(deadline === undefined ? undefined : Math.floor(deadline));
    return { headers: { authorization: `Bearer ${token}` } } as unknown as IncomingMessage;
  };

  it('a request that arrives past its deadline: 504 DEADLINE_EXCEEDED, nothing judged, recorded, read or erased', async () => {
    const { store, pages } = memoryStore([record(1)]);
    let erased = 0;
    const { routes: r, written } = routes(store, { onErase: () => erased++ });
    for (const route of [RECORDS_ROUTES.export, RECORDS_ROUTES.erase, RECORDS_ROUTES.auditEvents]) {
      await expect(r[route]!(await request(Date.now() - 1), { limit: 5 })).rejects.toMatchObject({ status: 504, code: 'DEADLINE_EXCEEDED' });
    }
    expect([pages.length, written.length, erased]).toEqual([0, 0, 0]);
  });

  it('an export stops reading when the deadline passes between pages of records', async () => {
    const many = Array.from({ length: 5_000 }, (_, i) => record(i));
    const { store, pages } = memoryStore(many, () => new Promise((resolve) => setTimeout(resolve, 60)));
    const { routes: r } = routes(store);
    await expect(r[RECORDS_ROUTES.export]!(await request(Date.now() + 150), {})).rejects.toMatchObject({ status: 504, code: 'DEADLINE_EXCEEDED', message: expect.stringMatching(/the rest of it was not done/) });
    expect(pages.length).toBeGreaterThanOrEqual(1);
    expect(pages.length).toBeLessThanOrEqual(4); // of 10 pages: it stopped, whatever the time it took
  });

  it('an erasure stops before its next step once the deadline has passed', async () => {
    let erased = 0;
    const { store } = memoryStore([]);
    // The decision's write takes longer than the deadline leaves: nothing is erased.
    const slowSink = recordsRoutes({
      name: 'bank-northwind',
      bankId: 'northwind',
      audience,
      gatewayKey: publicKey,
      store,
      sink: { recordDecisions: () => new Promise((resolve) => setTimeout(resolve, 120)) },
      pseudonym: pseudonymizer('an audit key for this test, 32+ characters long'),
      dataSubject: { exportSubject: async () => ({}), eraseSubject: async () => (erased++, {}) },
    });
    await expect(slowSink[RECORDS_ROUTES.erase]!(await request(Date.now() + 50), {})).rejects.toMatchObject({ status: 504, code: 'DEADLINE_EXCEEDED' });
    expect(erased).toBe(0);
  });

  it('a token without a deadline (an older gateway) is still served', async () => {
    const { store } = memoryStore([record(1)]);
    const { routes: r } = routes(store);
    expect(await r[RECORDS_ROUTES.export]!(await request(), {})).toMatchObject({ status: 200, body: { accessLog: [expect.objectContaining({ requestId: 'req-1' })] } });
  });

  it("an export reads at most its limit of decision records, the newest, and says what it left out and how to get it", async () => {
    const { store, pages } = memoryStore(Array.from({ length: 1_234 }, (_, i) => record(i)));
    const { routes: r } = routes(store, { exportMaxDecisionRecords: 1_000 });
    const { status, body } = await r[RECORDS_ROUTES.export]!(await request(Date.now() + 10_000), {});
    expect(status).toBe(200);
    const exported = body as { accessLog: Array<{ requestId: string }>; accessLogTruncated: Record<string, unknown> };
    expect(exported.accessLog).toHaveLength(1_000);
    expect(exported.accessLog[0]!.requestId).toBe('req-1233'); // the newest first
    expect(exported.accessLog.at(-1)!.requestId).toBe('req-234');
    const oldest = record(234).at;
    expect(exported.accessLogTruncated).toEqual({
      decisionRecordsIncluded: 1_000,
      decisionRecordsLeftOut: expect.stringMatching(/^at least 1 \(not counted/),
      leftOutAreAtOrBefore: oldest,
      howToGetThem: expect.stringContaining(`auditEvents with filter { userId: your id, outcome: ALLOW, to: "${oldest}" }`),
    });
    // 1,001 records read (one more than the limit, to know there were more), in pages of 500 at most.
    expect(pages.map((p) => p.limit)).toEqual([500, 500, 1]);
  });

  it("an export's access log holds the person's own allowed reads only, whatever the store returns", async () => {
    const own = Array.from({ length: 3 }, (_, i) => record(i));
    const others = [{ ...record(10), _id: 'rec-other', requestId: 'req-other', subjectUserId: 'alice' }, { ...record(11), _id: 'rec-deny', requestId: 'req-deny', outcome: 'DENY' }] as StoredRecord[];
    // A store that forgot its filter: every record, to everyone.
    const careless: AuditStore = { ...memoryStore([]).store, findRecords: async (query) => (query.after ? [] : [...own, ...others]) };
    const { routes: r } = routes(careless);
    const { body } = await r[RECORDS_ROUTES.export]!(await request(Date.now() + 10_000), {});
    expect((body as { accessLog: Array<{ requestId: string }> }).accessLog.map((e) => e.requestId).sort()).toEqual(own.map((o) => o.requestId).sort());
  });

  it('an export within the limit is complete and says nothing of a limit', async () => {
    const { store } = memoryStore(Array.from({ length: 1_000 }, (_, i) => record(i)));
    const { routes: r } = routes(store, { exportMaxDecisionRecords: 1_000 });
    const { body } = await r[RECORDS_ROUTES.export]!(await request(Date.now() + 10_000), {});
    expect((body as { accessLog: unknown[] }).accessLog).toHaveLength(1_000);
    expect(body).not.toHaveProperty('accessLogTruncated');
  });
});

// ---- through the gateway ------------------------------------------------------------------------

describe('through a running gateway', () => {
  let stack: TestStack;
  let release: () => void = () => {};
  let exportsAsked = 0;
  const internalReady: string[] = [];

  beforeAll(async () => {
    stack = await startTestStack({ seedData: false });
    const internalService = await serve((req, body, res) => {
      internalReady.push(`${req.method} ${req.url} ${body}`);
      json(res, 200, { status: 'ready', bank: 'mallory', data: { banks: [{ id: 'mallory' }] }, note: 'internal-service-answer' });
    });
    // Redirects everything to the service on the gateway's machine.
    const mallory = await serve((req, _body, res) => res.writeHead(307, { location: `${internalService}${req.url}` }).end());
    // Answers as a bank, with more in its /ready than the kit sends; holds exports until released.
    const chatty = await serve(async (req, _body, res) => {
      if (req.url === '/ready') return json(res, 200, { status: 'ready', bank: 'chatty', kit: '0.1.0', note: 'internal-service-answer', nested: { a: 1 } });
      // A bank's errors that would set the gateway's status and leak its internals (finding 3).
      if (req.url === '/graphql' && _body.includes('bankAccount')) {
        const leaks = [
          { message: 'connect failed: mongodb://admin:pw@db.internal:27017/bank', path: ['a'], extensions: { code: 'INTERNAL_SERVER_ERROR', http: { status: 401 }, exception: { host: 'db.internal', stacktrace: ['at db.internal'] } } },
          { message: 'no account mongodb://admin:pw@db.internal', path: ['b'], extensions: { code: 'NOT_FOUND', http: { status: 999 }, exception: { host: 'db.internal' } } },
          { message: 'Forbidden: CONSENT_REQUIRED', path: ['c'], extensions: { code: 'FORBIDDEN', reason: 'CONSENT_REQUIRED', http: { status: 401, headers: { 'x-leak': 'db.internal' } }, stacktrace: ['at db.internal'] } },
        ];
        return json(res, 200, { data: { a: null, b: null, c: null }, errors: leaks.filter((e) => _body.includes(`${e.path[0]}:`)) });
      }
      if (req.url === '/graphql') return json(res, 200, { data: { banks: [{ id: 'chatty' }] } });
      if (req.url === RECORDS_ROUTES.export) {
        exportsAsked++;
        await new Promise<void>((resolve) => (release = resolve));
        return json(res, 200, { consents: [], accessLog: [] });
      }
      json(res, 404, { errors: [{ message: 'no route', extensions: { code: 'NOT_FOUND' } }] });
    });
    writeFileSync(
      stack.registryFile,
      JSON.stringify([
        { id: 'mallory', name: 'Mallory Bank', url: `${mallory}/graphql` },
        { id: 'chatty', name: 'Chatty Bank', url: `${chatty}/graphql` },
      ]),
    );
    stack.gateway.bankRegistry.reload();
  });
  afterAll(async () => {
    release();
    await stack?.close();
  });

  it("/ready follows no redirect and shows of a bank's answers only the fields it checked", async () => {
    let body: Record<string, any> = {};
    await expect.poll(async () => {
      body = (await (await fetch(`${stack.gateway.url}/ready`)).json()) as Record<string, any>;
      return Object.keys(body.banks ?? {}).sort();
    }, { timeout: 10_000, interval: 250 }).toEqual(['chatty', 'mallory']);
    expect(internalReady).toEqual([]);
    expect(JSON.stringify(body)).not.toMatch(/internal-service-answer|nested/);
    expect(body.banks.mallory).toEqual({ ok: false, detail: { httpStatus: 307, problem: 'a call as the gateway got HTTP 307: a redirect, not followed' } });
    expect(body.banks.chatty).toEqual({ ok: true, detail: { httpStatus: 200, status: 'ready', bank: 'chatty', kit: '0.1.0' } });
    expect(body.subgraphs['user-profile']).toMatchObject({ ok: true, detail: { httpStatus: 200, status: 'ready', subgraph: 'user-profile', database: 'up' } });
  });

  it("bob's export: the redirecting bank's part is missing and named, the internal service was never asked; a second export or an erasure meanwhile is refused with 409", async () => {
    const bob = await stack.token({ sub: 'bob' });
    const first = stack.query('{ myData { complete unavailable document } }', {}, { token: bob });
    await expect.poll(() => exportsAsked, { timeout: 10_000 }).toBe(1);
    for (const query of ['{ myData { complete } }', 'mutation { eraseMyData { complete } }']) {
      const second = await stack.query(query, {}, { token: bob });
      expect(second.status, JSON.stringify(second.body)).toBe(409);
      expect(second.body.errors).toEqual([expect.objectContaining({ message: expect.stringMatching(/still running/), extensions: expect.objectContaining({ code: DATA_SUBJECT_REQUEST_IN_PROGRESS }) })]);
      expect(second.body.errors![0]!.extensions).not.toHaveProperty('http');
    }
    // The same refusal in an operation that answered other fields keeps 200: its data goes out.
    const mixed = await stack.query('{ __typename myData { complete } }', {}, { token: bob });
    expect(mixed.status, JSON.stringify(mixed.body)).toBe(200);
    expect(mixed.body.data).toEqual({ __typename: 'Query', myData: null });
    expect(mixed.body.errors).toEqual([expect.objectContaining({ path: ['myData'], extensions: expect.objectContaining({ code: DATA_SUBJECT_REQUEST_IN_PROGRESS }) })]);
    expect(exportsAsked).toBe(1);
    release();
    const done = await first;
    expect(done.status).toBe(200);
    expect(done.body.data.myData).toMatchObject({ complete: false, unavailable: ['bank:mallory'] });
    expect(done.body.errors).toEqual([expect.objectContaining({ path: ['myData'], extensions: expect.objectContaining({ code: 'SUBGRAPH_UNAVAILABLE', service: 'bank-account', bank: 'mallory' }) })]);
    expect(JSON.stringify(done.body)).not.toMatch(/internal-service-answer|127\.0\.0\.1|redirect/);
    expect(internalReady).toEqual([]);
  });

  it("a bank's errors never set the gateway's status nor carry its internals: 200, the error at its path, code kept or masked, no http/exception, no URI", async () => {
    const bob = await stack.token({ sub: 'bob' });
    const account = (n: number) => `chatty:acc_${String(n).padStart(22, 'A')}`;
    for (const [alias, code] of [['a', 'INTERNAL_SERVER_ERROR'], ['b', 'NOT_FOUND'], ['c', 'FORBIDDEN']] as const) {
      const res = await stack.query(`{ ${alias}: bankAccount(id: "${account(1)}") { id } }`, {}, { token: bob });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.data).toEqual({ [alias]: null });
      const errors = res.body.errors as Array<{ message: string; path: unknown; extensions: Record<string, unknown> }>;
      expect(errors).toEqual([expect.objectContaining({ path: [alias], extensions: expect.objectContaining({ code }) })]);
      for (const key of ['http', 'exception', 'stacktrace']) expect(errors[0]!.extensions).not.toHaveProperty(key);
      expect(JSON.stringify(res.body)).not.toMatch(/mongodb|db\.internal|admin:pw|x-leak/);
      if (code === 'NOT_FOUND') expect(errors[0]!.message).toBe('no account [address removed]');
      else if (code === 'FORBIDDEN') expect(errors[0]).toMatchObject({ message: 'Forbidden: CONSENT_REQUIRED', extensions: { reason: 'CONSENT_REQUIRED' } });
      // Masked by the bank client (naming the bank), and again by the gateway's masking of internal errors.
      else expect(errors[0]).toMatchObject({ extensions: { service: 'bank-account', bank: 'chatty' } });
    }
  });
});
