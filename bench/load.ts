// Sending operations to a gateway and measuring them: the operations of the benchmark, a client
// that fails loudly on anything but a clean answer, and runs at a given concurrency.
import { request as httpRequest, Agent } from 'node:http';
import { readmeBigQuery } from '../scripts/readme-examples.ts';

export interface Operation {
  query: string;
  /** Who sends it: a user of the demo data. */
  as: 'alice' | 'bob';
  /** What it exercises. */
  what: string;
  /** An answer with errors is the expected one (a denial). */
  denied?: boolean;
}

export const OPERATIONS: Record<string, Operation> = {
  profile: { query: '{ me { displayName } }', as: 'alice', what: 'gateway, token checks, one subgraph' },
  acceptance: {
    query: readmeBigQuery(),
    as: 'alice',
    what: "the README's example query (read from README.md): every kind of subgraph, consent rules, entity references, bank routing",
  },
  page100: {
    query: '{ me { accounts { transactions(first: 100) { edges { node { amount { minorUnits } merchant { name location { city } } } } } } } }',
    as: 'alice',
    what: '100 transactions with merchant and location per account: batching',
  },
  denied: { query: '{ me { displayName accounts { balance { minorUnits } } } }', as: 'bob', what: "bob's balances: the deny path (FORBIDDEN + audit), no bank data read", denied: true },
};

/** One keep-alive connection per concurrent client, like a frontend's. */
const agent = new Agent({ keepAlive: true, maxSockets: 64 });

/** Sends one operation; resolves with its round-trip time (ms) and its body. */
export function send(url: string, query: string, token: string): Promise<{ ms: number; body: string }> {
  const started = performance.now();
  const payload = JSON.stringify({ query });
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'content-length': Buffer.byteLength(payload) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode !== 200) reject(new Error(`HTTP ${res.statusCode}: ${body.slice(0, 300)}`));
        else resolve({ ms: performance.now() - started, body });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** The answer's data, checked: errors only where the operation expects a denial. */
export function checked(name: string, op: Operation, body: string): unknown {
  const parsed = JSON.parse(body) as { data?: unknown; errors?: Array<{ message: string; extensions?: { code?: string } }> };
  const unexpected = (parsed.errors ?? []).filter((e) => !(op.denied && e.extensions?.code === 'FORBIDDEN'));
  if (unexpected.length || !parsed.data) throw new Error(`${name}: unexpected answer ${body.slice(0, 400)}`);
  return parsed.data;
}

export const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

export interface RunResult {
  requests: number;
  concurrency: number;
  seconds: number;
  requestsPerSecond: number;
  p50ms: number;
  p99ms: number;
}

/** `requests` sends of one operation from `concurrency` clients at once. */
export async function run(url: string, query: string, token: string, requests: number, concurrency: number, check?: (body: string) => void): Promise<RunResult> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < requests) {
        next++;
        const { ms, body } = await send(url, query, token);
        check?.(body);
        latencies.push(ms);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    requests,
    concurrency,
    seconds: +seconds.toFixed(2),
    requestsPerSecond: Math.round(requests / seconds),
    p50ms: +percentile(latencies, 50).toFixed(1),
    p99ms: +percentile(latencies, 99).toFixed(1),
  };
}
