// A MongoDB-compatible server for tests and `npm start`, in order of preference:
//   1. MONGODB_URI, when set;
//   2. a real mongod through mongodb-memory-server, when one can be had without a download
//      (MONGOMS_SYSTEM_BINARY, a `mongod` on PATH, or a binary already in its cache);
//   3. test/mongo-server: FerretDB embedded in a small Go program, built once and cached.
// It always says which one it used.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type DatabaseKind = 'external' | 'mongodb-memory-server' | 'ferretdb';

export interface DevDatabase {
  uri: string;
  kind: DatabaseKind;
  description: string;
  stop(): Promise<void>;
}

export interface DevDatabaseOptions {
  log?: (line: string) => void;
  /** Keep FerretDB's data here across runs (npm start); tests use a fresh temporary directory. */
  dataDir?: string;
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SERVER_SOURCE = join(ROOT, 'test', 'mongo-server');

export function redact(uri: string): string {
  return uri.replace(/\/\/([^@/]+)@/, '//***@');
}

export async function startDevDatabase(options: DevDatabaseOptions = {}): Promise<DevDatabase> {
  const log = options.log ?? ((line: string) => console.log(line));
  const external = process.env.MONGODB_URI?.trim();
  if (external) {
    const description = `external MongoDB at ${redact(external)} (MONGODB_URI)`;
    log(`database: ${description}`);
    return { uri: external, kind: 'external', description, stop: async () => undefined };
  }
  const memory = await tryMemoryServer(log);
  if (memory) return memory;
  return startFerretDb(options, log);
}

function onPath(binary: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, binary);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

function cachedMongod(): boolean {
  const dir = process.env.MONGOMS_DOWNLOAD_DIR ?? join(ROOT, 'node_modules', '.cache', 'mongodb-memory-server');
  const home = join(homedir(), '.cache', 'mongodb-binaries');
  return [dir, home].some((d) => existsSync(d) && readdirSync(d).some((f) => f.startsWith('mongod')));
}

/** Only where a mongod exists already: this never triggers a download (machines may be offline). */
async function tryMemoryServer(log: (line: string) => void): Promise<DevDatabase | undefined> {
  const systemBinary = process.env.MONGOMS_SYSTEM_BINARY ?? onPath('mongod');
  if (!systemBinary && !cachedMongod()) {
    log('database: no mongod binary here (MONGOMS_SYSTEM_BINARY, PATH, cache); not downloading one');
    return undefined;
  }
  const moduleName = 'mongodb-memory-server-core';
  let MongoMemoryServer: any;
  try {
    ({ MongoMemoryServer } = await import(moduleName));
  } catch {
    log(`database: a mongod is available but ${moduleName} is not installed; skipping it`);
    return undefined;
  }
  try {
    const server = await MongoMemoryServer.create({ binary: systemBinary ? { systemBinary } : undefined });
    const uri: string = server.getUri();
    const description = `mongod via mongodb-memory-server at ${uri}`;
    log(`database: ${description}`);
    return { uri, kind: 'mongodb-memory-server', description, stop: async () => void (await server.stop()) };
  } catch (error) {
    log(`database: mongodb-memory-server could not start a mongod (${(error as Error).message}); using FerretDB`);
    return undefined;
  }
}

function sourceHash(): string {
  const hash = createHash('sha256');
  for (const file of ['go.mod', 'go.sum', 'main.go']) hash.update(readFileSync(join(SERVER_SOURCE, file)));
  return hash.digest('hex').slice(0, 16);
}

function ferretVersion(): string {
  return readFileSync(join(SERVER_SOURCE, 'go.mod'), 'utf8').match(/github\.com\/FerretDB\/FerretDB (v[\d.]+)/)?.[1] ?? 'v1';
}

function goBinary(): string {
  const found = onPath('go') ?? ['/usr/local/go/bin/go', '/usr/lib/go/bin/go'].find((p) => existsSync(p));
  if (!found) {
    throw new Error(
      'No MongoDB-compatible server available: MONGODB_URI is not set, no mongod is installed, and Go is missing ' +
        'to build the embedded FerretDB server (test/mongo-server). Install Go ≥ 1.24, or set MONGODB_URI.',
    );
  }
  return found;
}

/** Builds test/mongo-server once per source hash; concurrent builders each write a temp file and rename. */
export function buildMongoServer(log: (line: string) => void): string {
  const dir = join(ROOT, 'node_modules', '.cache', 'mongo-server', sourceHash());
  const binary = join(dir, 'mongo-server');
  if (existsSync(binary)) return binary;
  mkdirSync(dir, { recursive: true });
  const go = goBinary();
  log(`database: building the FerretDB ${ferretVersion()} test server with ${go} (first run only, may take a few minutes)…`);
  const started = Date.now();
  const temp = `${binary}.${process.pid}.tmp`;
  const result = spawnSync(go, ['build', '-o', temp, '.'], {
    cwd: SERVER_SOURCE,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, GOFLAGS: `${process.env.GOFLAGS ?? ''} -mod=mod`.trim(), CGO_ENABLED: '0' },
  });
  if (result.status !== 0) throw new Error(`building test/mongo-server failed (exit ${result.status ?? result.signal}); see the Go output above`);
  renameSync(temp, binary);
  log(`database: built in ${((Date.now() - started) / 1000).toFixed(1)} s, cached at ${binary}`);
  return binary;
}

async function startFerretDb(options: DevDatabaseOptions, log: (line: string) => void): Promise<DevDatabase> {
  const binary = buildMongoServer(log);
  const args = options.dataDir ? ['-dir', options.dataDir] : [];
  const child = spawn(binary, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const uri = await waitForReady(child, 60_000);
  const description = `FerretDB ${ferretVersion()} (embedded, SQLite${options.dataDir ? ` in ${options.dataDir}` : ', temporary'}) at ${uri}`;
  log(`database: ${description}`);
  return {
    uri,
    kind: 'ferretdb',
    description,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

function waitForReady(child: ChildProcess, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    const fail = (message: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${message}\n--- mongo-server stderr (last lines) ---\n${stderr.split('\n').slice(-15).join('\n')}`));
    };
    const timer = setTimeout(() => fail(`the FerretDB test server did not become ready within ${timeoutMs / 1000} s`), timeoutMs);
    child.stderr!.on('data', (chunk) => (stderr = (stderr + chunk).slice(-8_000)));
    child.stdout!.on('data', (chunk) => {
      stdout += chunk;
      const match = stdout.match(/^READY (\S+)$/m);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.once('exit', (code, signal) => fail(`the FerretDB test server exited early (${code ?? signal})`));
    child.once('error', (error) => fail(`the FerretDB test server could not start: ${error.message}`));
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const db = await startDevDatabase({ dataDir: process.env.DEV_DATA_DIR });
  console.log(`MONGODB_URI=${db.uri}\n(Ctrl-C stops it)`);
  const stop = async () => {
    await db.stop();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
