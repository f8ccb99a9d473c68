// The gateway's pages over HTTP: content types, caching, HEAD, 404s, no way out of the page
// folders, the explorer only when introspection is on (and from our own node_modules), GET
// /graphql still Apollo's for GraphQL clients, and no Apollo landing page anywhere.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse, print, Kind, type DefinitionNode } from 'graphql';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createSubgraph } from '@consent-gateway/kit/create-subgraph';
import { listen } from '@consent-gateway/kit/http';
import { mintInternalToken } from '@consent-gateway/kit/internal-token';
import { createMongoAuditStore } from '@consent-gateway/kit/audit-mongo';
import { connectMongo } from '@consent-gateway/kit/mongo';
import { allow } from '@consent-gateway/kit/shield';
import { loadGatewayConfig } from '../gateway/config.ts';
import { loadSite, prefersHtml, waitInWords } from '../gateway/pages.ts';
import { startGateway, type RunningGateway } from '../gateway/server.ts';
import { DEV_ISSUER, ensureDevKeys } from '../scripts/dev-keys.ts';
import { devToken } from '../scripts/token.ts';
import { readmeExamples } from '../scripts/readme-examples.ts';

const keys = ensureDevKeys(`${mkdtempSync(join(tmpdir(), 'pages-keys-'))}/`);
const BASE_ENV = { AUTH_PUBLIC_KEY_FILE: keys.idpPublic, AUTH_ISSUER: DEV_ISSUER, GATEWAY_PRIVATE_KEY_FILE: keys.gatewayPrivate, GATEWAY_PORT: '0' };
const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8';

let off: RunningGateway;
let on: RunningGateway;
let production: RunningGateway;

beforeAll(async () => {
  [off, on, production] = await Promise.all([
    startGateway(loadGatewayConfig(BASE_ENV)),
    startGateway(loadGatewayConfig({ ...BASE_ENV, INTROSPECTION: 'authenticated' })),
    startGateway(loadGatewayConfig({ ...BASE_ENV, NODE_ENV: 'production' })),
  ]);
});
afterAll(() => Promise.all([off, on, production].map((g) => g?.stop())));

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A request with the path exactly as given (fetch would normalise `..` away before sending). */
function raw(base: string, path: string, options: { method?: string; headers?: Record<string, string> } = {}): Promise<Raw> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, method: options.method ?? 'GET', headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

const pageFile = (path: string) => readFileSync(new URL(`../gateway/pages/${path}`, import.meta.url), 'utf8');
const packageFile = (pkg: string, file: string) => readFileSync(join(dirname(createRequire(import.meta.url).resolve(`${pkg}/package.json`)), file), 'utf8');

describe('static pages', () => {
  it('serves the privacy centre with content types, security headers and revalidation', async () => {
    for (const [path, type] of [
      ['/privacy', 'text/html; charset=utf-8'],
      ['/privacy/', 'text/html; charset=utf-8'],
      ['/privacy/app.js', 'text/javascript; charset=utf-8'],
      ['/privacy/privacy.css', 'text/css; charset=utf-8'],
      ['/privacy/icon.svg', 'image/svg+xml'],
    ] as const) {
      const res = await raw(off.url, path);
      expect(res.status, path).toBe(200);
      expect(res.headers['content-type'], path).toBe(type);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.headers.etag).toMatch(/^"[\w-]+"$/);
    }
    expect((await raw(off.url, '/privacy/app.js')).body).toBe(pageFile('privacy/app.js'));
    const first = await raw(off.url, '/privacy/app.js');
    const again = await raw(off.url, '/privacy/app.js', { headers: { 'if-none-match': String(first.headers.etag) } });
    expect(again.status).toBe(304);
    expect(again.body).toBe('');
  });

  it('answers HEAD with the headers of GET and no body', async () => {
    const get = await raw(off.url, '/privacy/privacy.css');
    const head = await raw(off.url, '/privacy/privacy.css', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect(head.headers['content-length']).toBe(String(Buffer.byteLength(get.body)));
    expect(head.headers.etag).toBe(get.headers.etag);
    expect(head.headers['content-type']).toBe(get.headers['content-type']);
  });

  it('gives 404 for unknown files and 405 for other methods', async () => {
    for (const path of ['/privacy/nope.js', '/privacy/app.js/', '/privacy/APP.JS', '/explorer/explorer.js']) {
      const res = await raw(off.url, path);
      expect(res.status, path).toBe(404);
      expect(JSON.parse(res.body).errors[0].extensions.code).toBe('NOT_FOUND');
    }
    const post = await raw(off.url, '/privacy', { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
  });

  it('never serves a file from outside the page folders', async () => {
    const secrets = [readFileSync(keys.gatewayPrivate, 'utf8'), pageFile('../server.ts'), readFileSync(new URL('../package.json', import.meta.url), 'utf8')];
    for (const path of [
      '/privacy/../server.ts',
      '/privacy/../../package.json',
      '/privacy/%2e%2e/server.ts',
      '/privacy/%2E%2E/%2E%2E/package.json',
      '/privacy/..%2fserver.ts',
      '/privacy/..%2f..%2fpackage.json',
      '/privacy/..%5cserver.ts',
      '/privacy/%252e%252e/server.ts',
      '/privacy//etc/passwd',
      '/privacy/app.js%00.css',
      `/privacy/${'../'.repeat(12)}etc/passwd`,
      `/privacy/..%2f..%2f..%2f..%2f..%2f..%2f..%2f..%2f..${encodeURIComponent(keys.gatewayPrivate)}`,
      '/explorer/vendor/..%2f..%2f..%2fpackage.json',
      '/explorer/vendor/../../package.json',
    ]) {
      for (const gateway of [off, on]) {
        const res = await raw(gateway.url, path);
        expect(res.status, path).toBe(404);
        for (const secret of secrets) expect(res.body, path).not.toContain(secret.slice(0, 60));
        expect(res.body).not.toContain('root:');
      }
    }
  });

  it('answers a request target no URL parser accepts with 400, and goes on serving', async () => {
    // `GET //[/` reaches the handler (Node's parser lets it through) but not `new URL`: it once ended the gateway.
    for (const target of ['//[/', '//[/privacy', '//[/graphql']) {
      const res = await raw(off.url, target);
      expect(res.status, target).toBe(400);
      expect(JSON.parse(res.body).errors[0].extensions.code).toBe('BAD_REQUEST');
    }
    expect((await raw(off.url, '/health')).status).toBe(200);
  });

  it('tells a person refused for too many requests at once to retry in a moment, and one over the rate to wait a minute', async () => {
    const words: { errorInWords(error: unknown): { text: string } } = await import(new URL('../gateway/pages/privacy/words.js', import.meta.url).href);
    const refused = (limit: string) => words.errorInWords({ message: '', extensions: { code: 'RATE_LIMITED', limit, retryAfterSeconds: 1 } }).text;
    expect(refused('in-flight per user')).toBe('Too many of your requests are running at once (perhaps in other windows). Try again in a moment.');
    expect(refused('user')).toBe('Too many requests in a short time. Wait a minute, then try again.');
  });

  it('tells the privacy centre how people sign in: a pasted dev token, or the platform session in production', async () => {
    expect((await raw(off.url, '/privacy')).body).toContain('<meta name="sign-in" content="dev-token">');
    expect((await raw(production.url, '/privacy')).body).toContain('<meta name="sign-in" content="platform-session">');
  });

  it("tells the privacy centre how long an export may wait for a slow bank: the gateway's DATA_SUBJECT_TIMEOUT_MS, in words", async () => {
    expect((await raw(off.url, '/privacy')).body).toContain('<meta name="export-wait" content="a minute">');
    const site = loadSite(loadGatewayConfig({ ...BASE_ENV, DATA_SUBJECT_TIMEOUT_MS: '150000' }));
    expect(site.files.get('/privacy')!.body.toString('utf8')).toContain('<meta name="export-wait" content="150 seconds">');
    expect([1_000, 45_000, 60_000, 59_001, 120_000].map(waitInWords)).toEqual(['a second', '45 seconds', 'a minute', 'a minute', '2 minutes']);
  });
});

describe('GET /graphql', () => {
  it('prefers HTML only for browsers, as Apollo decides', () => {
    expect(prefersHtml(BROWSER_ACCEPT)).toBe(true);
    expect(prefersHtml('text/html')).toBe(true);
    expect(prefersHtml(undefined)).toBe(false);
    expect(prefersHtml('*/*')).toBe(false);
    expect(prefersHtml('application/json')).toBe(false);
    expect(prefersHtml('application/json, text/html;q=0.5')).toBe(false);
    expect(prefersHtml('application/graphql-response+json, application/json;q=0.9')).toBe(false);
  });

  it('gives a browser a short local page when introspection is off', async () => {
    const res = await raw(off.url, '/graphql', { headers: { accept: BROWSER_ACCEPT } });
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.body).toContain('The GraphQL explorer is switched off here');
    expect(res.body).not.toMatch(/<script|<link|https?:\/\//);
    expect((await raw(off.url, '/explorer/vendor/graphiql.min.js')).status).toBe(404);
  });

  it('serves the explorer from our own dependencies when introspection is on', async () => {
    const res = await raw(on.url, '/graphql', { headers: { accept: BROWSER_ACCEPT } });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.body).toBe(pageFile('explorer/index.html'));
    expect(res.body).not.toMatch(/https?:\/\//);
    const assets = [...res.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(assets.length).toBeGreaterThan(4);
    for (const asset of assets) {
      expect(asset.startsWith('/')).toBe(true);
      expect((await raw(on.url, asset)).status, asset).toBe(200);
    }
    for (const [name, pkg, file, type] of [
      ['graphiql.min.js', 'graphiql', 'graphiql.min.js', 'text/javascript; charset=utf-8'],
      ['graphiql.min.css', 'graphiql', 'graphiql.min.css', 'text/css; charset=utf-8'],
      ['react.production.min.js', 'react', 'umd/react.production.min.js', 'text/javascript; charset=utf-8'],
      ['react-dom.production.min.js', 'react-dom', 'umd/react-dom.production.min.js', 'text/javascript; charset=utf-8'],
    ] as const) {
      const vendor = await raw(on.url, `/explorer/vendor/${name}`);
      expect(vendor.headers['content-type']).toBe(type);
      expect(vendor.body === packageFile(pkg, file), name).toBe(true);
    }
  });

  it('still answers GraphQL clients as Apollo does, with or without the explorer', async () => {
    for (const gateway of [off, on]) {
      const ok = await raw(gateway.url, '/graphql?query=%7B__typename%7D', { headers: { accept: 'application/json', 'apollo-require-preflight': 'true' } });
      expect(ok.status).toBe(200);
      expect(JSON.parse(ok.body)).toEqual({ data: { __typename: 'Query' } });
      // Apollo's CSRF prevention still refuses a "simple" GET without a preflight header.
      const simple = await raw(gateway.url, '/graphql?query=%7B__typename%7D');
      expect(simple.status).toBe(400);
      expect(simple.headers['content-type']).toMatch(/^application\/json/);
    }
  });

  it('answers introspection only when INTROSPECTION opens it, whatever NODE_ENV says', async () => {
    const token = await devToken({ sub: 'alice' }, keys.idpPrivate);
    const introspect = (gateway: RunningGateway) =>
      fetch(`${gateway.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: '{ __schema { queryType { name } } }' }),
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));
    expect((await introspect(on)).body.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
    const refused = await introspect(off);
    expect(refused.status).toBe(403);
    expect(refused.body.data).toBeUndefined();
    expect(refused.body.errors[0].extensions.code).toBe('INTROSPECTION_DISABLED');
  });

  it('preloads every example query of the README in the explorer', () => {
    // The explorer names each operation (tab titles come from operation names); compare without names.
    const anonymous = (definition: DefinitionNode) =>
      print(definition.kind === Kind.OPERATION_DEFINITION ? { ...definition, name: undefined } : definition);
    const examples: Array<{ query: string }> = JSON.parse(pageFile('explorer/examples.json'));
    const preloaded = new Set(examples.flatMap((e) => parse(e.query).definitions.map(anonymous)));
    const documented = readmeExamples().map(anonymous);
    expect(documented.length).toBeGreaterThan(4);
    for (const operation of documented) expect(preloaded.has(operation), operation).toBe(true);
  });
});

describe("Apollo's landing page", () => {
  it('is off in every subgraph built with the kit: no Apollo Sandbox from a CDN', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const client = await connectMongo(inject('mongoUri'));
    const subgraph = await createSubgraph(
      {
        name: 'probe',
        typeDefs: parse('extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"]) type Query { hello: String } type Probe @key(fields: "id") { id: ID! }'),
        resolvers: { Query: { hello: () => 'hello' } },
        permissions: { Query: { hello: allow }, Probe: allow },
        extendContext: (base) => base,
      },
      { audit: createMongoAuditStore(client.db(`probe_${process.pid}`)), auditKey: 'k'.repeat(32), gatewayKey: publicKey, ready: async () => {} },
    );
    const listening = await listen(subgraph.handler, 0);
    try {
      const token = await mintInternalToken({ identity: { roles: [] }, requestId: 'probe' }, 'probe', privateKey);
      const res = await raw(listening.url, '/graphql', { headers: { accept: BROWSER_ACCEPT, authorization: `Bearer ${token}` } });
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.body).not.toMatch(/apollographql|sandbox|<html/i);
    } finally {
      await listening.close();
      await subgraph.stop();
      await client.close();
    }
  });
});
