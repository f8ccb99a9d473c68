// A MongoDB-compatible server for tests and `npm start`, in order of preference:
//   1. MONGODB_URI, when set;
//   2. a real mongod through mongodb-memory-server-core (optional dependency), only when a mongod
//      binary is already on this machine (MONGOMS_SYSTEM_BINARY, PATH, or its download cache):
//      machines here may be offline, and a download attempt would hang or fail slowly;
//   3. test/mongo-server: FerretDB embedded in a small Go program, built once per source hash, over
//      a PostgreSQL server when one answers (FERRETDB_POSTGRESQL_URL, by default the local one on
//      127.0.0.1:5432), otherwise over SQLite files. FerretDB hands PostgreSQL every top-level
//      equality of a query (an account's page of transactions reads that account's rows), where
//      SQLite gets `_id` lookups only and scans the rest: bench/README.md has the measurements.
//      FERRETDB_HANDLER=sqlite|postgresql chooses instead of trying.
// It always says which one it used. Run directly (`tsx scripts/dev-database.ts`) it starts one and
// stays up until Ctrl-C.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { homedir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export type DatabaseKind = 'external' | 'mongodb-memory-server' | 'ferretdb';

export interface DevDatabase {
  uri: string;
  kind: DatabaseKind;
  description: string;
  /** FerretDB's storage, when it is the embedded server. */
  ferretdb?: { handler: 'sqlite' | 'postgresql'; pid: number; postgresDatabase?: string };
  stop(): Promise<void>;
}

export interface DevDatabaseOptions {
  log?: (line: string) => void;
  /**
   * Keep the data across runs (npm start): FerretDB's SQLite files in `dataDir`, or on PostgreSQL
   * the database `postgresDatabase`. By default a temporary directory or a new database, removed
   * on stop.
   */
  dataDir?: string;
  postgresDatabase?: string;
}

type Log = (line: string) => void;

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SERVER_SOURCE = join(ROOT, 'test', 'mongo-server');
const SERVER_FILES = ['go.mod', 'go.sum', 'main.go'];
const READY_TIMEOUT_MS = 30_000;
const MEMORY_SERVER_TIMEOUT_MS = 20_000;

/** Hides the credentials of a connection string, for logs. */
/**
 * Where `npm start` keeps its embedded database (DEV_DATA_DIR, DEV_POSTGRES_DATABASE): the
 * commands that read that database afterwards (`npm run audit:verify`) open the same one, not a
 * fresh empty one.
 */
export function keptDevDatabase(): Pick<DevDatabaseOptions, 'dataDir' | 'postgresDatabase'> {
  return { dataDir: process.env.DEV_DATA_DIR ?? '.data/ferretdb', postgresDatabase: process.env.DEV_POSTGRES_DATABASE ?? 'consent_gateway_dev' };
}

export function redact(uri: string): string {
  return uri.replace(/^([a-z+]+:\/\/)[^@/]*@/i, '$1***@');
}

export async function startDevDatabase(options: DevDatabaseOptions = {}): Promise<DevDatabase> {
  const log = options.log ?? ((line: string) => console.log(line));
  const external = process.env.MONGODB_URI?.trim();
  const database = external
    ? { uri: external, kind: 'external' as const, description: `external MongoDB at ${redact(external)} (MONGODB_URI)`, stop: async () => {} }
    : ((await tryMemoryServer(log)) ?? (await startFerretDb(options, log)));
  log(`database: ${database.description}`);
  return database;
}

// ---- 2. mongodb-memory-server, never downloading ------------------------------------------------

function onPath(binary: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, binary);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** A mongod that mongodb-memory-server downloaded earlier (its default cache locations), newest first. */
function cachedMongod(): string | undefined {
  const dirs = [
    process.env.MONGOMS_DOWNLOAD_DIR,
    join(ROOT, 'node_modules', '.cache', 'mongodb-memory-server'),
    join(homedir(), '.cache', 'mongodb-binaries'),
  ].filter((d): d is string => !!d && existsSync(d));
  const found = dirs.flatMap((dir) =>
    readdirSync(dir)
      .filter((f) => f.startsWith('mongod-'))
      .map((f) => join(dir, f))
      .filter((p) => statSync(p).isFile()),
  );
  return found.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
}

async function tryMemoryServer(log: Log): Promise<DevDatabase | undefined> {
  const binary = process.env.MONGOMS_SYSTEM_BINARY || onPath('mongod') || cachedMongod();
  if (!binary) {
    log('database: no mongod binary here (MONGOMS_SYSTEM_BINARY, PATH, mongodb-memory-server cache); not downloading one');
    return undefined;
  }
  const moduleName = 'mongodb-memory-server-core'; // a variable, so that TypeScript does not require it
  let MongoMemoryServer: any;
  try {
    ({ MongoMemoryServer } = await import(moduleName));
  } catch {
    log(`database: found ${binary} but ${moduleName} is not installed; skipping mongod`);
    return undefined;
  }
  let timer: NodeJS.Timeout | undefined;
  try {
    // systemBinary always set: mongodb-memory-server then never tries a download.
    const starting = MongoMemoryServer.create({ binary: { systemBinary: binary } });
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${MEMORY_SERVER_TIMEOUT_MS / 1000} s`)), MEMORY_SERVER_TIMEOUT_MS);
    });
    const server = await Promise.race([starting, timeout]);
    const uri: string = server.getUri();
    return {
      uri,
      kind: 'mongodb-memory-server',
      description: `mongod (${binary}) via mongodb-memory-server at ${uri}`,
      stop: async () => void (await server.stop()),
    };
  } catch (error) {
    log(`database: mongodb-memory-server could not start ${binary} (${(error as Error).message}); using FerretDB instead`);
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

// ---- 3. FerretDB, embedded in test/mongo-server -------------------------------------------------

function ferretVersion(): string {
  const goMod = readFileSync(join(SERVER_SOURCE, 'go.mod'), 'utf8');
  return goMod.match(/github\.com\/FerretDB\/FerretDB (v[\w.+-]+)/)?.[1] ?? 'v1';
}

function goBinary(): string {
  const candidates = [onPath('go'), process.env.GOROOT && join(process.env.GOROOT, 'bin', 'go'), '/usr/local/go/bin/go', '/usr/lib/go/bin/go'];
  const found = candidates.find((p): p is string => !!p && existsSync(p));
  if (!found) {
    throw new Error(
      'No MongoDB-compatible server available: MONGODB_URI is not set, no mongod is installed, and the Go ' +
        'toolchain (`go`, version 1.24 or newer) is not found to build the embedded FerretDB server in ' +
        'test/mongo-server. Install Go ≥ 1.24 (or put it on PATH), install mongod, or set MONGODB_URI.',
    );
  }
  return found;
}

function run(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<{ code: number | null; output: string }> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (chunk: Buffer) => {
      process.stderr.write(chunk); // `go: downloading …` lines show progress on a first build
      output = (output + chunk).slice(-8_000);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    child.once('error', fail);
    child.once('close', (code) => done({ code, output }));
  });
}

/**
 * Builds test/mongo-server once per hash of its sources, into node_modules/.cache/mongo-server/<hash>/.
 * Concurrent builders each write their own temporary file and rename it: the rename is atomic,
 * so a reader sees either no binary or a complete one.
 */
export async function buildMongoServer(log: Log): Promise<string> {
  const hash = createHash('sha256');
  for (const file of SERVER_FILES) hash.update(file).update('\0').update(readFileSync(join(SERVER_SOURCE, file)));
  const dir = join(ROOT, 'node_modules', '.cache', 'mongo-server', hash.digest('hex').slice(0, 16));
  const binary = join(dir, 'mongo-server');
  if (existsSync(binary)) return binary;

  const go = goBinary();
  mkdirSync(dir, { recursive: true });
  log(`database: building the FerretDB ${ferretVersion()} test server with ${go} (first run only, may take a few minutes)…`);
  const started = Date.now();
  const temp = `${binary}.${process.pid}.${Date.now()}.tmp`;
  try {
    // -mod=readonly: never rewrite go.mod/go.sum in the checkout; CGO off: FerretDB's SQLite is pure Go.
    const { code, output } = await run(go, ['build', '-mod=readonly', '-buildvcs=false', '-o', temp, '.'], {
      cwd: SERVER_SOURCE,
      env: { ...process.env, CGO_ENABLED: '0' },
    });
    if (code !== 0) throw new Error(`building test/mongo-server with ${go} failed (exit ${code}):\n${output.trim()}`);
    renameSync(temp, binary);
  } finally {
    rmSync(temp, { force: true });
  }
  log(`database: built the FerretDB test server in ${((Date.now() - started) / 1000).toFixed(1)} s (cached at ${binary})`);
  return binary;
}

const DEFAULT_POSTGRESQL_URL = 'postgres://postgres@127.0.0.1:5432/';

/** Whether something accepts connections at the PostgreSQL URL's address (a quick look before trying it). */
function answers(url: URL): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ host: url.hostname || '127.0.0.1', port: Number(url.port || 5432) });
    const finish = (ok: boolean) => {
      socket.destroy();
      done(ok);
    };
    socket.setTimeout(500, () => finish(false));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}

async function startFerretDb(options: DevDatabaseOptions, log: Log): Promise<DevDatabase> {
  const binary = await buildMongoServer(log);
  const handler = process.env.FERRETDB_HANDLER?.trim() || 'auto';
  if (!['auto', 'sqlite', 'postgresql'].includes(handler)) throw new Error(`FERRETDB_HANDLER must be auto, sqlite or postgresql (got "${handler}")`);
  if (handler !== 'sqlite') {
    const server = new URL(process.env.FERRETDB_POSTGRESQL_URL?.trim() || DEFAULT_POSTGRESQL_URL);
    if (await answers(server)) {
      try {
        return await startOnPostgres(binary, server, options, log);
      } catch (error) {
        if (handler === 'postgresql') throw error;
        log(`database: PostgreSQL at ${server.host} did not work out (${(error as Error).message.split('\n')[0]}); using SQLite`);
      }
    } else if (handler === 'postgresql') {
      throw new Error(`FERRETDB_HANDLER=postgresql, but nothing answers at ${server.host} (FERRETDB_POSTGRESQL_URL)`);
    }
  }
  const dataDir = options.dataDir ? resolve(options.dataDir) : undefined;
  return runFerretDb(binary, dataDir ? ['--dir', dataDir] : [], log, {
    handler: 'sqlite',
    description: `SQLite${dataDir ? ` in ${dataDir}` : ', temporary'}`,
  });
}

/** FerretDB over a database of the PostgreSQL server at `server`: kept (`postgresDatabase`) or made for this run and dropped on stop. */
function startOnPostgres(binary: string, server: URL, options: DevDatabaseOptions, log: Log): Promise<DevDatabase> {
  const database = options.postgresDatabase ?? `ferretdb_${process.pid}_${randomBytes(4).toString('hex')}`;
  const url = new URL(server);
  url.pathname = `/${database}`;
  const args = ['--handler', 'postgresql', '--postgresql-url', url.href, '--postgresql-create', ...(options.postgresDatabase ? [] : ['--postgresql-drop'])];
  return runFerretDb(binary, args, log, {
    handler: 'postgresql',
    postgresDatabase: database,
    description: `PostgreSQL database ${database} at ${server.host}${options.postgresDatabase ? '' : ', dropped on stop'}`,
  });
}

async function runFerretDb(binary: string, args: string[], log: Log, storage: { handler: 'sqlite' | 'postgresql'; postgresDatabase?: string; description: string }): Promise<DevDatabase> {
  // stdin stays an open pipe: the server exits when it reaches EOF, i.e. when this process dies.
  // detached: its own process group, so a terminal's Ctrl-C reaches only us, and we stop it after
  // our own clients have closed.
  const child = spawn(binary, args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  const stderr = { tail: '' };
  child.stderr!.on('data', (chunk) => (stderr.tail = (stderr.tail + chunk).slice(-8_000)));
  const uri = await waitForReady(child, stderr);

  let stopping = false;
  child.once('exit', (code, signal) => {
    if (!stopping) log(`database: the FerretDB test server exited unexpectedly (${code ?? signal})\n${tail(stderr.tail)}`);
  });
  const exited = new Promise<void>((done) => (child.exitCode !== null || child.signalCode !== null ? done() : child.once('exit', () => done())));
  return {
    uri,
    kind: 'ferretdb',
    description: `FerretDB ${ferretVersion()} (embedded, ${storage.description}) at ${uri}`,
    ferretdb: { handler: storage.handler, pid: child.pid!, postgresDatabase: storage.postgresDatabase },
    stop: async () => {
      stopping = true;
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(kill);
      }
      child.stdin!.destroy();
    },
  };
}

function tail(text: string, lines = 15): string {
  return `--- mongo-server stderr (last lines) ---\n${text.trimEnd().split('\n').slice(-lines).join('\n')}`;
}

function waitForReady(child: ChildProcess, stderr: { tail: string }): Promise<string> {
  return new Promise((done, reject) => {
    let stdout = '';
    const finish = (error?: Error, uri?: string) => {
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.off('exit', onExit);
      child.off('error', onError);
      child.stdout!.resume(); // nothing else is printed there, but never let the pipe fill up
      if (error) {
        child.kill('SIGKILL');
        reject(error);
      } else done(uri!);
    };
    const fail = (message: string) => finish(new Error(`${message}\n${tail(stderr.tail)}`));
    const onData = (chunk: Buffer) => {
      stdout += chunk;
      const match = stdout.match(/^READY (mongodb:\/\/\S+)$/m);
      if (match) finish(undefined, match[1]);
    };
    const onExit = (code: number | null, signal: string | null) => fail(`the FerretDB test server exited before it was ready (${code ?? signal})`);
    const onError = (error: Error) => fail(`the FerretDB test server could not be started: ${error.message}`);
    const timer = setTimeout(() => fail(`the FerretDB test server did not print READY within ${READY_TIMEOUT_MS / 1000} s`), READY_TIMEOUT_MS);
    child.stdout!.on('data', onData);
    child.once('exit', onExit);
    child.once('error', onError);
  });
}

// ---- CLI ----------------------------------------------------------------------------------------

function runDirectly(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}

if (runDirectly()) {
  const database = await startDevDatabase({ dataDir: process.env.DEV_DATA_DIR, postgresDatabase: process.env.DEV_POSTGRES_DATABASE });
  console.log(`MONGODB_URI=${database.uri}\n(Ctrl-C stops it)`);
  const stop = async () => {
    await database.stop();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
