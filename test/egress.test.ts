// Nothing leaves the machine unasked: `npm start` runs as a developer runs it (on free ports, its
// own embedded database and keys), every Node process it starts under the egress guard
// (test/support/egress-guard.mjs, passed through NODE_OPTIONS so that it reaches every child
// whatever the process layout), a set of requests goes through it, it stops, and the guard's
// record holds no attempt to reach beyond loopback.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { buildManifest } from '../scripts/persisted.ts';
import { devToken } from '../scripts/token.ts';
import { freePort } from '../scripts/free-port.ts';
import { postGraphQL } from './support/stack.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const GUARD = pathToFileURL(fileURLToPath(new URL('./support/egress-guard.mjs', import.meta.url))).href;
const work = mkdtempSync(join(tmpdir(), 'egress-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Attempt {
  kind: string;
  target: string | null;
  pid: number;
  script: string | null;
}

const readLog = (file: string): Attempt[] =>
  existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as Attempt) : [];

function guardedEnv(log: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra, EGRESS_LOG: log, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${GUARD}`.trim() };
  delete env.MONGODB_URI; // npm start's own embedded database, as on a fresh clone
  return env;
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code))));
}

describe('the egress guard', () => {
  it('records and refuses a connection beyond loopback and a DNS lookup (so that finding none means something)', async () => {
    const log = join(work, 'control.log');
    const script = `
      const net = require('node:net');
      net.connect(443, '203.0.113.7').on('error', () => {});
      require('node:dns').lookup('telemetry.example', () => {});
      const local = net.createServer().listen(0, '127.0.0.1', () => net.connect(local.address().port, '127.0.0.1', function () { this.end(); local.close(); }));`;
    const child = spawn(process.execPath, ['-e', script], { env: guardedEnv(log), stdio: 'ignore' });
    expect(await exited(child)).toBe(0);
    const attempts = readLog(log);
    expect(attempts.filter((a) => a.kind === 'loaded')).toHaveLength(1);
    expect(attempts.filter((a) => a.kind !== 'loaded').map((a) => `${a.kind} ${a.target}`)).toEqual(['connect 203.0.113.7:443', 'dns.lookup telemetry.example']);
  });
});

/** One `npm start` session under the guard: the same requests as a developer's, then Ctrl-C. */
async function session(name: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<{ attempts: Attempt[]; output: string }> {
  const log = join(work, `${name}.log`);
  const keys = join(work, `${name}-keys`) + '/';
  const ports = { GATEWAY_PORT: await freePort(), USER_PROFILE_PORT: await freePort(), MESSAGING_PORT: await freePort() };
  // npm start runs each bank of the registry at the port its URL names: a registry on free ports.
  const registry = join(work, `${name}-banks.json`);
  writeFileSync(
    registry,
    JSON.stringify([
      { id: 'contoso', name: 'Contoso Bank', url: `http://localhost:${await freePort()}/graphql` },
      { id: 'northwind', name: 'Northwind Bank', url: `http://localhost:${await freePort()}/graphql` },
    ]),
  );
  // `--ignore-scripts` skips only the prestart hook, which (re)installs dependencies from the
  // npm registry when the lockfile changed: installing is not part of the product's traffic.
  const child = spawn('npm', ['start', '--ignore-scripts'], {
    cwd: ROOT,
    detached: true, // its own process group: stopped like a terminal's Ctrl-C stops it
    stdio: ['ignore', 'pipe', 'pipe'],
    env: guardedEnv(log, {
      ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
      // Its own throwaway data: SQLite files in the work directory, never a developer's database.
      DEV_DATA_DIR: join(work, `${name}-data`),
      FERRETDB_HANDLER: 'sqlite',
      DEV_KEYS_DIR: keys,
      BANK_REGISTRY_FILE: registry,
      npm_config_update_notifier: 'false',
      // A vendor key left in an operator's environment must not switch reporting on either.
      APOLLO_KEY: 'service:leftover-graph:0123456789abcdef',
      APOLLO_GRAPH_REF: 'leftover-graph@current',
      APOLLO_SCHEMA_REPORTING: 'true',
      // Nor may OpenTelemetry's switch for cloud resource detectors (metadata probes) do anything.
      OTEL_NODE_RESOURCE_DETECTORS: 'all',
      ...extraEnv,
    }),
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const stopped = exited(child);
  const gateway = `http://127.0.0.1:${ports.GATEWAY_PORT}`;
  try {
    for (let waited = 0; !output.includes('Ctrl-C stops everything'); waited += 250) {
      if (child.exitCode !== null || waited > 180_000) throw new Error(`npm start did not come up:\n${output}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    const url = `${gateway}/graphql`;
    const alice = { authorization: `Bearer ${await devToken({ sub: 'alice' }, `${keys}idp-private.pem`)}` };
    const bob = { authorization: `Bearer ${await devToken({ sub: 'bob' }, `${keys}idp-private.pem`)}` };
    const overview = buildManifest(join(ROOT, 'operations')).operations.find((op) => op.name === 'MyOverview')!;
    const responses = [
      await postGraphQL(url, { query: '{ banks { id name } }' }),
      await postGraphQL(url, { query: '{ me { displayName accounts { balance { minorUnits } transactions(first: 5) { edges { node { amount { minorUnits } merchant { name location { city } } } } } } conversations { messages(first: 3) { edges { node { body transaction { amount { minorUnits } } } } } } } }' }, alice),
      await postGraphQL(url, { extensions: { persistedQuery: { version: 1, sha256Hash: overview.id } } }, alice),
      await postGraphQL(url, { query: '{ me { accounts { balance { minorUnits } } } }' }, bob),
      await postGraphQL(url, { query: 'mutation { optInToBankMessages(bankId: "contoso") { optedIn } }' }, alice),
      await postGraphQL(url, { query: '{ __schema { queryType { name } } }' }, alice),
      await postGraphQL(url, { query: '{ me { displayName } }' }, { authorization: 'Bearer not-a-token' }),
    ];
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200, 401]);
    expect(responses[1]!.body.data.me.displayName).toBe('Alice Martin');
    expect((await fetch(`${gateway}/ready`)).status).toBe(200);
    expect((await fetch(`${gateway}/metrics`)).status).toBe(200);
  } finally {
    if (child.exitCode === null) process.kill(-child.pid!, 'SIGINT');
    const timer = setTimeout(() => child.exitCode === null && process.kill(-child.pid!, 'SIGKILL'), 60_000);
    await stopped;
    clearTimeout(timer);
  }
  expect(output).toContain('stopped: every service, then the database.');
  const attempts = readLog(log);
  // The guard ran in the processes that serve requests (whatever their layout), not only in npm.
  for (const script of [/scripts\/start\.ts$/, /gateway\/main\.ts$/, /subgraphs\/main\.ts$/, /subgraphs\/bank\/main\.ts$/]) {
    expect(attempts.filter((a) => a.kind === 'loaded' && script.test(a.script ?? '')).length, String(script)).toBeGreaterThan(0);
  }
  return { attempts, output };
}

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes?: Array<{ key: string; value: Record<string, unknown> }>;
}

describe('npm start', () => {
  it('reaches nothing beyond loopback over a whole session', { timeout: 240_000 }, async () => {
    const { attempts } = await session('start');
    expect(attempts.filter((a) => a.kind !== 'loaded')).toEqual([]);
  });

  it('with tracing configured, sends spans to that collector only, one trace across the processes', { timeout: 240_000 }, async () => {
    const exports: Array<{ service: string; spans: OtlpSpan[] }> = [];
    const collector = createHttpServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        for (const rs of JSON.parse(body).resourceSpans ?? []) {
          const service = rs.resource.attributes.find((a: { key: string }) => a.key === 'service.name')?.value.stringValue;
          exports.push({ service, spans: rs.scopeSpans.flatMap((s: { spans: OtlpSpan[] }) => s.spans) });
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = collector.address() as { port: number };
      const { attempts } = await session('traced', { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}` });
      expect(attempts.filter((a) => a.kind !== 'loaded')).toEqual([]);
    } finally {
      collector.close();
    }
    // Every service exported when it stopped; alice's request is one trace in the gateway, the bank and its database.
    expect(new Set(exports.map((e) => e.service))).toEqual(new Set(['gateway', 'user-profile', 'messaging', 'bank-northwind', 'bank-contoso']));
    const spansOf = (service: string) => exports.filter((e) => e.service === service).flatMap((e) => e.spans);
    const bankServer = spansOf('bank-northwind').find((s) => s.name === 'POST /graphql')!;
    const gatewayCall = spansOf('gateway').find((s) => s.spanId === bankServer.parentSpanId);
    expect(gatewayCall?.name).toBe('POST bank northwind');
    expect(gatewayCall?.traceId).toBe(bankServer.traceId);
    expect(spansOf('bank-northwind').some((s) => s.traceId === bankServer.traceId && s.parentSpanId === bankServer.spanId && s.name.startsWith('find '))).toBe(true);
  });
});
