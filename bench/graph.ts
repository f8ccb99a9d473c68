// The graph a benchmark measures: the development database (scripts/dev-database.ts: the embedded
// FerretDB over PostgreSQL or SQLite, or MONGODB_URI), the demo data under a fresh prefix (or a
// larger set: BENCH_TRANSACTIONS), and every service as its own process under the supervisor, as
// `npm start` runs them, on free ports. Other gateway engines can be started next to ours, on the
// same subgraphs and banks.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectMongo } from '@consent-gateway/kit/mongo';
import { loadBankRegistry } from '../gateway/bank-registry.ts';
import { DEMO_BANKS, demoData, TRANSACTION_COUNT } from '../scripts/demo-data.ts';
import { startDevDatabase, type DevDatabase } from '../scripts/dev-database.ts';
import { ensureDevKeys, type DevKeys } from '../scripts/dev-keys.ts';
import { freePort } from '../scripts/free-port.ts';
import { gatewayEnv, startProcessStack, type ProcessStack } from '../scripts/process-stack.ts';
import { graphDbs, seed, transactionCount } from '../scripts/seed.ts';
import { FIXED_ANCHOR } from '../scripts/stack.ts';
import { supervise, type Supervisor } from '../scripts/supervisor.ts';
import { devToken, type DevTokenOptions } from '../scripts/token.ts';
import { bankServiceName, PLATFORM_SUBGRAPHS } from '../subgraphs/catalog.ts';
import { postgresBackends } from './proc.ts';
import { WITHOUT_RATE_LIMITS } from './without-rate-limits.ts';


export interface BenchGraph {
  database: DevDatabase;
  /** Which data set was seeded. */
  dataset: { transactions: number; note: string };
  gatewayUrl: string;
  keys: DevKeys;
  token(options: DevTokenOptions): Promise<string>;
  /** Process ids by what they are: the gateway, each subgraph and bank, the database (FerretDB and the PostgreSQL backends serving it), other engines. */
  processes(): Record<string, number[]>;
  /** The gateway and every subgraph and bank of the graph (not other engines, not the database). */
  services(): string[];
  /** Sees every line a service prints. */
  onServiceLine(listener: (service: string, line: string) => void): void;
  /** Another engine's gateway process on the same subgraphs and banks; resolves with its GraphQL URL once it answers. */
  startEngine(name: string, script: string, env?: NodeJS.ProcessEnv): Promise<string>;
  stop(): Promise<void>;
}

export async function startBenchGraph(options: { log?: (line: string) => void; gcProbe?: boolean } = {}): Promise<BenchGraph> {
  const log = options.log ?? (() => {});
  const lineListeners: Array<(service: string, line: string) => void> = [];
  // The supervisor prefixes each line of a service with its name: `[gateway     ] …`.
  const serviceLog = (line: string) => {
    const match = line.match(/^\[(\S+)\s*\] (.*)$/);
    if (match) for (const listener of lineListeners) listener(match[1]!, match[2]!);
    log(line);
  };
  const transactions = Number(process.env.BENCH_TRANSACTIONS ?? TRANSACTION_COUNT);
  const database = await startDevDatabase({ log });
  const work = mkdtempSync(join(tmpdir(), 'consent-bench-'));
  const dbPrefix = `b${randomBytes(4).toString('hex')}_`;
  const client = await connectMongo(database.uri);
  const engines: Array<{ name: string; supervisor: Supervisor }> = [];
  let stack: ProcessStack | undefined;
  const stop = async () => {
    for (const engine of engines) await engine.supervisor.stop();
    await stack?.stop();
    const { databases } = await client.db().admin().listDatabases({ nameOnly: true });
    for (const { name } of databases.filter((d) => d.name.startsWith(dbPrefix))) await client.db(name).dropDatabase();
    await client.close();
    await database.stop();
    rmSync(work, { recursive: true, force: true });
  };
  try {
    const data = await seed(graphDbs(client, dbPrefix), demoData(FIXED_ANCHOR, { transactions }));
    const keys = ensureDevKeys(`${join(work, 'keys')}/`);
    const registryFile = join(work, 'banks.json');
    writeFileSync(registryFile, JSON.stringify(await Promise.all(DEMO_BANKS.map(async (b) => ({ ...b, url: `http://localhost:${await freePort()}/graphql` })))));
    const ports = Object.fromEntries(await Promise.all(PLATFORM_SUBGRAPHS.map(async (n) => [n, await freePort()] as const))) as Record<(typeof PLATFORM_SUBGRAPHS)[number], number>;
    // The services run with NODE_ENV=production, as deployed (graphql-js skips its development checks);
    // for the memory benchmark, with a probe that collects garbage on a signal (bench/gc-probe.mjs).
    const probe = options.gcProbe ? { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --expose-gc --import=${fileURLToPath(new URL('./gc-probe.mjs', import.meta.url))}`.trim() } : {};
    const env = { ...WITHOUT_RATE_LIMITS, NODE_ENV: 'production', ...probe };
    const running = await startProcessStack({
      mongoUri: database.uri,
      dbPrefix,
      keys,
      gatewayPort: await freePort(),
      ports,
      registry: loadBankRegistry(registryFile),
      registryFile,
      env,
      supervisor: { log: serviceLog },
    });
    stack = running;
    const services = [...PLATFORM_SUBGRAPHS, ...running.localBanks.map((b) => bankServiceName(b.id))];
    return {
      database,
      dataset: {
        transactions: transactionCount(data),
        note: transactions === TRANSACTION_COUNT ? 'the demo data of npm start' : `the demo data with ${transactions} transactions (BENCH_TRANSACTIONS)`,
      },
      gatewayUrl: running.gatewayUrl,
      keys,
      token: (o) => devToken(o, keys.idpPrivate),
      services: () => ['gateway', ...services],
      onServiceLine: (listener) => void lineListeners.push(listener),
      processes: () => ({
        gateway: [running.supervisor.pid('gateway')!],
        ...Object.fromEntries(services.map((s) => [s, [running.supervisor.pid(s)!]])),
        ...Object.fromEntries(engines.map((e) => [e.name, [e.supervisor.pid(e.name)!]])),
        database: [
          ...(database.ferretdb ? [database.ferretdb.pid] : []),
          ...(database.ferretdb?.postgresDatabase ? postgresBackends(database.ferretdb.postgresDatabase) : []),
        ],
      }),
      async startEngine(name, script, extra = {}) {
        const port = await freePort();
        const supervisor = supervise([{ name, script, env: { ...gatewayEnv({ env, keys, registryFile }, running.urls, port), ...extra }, healthUrl: `http://localhost:${port}/health` }], { log });
        engines.push({ name, supervisor });
        await supervisor.ready();
        return `http://localhost:${port}/graphql`;
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
