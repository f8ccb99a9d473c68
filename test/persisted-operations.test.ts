// Persisted operations: the checked-in manifest is what `npm run persisted` makes of operations/,
// every registered operation is valid against today's graph, and the gateway serves them by hash
// (Apollo's and the GraphQL-over-HTTP wire formats) while refusing unregistered operations to
// clients that may only send registered ones. Apollo's automatic persisted queries are off.
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, validate } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '@consent-gateway/kit/config';
import { DEFAULT_PERSISTED_OPERATIONS_FILE } from '../gateway/config.ts';
import { PersistedOperations, sha256Hex } from '../gateway/persisted-operations.ts';
import { composeSupergraph } from '../scripts/compose.ts';
import { buildManifest, DEFAULT_OPERATIONS_DIR, manifestText } from '../scripts/persisted.ts';
import { postGraphQL, startTestStack, type TestStack } from './support/stack.ts';

const manifest = buildManifest(DEFAULT_OPERATIONS_DIR);
const op = (name: string) => manifest.operations.find((o) => o.name === name)!;

describe('the manifest', () => {
  it('is up to date (run `npm run persisted` after changing operations/)', () => {
    expect(readFileSync(DEFAULT_PERSISTED_OPERATIONS_FILE, 'utf8')).toBe(manifestText(manifest));
  });

  it('registers only operations that are valid against the graph', () => {
    const schema = composeSupergraph().apiSchema();
    for (const { name, body } of manifest.operations) expect(validate(schema, parse(body)).map((e) => e.message), name).toEqual([]);
  });

  it('stores each operation with the fragments it uses, under the SHA-256 of that text', () => {
    const overview = op('MyOverview');
    expect(overview.id).toBe(sha256Hex(overview.body));
    expect(overview.body).toMatch(/fragment AccountSummary on BankAccount/);
    expect(overview.body).toMatch(/fragment Amount on Money/);
    expect(op('Banks').body).not.toMatch(/fragment/);
  });

  it('is refused when an id is not the hash of its body, naming the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'manifest-'));
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ ...manifest, operations: [{ ...op('Banks'), body: '{ banks { id name } }' }] }));
    expect(() => PersistedOperations.load(file)).toThrow(ConfigError);
    expect(() => PersistedOperations.load(file)).toThrow(/bad\.json is not valid: operation 0 \(Banks\): "id" is not the SHA-256 of its "body"/);
    expect(() => PersistedOperations.load(join(dir, 'missing.json'))).toThrow(/npm run persisted/);
  });

  it('needs named operations and unique names', () => {
    const dir = mkdtempSync(join(tmpdir(), 'operations-'));
    mkdirSync(join(dir, 'a'));
    writeFileSync(join(dir, 'a', 'one.graphql'), '{ banks { id } }');
    expect(() => buildManifest(dir)).toThrow(/every operation needs a name/);
    writeFileSync(join(dir, 'a', 'one.graphql'), 'query Banks { banks { id } }');
    writeFileSync(join(dir, 'two.gql'), 'query Banks { banks { name } }');
    expect(() => buildManifest(dir)).toThrow(/operation Banks is defined twice/);
  });
});

describe('at the gateway', () => {
  let stack: TestStack;
  const tokens: Record<string, string> = {};
  beforeAll(async () => {
    stack = await startTestStack();
    tokens.widget = await stack.token({ sub: 'alice', client: 'partner-widget' });
    tokens.web = await stack.token({ sub: 'alice' });
  });
  afterAll(() => stack?.close());

  const send = (body: unknown, token: string) => postGraphQL(stack.gatewayUrl, body, { authorization: `Bearer ${token}` });
  const codeOf = (res: { body: { errors?: Array<{ extensions?: Record<string, any> }> } }) => res.body.errors?.[0]?.extensions?.code;

  describe('a third-party app (registered operations only, by default)', () => {
    it('is refused an operation that is not registered', async () => {
      const res = await send({ query: '{ banks { id name } }' }, tokens.widget!);
      expect(res.status).toBe(403);
      expect(codeOf(res)).toBe('PERSISTED_QUERY_NOT_IN_LIST');
    });

    it("runs a registered one by hash, in Apollo's format", async () => {
      const res = await send({ extensions: { persistedQuery: { version: 1, sha256Hash: op('Banks').id } } }, tokens.widget!);
      expect(res.body.data.banks.map((b: any) => b.id)).toEqual(['contoso', 'northwind']);
    });

    it('runs a registered one by documentId, with or without the sha256: prefix, with variables', async () => {
      for (const documentId of [`sha256:${op('MyAccessLog').id}`, op('MyAccessLog').id]) {
        const res = await send({ documentId, variables: { first: 1 } }, tokens.widget!);
        expect(res.status).toBe(200);
        expect(res.body.errors?.[0]?.extensions?.reason).toBe('THIRD_PARTY_CLIENT'); // registered is not authorized
      }
    });

    it('runs a registered one sent as its exact text', async () => {
      const res = await send({ query: op('Banks').body }, tokens.widget!);
      expect(res.body.data.banks).toHaveLength(2);
    });

    it('runs a registered one by hash over GET', async () => {
      const search = new URLSearchParams({ extensions: JSON.stringify({ persistedQuery: { version: 1, sha256Hash: op('Banks').id } }) });
      const res = await fetch(`${stack.gatewayUrl}?${search}`, { headers: { authorization: `Bearer ${tokens.widget}`, 'apollo-require-preflight': '1' } });
      expect(((await res.json()) as any).data.banks).toHaveLength(2);
    });
  });

  describe('any client', () => {
    it('a hash that does not match the text sent', async () => {
      const res = await send({ query: '{ banks { id } }', extensions: { persistedQuery: { version: 1, sha256Hash: op('Banks').id } } }, tokens.web!);
      expect(res.status).toBe(400);
      expect(codeOf(res)).toBe('PERSISTED_QUERY_HASH_MISMATCH');
    });

    it('a hash nobody registered', async () => {
      const res = await send({ extensions: { persistedQuery: { version: 1, sha256Hash: sha256Hex('{ me { email } }') } } }, tokens.web!);
      expect(res.status).toBe(400);
      expect(codeOf(res)).toBe('PERSISTED_QUERY_NOT_FOUND');
      expect(res.body.errors![0]!.message).toBe('PersistedQueryNotFound'); // what Apollo Client's link looks for
    });

    it('cannot register a document by sending it with its hash (no automatic persisted queries)', async () => {
      const query = '{ me { displayName } }';
      const hash = sha256Hex(query);
      const first = await send({ query, extensions: { persistedQuery: { version: 1, sha256Hash: hash } } }, tokens.web!);
      expect(first.body.data.me.displayName).toBe('Alice Martin'); // a first-party app may send any operation
      const again = await send({ extensions: { persistedQuery: { version: 1, sha256Hash: hash } } }, tokens.web!);
      expect(codeOf(again)).toBe('PERSISTED_QUERY_NOT_FOUND');
    });

    it('a persisted-query version that does not exist', async () => {
      const res = await send({ extensions: { persistedQuery: { version: 2, sha256Hash: op('Banks').id } } }, tokens.web!);
      expect(res.status).toBe(400);
      expect(codeOf(res)).toBe('PERSISTED_QUERY_VERSION_NOT_SUPPORTED');
    });

    it('a documentId that is not a string', async () => {
      const res = await send({ documentId: { sha256: op('Banks').id } }, tokens.web!);
      expect(res.status).toBe(400);
      expect(codeOf(res)).toBe('BAD_REQUEST');
    });
  });

  describe('anonymous callers, when ANONYMOUS_OPERATIONS=safelist', () => {
    let strict: TestStack;
    beforeAll(async () => {
      strict = await startTestStack({ env: { ANONYMOUS_OPERATIONS: 'safelist' }, seedData: false });
    });
    afterAll(() => strict?.close());

    it('may run registered operations only', async () => {
      const refused = await strict.query('{ banks { id } }');
      expect(refused.status).toBe(403);
      expect(codeOf(refused)).toBe('PERSISTED_QUERY_NOT_IN_LIST');
      const registered = await postGraphQL(strict.gatewayUrl, { documentId: op('Banks').id });
      expect(registered.status).toBe(200);
      // The banks come from the registry, so even an empty stack lists them.
      expect(registered.body.data.banks.map((b: { id: string }) => b.id)).toEqual(['contoso', 'northwind']);
    });
  });
});
