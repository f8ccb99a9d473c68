// Shared by the hostile-input suites: a stack per file whose databases are snapshotted first, a
// check that a refusal is clean (status, stable code, no stack trace, no internal detail, no value
// leaked), and the closing test of every file: every service is still ready (its /ready, which
// pings its database; the gateway's probes every subgraph and bank), a signed-in query still reads
// through the whole graph, and the databases hold what they held before, except the decision records that refused requests
// are meant to leave and what the file's legitimate requests wrote.
import { createHash } from 'node:crypto';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_COLLECTION } from '@consent-gateway/kit/audit-mongo';
import type { LoggerSettings } from '@consent-gateway/kit/log';
import { startTestStack, type GraphQLResponse, type TestStack } from '../support/stack.ts';

/** Things a refusal must never show: stack frames, file paths, addresses, driver messages, schema hints. */
const INTERNAL_DETAIL: RegExp[] = [
  /\bat [\w.<>$]+ \(/, // a stack frame
  /stacktrace/i,
  /\.(ts|js|mjs|cjs):\d+/,
  /\/(work|home|tmp|usr|app)\//,
  /node_modules/,
  /127\.0\.0\.1|localhost|::1\b/,
  /mongodb(\+srv)?:\/\//i,
  /ECONN|EPIPE|ETIMEDOUT|socket hang up/,
  /Did you mean/,
  /MongoServerError|MongoNetworkError|FerretDB/i,
];

export function expectNoInternals(res: GraphQLResponse, leaked: Array<string | number> = []): void {
  const text = JSON.stringify(res.body);
  for (const pattern of INTERNAL_DETAIL) expect(text, `response shows internal detail ${pattern}`).not.toMatch(pattern);
  for (const value of leaked) expect(text, `response leaks ${value}`).not.toContain(String(value));
}

/** A request refused as a whole: the status, the stable code, no data, nothing internal, nothing leaked. */
export function expectRefusal(res: GraphQLResponse, status: number, code: string, leaked: Array<string | number> = []): void {
  expect(res.status, JSON.stringify(res.body).slice(0, 500)).toBe(status);
  expect(res.body.errors?.map((e) => e.extensions?.code)).toContain(code);
  expect(res.body.data ?? null).toBeNull();
  expectNoInternals(res, leaked);
}

/** A field refused inside an answered request: null at `path`, FORBIDDEN with `reason`, nothing leaked. */
export function expectDenied(res: GraphQLResponse, path: string, reason: string | RegExp, leaked: Array<string | number> = []): void {
  expect(res.status).toBe(200);
  const error = res.body.errors?.find((e) => e.path?.join('.').startsWith(path) && e.extensions?.code === 'FORBIDDEN');
  expect(error, JSON.stringify(res.body).slice(0, 500)).toBeDefined();
  expect(error!.extensions!.reason).toMatch(reason);
  expectNoInternals(res, leaked);
}

/**
 * Raw bytes to a server, for what fetch refuses to send (malformed requests, smuggling attempts);
 * the status and the JSON body of the answer (a chunked one is decoded).
 */
export function sendRaw(baseUrl: string, request: string | Buffer): Promise<{ status: number; body: any }> {
  const { port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () => socket.write(request)); // no half-close: Node would drop the answer
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const [head = '', ...rest] = answer.split('\r\n\r\n');
      let body = rest.join('\r\n\r\n');
      if (/transfer-encoding: chunked/i.test(head)) body = body.split('\r\n').filter((_, i) => i % 2 === 1).join('');
      resolve({ status: Number(head.split(' ')[1]), body: JSON.parse(body || '{}') });
    });
  });
}

interface StackOptions {
  env?: NodeJS.ProcessEnv;
  /** Where the stack's log lines go (to read them in a test). */
  log?: LoggerSettings;
}

type Snapshot = Record<string, Record<string, number>>;
/** `<database without prefix>/<collection>` → a hash of every document in it (decision records aside). */
type Fingerprints = Record<string, string>;

/** What every collection holds, to the byte: a change in place (a consent revoked, an opt-in turned, a profile edited) shows too, not only a count. */
async function fingerprints(stack: TestStack): Promise<Fingerprints> {
  const out: Fingerprints = {};
  const { databases } = await stack.client.db().admin().listDatabases({ nameOnly: true });
  for (const { name } of databases.filter((d) => d.name.startsWith(stack.dbPrefix))) {
    const db = stack.client.db(name);
    for (const { name: collection } of await db.listCollections({}, { nameOnly: true }).toArray()) {
      if (collection === AUDIT_COLLECTION) continue;
      const docs = await db.collection(collection).find({}).sort({ _id: 1 }).toArray();
      out[`${name.slice(stack.dbPrefix.length)}/${collection}`] = createHash('sha256').update(JSON.stringify(docs)).digest('hex');
    }
  }
  return out;
}

export class HostileStack {
  private current?: TestStack;
  private before: Snapshot = {};
  private beforeContents: Fingerprints = {};
  private readonly writes: Record<string, number> = {};

  get stack(): TestStack {
    if (!this.current) throw new Error('the stack is not started yet');
    return this.current;
  }

  /** Declares a write this file's legitimate requests make: `<database without prefix>/<collection>` grows by `count`. */
  expectWrite(where: string, count = 1): void {
    this.writes[where] = (this.writes[where] ?? 0) + count;
  }

  async start(options: StackOptions): Promise<void> {
    this.current = await startTestStack(options);
    this.before = await this.current.snapshotDatabases();
    this.beforeContents = await fingerprints(this.current);
  }

  async close(): Promise<void> {
    await this.current?.close();
  }

  /**
   * Every service is ready: its /ready answers `ready` (a subgraph's and a bank's ping their
   * database, the gateway's probes each of them; /health would answer from a service whose
   * database is wedged), and a signed-in query is answered through the gateway, a subgraph and a
   * bank. The databases equal the snapshot plus the declared writes (decision records may grow),
   * and undeclared collections are unchanged to the byte.
   */
  async expectIntact(): Promise<void> {
    const s = this.stack;
    for (const [name, url] of Object.entries(s.serviceUrls())) {
      const res = await fetch(`${url}/ready`, { signal: AbortSignal.timeout(10_000) });
      const body = await res.json();
      expect({ status: res.status, ready: body.status }, `${name} /ready: ${JSON.stringify(body)}`).toEqual({ status: 200, ready: 'ready' });
    }
    const token = await s.token({ sub: 'alice' });
    let read = await s.query('{ me { id accounts { id } } }', {}, { token });
    // A file that floods the rate limits may have spent alice's allowance: wait as told, once.
    if (read.status === 429) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(Number(read.body.errors?.[0]?.extensions?.retryAfterSeconds ?? 1), 15) * 1000 + 100));
      read = await s.query('{ me { id accounts { id } } }', {}, { token });
    }
    expect(read.status, JSON.stringify(read.body).slice(0, 500)).toBe(200);
    expect(read.body.errors, JSON.stringify(read.body.errors)).toBeUndefined();
    expect(read.body.data.me.accounts.length).toBeGreaterThan(0);
    const strip = (snapshot: Snapshot): Snapshot =>
      Object.fromEntries(Object.entries(structuredClone(snapshot)).map(([db, collections]) => [db.slice(s.dbPrefix.length), collections]));
    const expected = strip(this.before);
    for (const [where, count] of Object.entries(this.writes)) {
      const [db, collection] = where.split('/') as [string, string];
      expected[db]![collection] = (expected[db]![collection] ?? 0) + count;
    }
    const after = strip(await s.snapshotDatabases());
    for (const [db, collections] of Object.entries(after)) {
      if (collections[AUDIT_COLLECTION] === undefined) continue;
      // A refused field is recorded (that is what the audit is for): decision records may only grow.
      expect(collections[AUDIT_COLLECTION]).toBeGreaterThanOrEqual(expected[db]?.[AUDIT_COLLECTION] ?? 0);
      delete collections[AUDIT_COLLECTION];
      delete expected[db]?.[AUDIT_COLLECTION];
    }
    expect(after).toEqual(expected);
    // Where no legitimate write was declared, not one byte changed either.
    const declared = new Set(Object.keys(this.writes).map((where) => where.replace(/\/(conversations\.head)$/, '/conversations')));
    const contents = await fingerprints(s);
    const changed = Object.keys({ ...this.beforeContents, ...contents }).filter((where) => !declared.has(where) && contents[where] !== this.beforeContents[where]);
    expect(changed, 'collections changed in place by requests that should have changed nothing').toEqual([]);
  }
}

/**
 * A stack for one hostile file (call at the top level): started before its tests, checked by a
 * last test (every service healthy, databases intact), closed after.
 */
export function hostileStack(options: StackOptions = {}): HostileStack {
  const hostile = new HostileStack();
  beforeAll(() => hostile.start(options));
  afterAll(() => hostile.close());
  return hostile;
}

/** The closing test of a hostile file: call it after the file's other tests, at the top level. */
export function afterTheSuite(hostile: HostileStack): void {
  describe('after the suite', () => {
    it('every service is ready (databases reached) and a signed-in query is answered; the databases changed only by legitimate writes and decision records', () => hostile.expectIntact());
  });
}
