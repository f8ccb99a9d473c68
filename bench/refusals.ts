// `npm run bench:refusals`: how long the gateway takes to refuse the operations of issue 6 that
// used to freeze it: nested fragments (30 levels: 2^30 fields once expanded) and 100 aliases of
// a 100-row page. Round trips over loopback to a whole stack, after a warm-up, plus the gate's own
// parse-and-measure time in this process. Nothing is asserted (shared machines are noisy); the
// result goes to bench/results/refusals-<time>.json (not tracked), and with `--save` to
// bench/results/refusals-latest.json (committed).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'graphql';
import { measureDocument } from '../gateway/operation-shape.ts';
import { composeSupergraph } from '../scripts/compose.ts';
import { startDevDatabase } from '../scripts/dev-database.ts';
import { startDisposableStack } from '../scripts/stack.ts';
import { devToken } from '../scripts/token.ts';
import { WITHOUT_RATE_LIMITS } from './without-rate-limits.ts';

const ROUNDS = Number(process.env.BENCH_REQUESTS ?? 50);

function fragmentBomb(levels: number): string {
  let q = `query{me{...F${levels}}} fragment F0 on User{id}`;
  for (let i = 1; i <= levels; i++) q += ` fragment F${i} on User{...F${i - 1} ...F${i - 1}}`;
  return q;
}
const aliasedPages = `{ ${Array.from({ length: 100 }, (_, i) => `a${i}: me { accounts { transactions(first: 100) { edges { node { id } } } } }`).join(' ')} }`;

const summary = (ms: number[]) => {
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (p: number) => +sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!.toFixed(2);
  return { rounds: sorted.length, p50ms: at(0.5), p95ms: at(0.95), maxMs: +sorted.at(-1)!.toFixed(2) };
};

const database = await startDevDatabase({ log: (l) => console.error(l) });
const stack = await startDisposableStack({ uri: database.uri, seedData: false, env: WITHOUT_RATE_LIMITS });
const url = `${stack.gateway.url}/graphql`;
const alice = await devToken({ sub: 'alice' }, stack.keys.idpPrivate);

async function roundTrips(query: string, token?: string): Promise<{ status: number; codes: string[]; timing: ReturnType<typeof summary> }> {
  const times: number[] = [];
  let last: { status: number; codes: string[] } = { status: 0, codes: [] };
  for (let i = 0; i < ROUNDS + 5; i++) {
    const started = performance.now();
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify({ query }) });
    const body = (await res.json()) as { errors?: Array<{ extensions?: { code?: string } }> };
    if (i >= 5) times.push(performance.now() - started); // the first five warm up
    last = { status: res.status, codes: (body.errors ?? []).map((e) => e.extensions?.code ?? '?') };
  }
  return { ...last, timing: summary(times) };
}

const schema = composeSupergraph().apiSchema();
function measureInProcess(query: string) {
  const times: number[] = [];
  for (let i = 0; i < ROUNDS + 5; i++) {
    const started = performance.now();
    measureDocument(parse(query, { maxTokens: 3_000 }), { schema, assumedListSize: 10 });
    if (i >= 5) times.push(performance.now() - started);
  }
  return summary(times);
}

const report = {
  at: new Date().toISOString(),
  node: process.version,
  fragmentBomb30: { anonymous: await roundTrips(fragmentBomb(30)), gateOnly: measureInProcess(fragmentBomb(30)) },
  fragmentBomb60: { anonymous: await roundTrips(fragmentBomb(60)) },
  aliasedPages100: { firstParty: await roundTrips(aliasedPages, alice), gateOnly: measureInProcess(aliasedPages) },
};
console.log(JSON.stringify(report, null, 2));
const json = `${JSON.stringify(report, null, 2)}\n`;
mkdirSync(join('bench', 'results'), { recursive: true });
writeFileSync(join('bench', 'results', `refusals-${report.at.replace(/[:.]/g, '-')}.json`), json);
if (process.argv.includes('--save')) writeFileSync(join('bench', 'results', 'refusals-latest.json'), json);
await stack.close();
await database.stop();
