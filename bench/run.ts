// `npm run bench`: latency, throughput, MongoDB commands per request and memory of the gateway on
// a few representative operations, over loopback only, bounded in count. Results go to
// bench/results/<date>.json (and latest.json); nothing here is asserted: these machines are noisy.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDevDatabase } from '../scripts/dev-database.ts';
import { startDisposableStack } from '../scripts/stack.ts';
import { devToken } from '../scripts/token.ts';
import { WITHOUT_RATE_LIMITS } from './without-rate-limits.ts';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 300);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);

const OPERATIONS: Record<string, { query: string; token: 'alice' | 'bob' }> = {
  profile: { query: '{ me { displayName } }', token: 'alice' },
  acceptance: {
    query: `{ me { displayName accounts { bank { name } transactions(first: 5) { edges { node { amount { minorUnits currency }
      merchant { name location { city } } } } } } conversations { messages(first: 3) { edges { node { body transaction { amount { minorUnits } } } } } } } }`,
    token: 'alice',
  },
  page100: { query: '{ me { accounts { transactions(first: 100) { edges { node { amount { minorUnits } merchant { name location { city } } } } } } } }', token: 'alice' },
  denied: { query: '{ me { displayName accounts { balance { minorUnits } } } }', token: 'bob' },
};

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const database = await startDevDatabase({ log: (l) => console.error(l) });
const stack = await startDisposableStack({ uri: database.uri, monitorCommands: true, env: WITHOUT_RATE_LIMITS });
const tokens = { alice: await devToken({ sub: 'alice' }, stack.keys.idpPrivate), bob: await devToken({ sub: 'bob' }, stack.keys.idpPrivate) };
const url = `${stack.gateway.url}/graphql`;
let commands = 0;
stack.client.on('commandStarted', () => commands++);

async function call(query: string, token: string): Promise<number> {
  const started = performance.now();
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query }) });
  await res.text();
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return performance.now() - started;
}

const results: Record<string, unknown> = {};
for (const [name, op] of Object.entries(OPERATIONS)) {
  for (let i = 0; i < 10; i++) await call(op.query, tokens[op.token]); // warm-up
  const before = commands;
  await call(op.query, tokens[op.token]);
  const commandsPerRequest = commands - before;
  const latencies: number[] = [];
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < REQUESTS) {
        next++;
        latencies.push(await call(op.query, tokens[op.token]));
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  results[name] = {
    requests: latencies.length,
    concurrency: CONCURRENCY,
    requestsPerSecond: Math.round(latencies.length / seconds),
    p50ms: +percentile(latencies, 50).toFixed(1),
    p95ms: +percentile(latencies, 95).toFixed(1),
    p99ms: +percentile(latencies, 99).toFixed(1),
    mongoCommandsPerRequest: commandsPerRequest,
  };
  console.error(`${name}: ${JSON.stringify(results[name])}`);
}

const report = {
  at: new Date().toISOString(),
  node: process.version,
  database: database.description.replace(/ at mongodb:\/\/\S+/, ''),
  rssMiB: Math.round(process.memoryUsage().rss / 2 ** 20),
  heapUsedMiB: Math.round(process.memoryUsage().heapUsed / 2 ** 20),
  operations: results,
};
const file = join('bench', 'results', `${report.at.slice(0, 10)}.json`);
writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
writeFileSync(join('bench', 'results', 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
console.log(`wrote ${file}`);

await stack.close();
await database.stop();
