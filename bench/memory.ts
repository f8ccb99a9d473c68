// `npm run bench -- memory`: does memory stay flat? A mix of operations through the process graph,
// 20,000 requests; the resident memory of the gateway and of every subgraph and bank after the
// first 1,000 and after all of them. Flat: within 10 %. Resident memory moves with each garbage
// collection, so each figure is the median of five readings over the last 200 requests before it.
import type { BenchGraph } from './graph.ts';
import { checked, OPERATIONS, run, type Operation } from './load.ts';
import { rssMiB } from './proc.ts';

/** The operations of the mix, and how many of each per round (the heavy ones, which the embedded database makes slow, fewer). */
const MIX: Array<[string, Operation, number]> = [
  ['profile', OPERATIONS.profile!, 10],
  ['denied', OPERATIONS.denied!, 5],
  // The other bank gets requests too.
  ['contoso', { query: '{ bank(id: "contoso") { id name } }', as: 'alice', what: 'a lookup at the other bank' }, 5],
  ['acceptance', OPERATIONS.acceptance!, 3],
  ['page100', OPERATIONS.page100!, 2],
];

export async function runMemory(graph: BenchGraph, options: { total: number; first: number; concurrency: number; log: (line: string) => void }) {
  const tokens = { alice: await graph.token({ sub: 'alice' }), bob: await graph.token({ sub: 'bob' }) };
  let sent = 0;
  // Rounds of the mix, each operation its share at the given concurrency.
  const until = async (target: number) => {
    while (sent < target) {
      for (const [name, op, share] of MIX) {
        const n = Math.min(share, target - sent);
        if (n <= 0) break;
        await run(graph.gatewayUrl, op.query, tokens[op.as], n, Math.min(options.concurrency, n), (body) => void checked(name, op, body));
        sent += n;
      }
    }
  };
  const read = () => Object.fromEntries(Object.entries(graph.processes()).filter(([p]) => p !== 'database').map(([p, pids]) => [p, rssMiB(pids[0]!) ?? 0]));
  /** The median of five readings, 50 requests apart, up to `target` requests. */
  const snapshot = async (target: number) => {
    const readings: Array<Record<string, number>> = [];
    for (let i = 4; i >= 0; i--) {
      await until(target - 50 * i);
      readings.push(read());
    }
    return Object.fromEntries(Object.keys(readings[0]!).map((p) => [p, readings.map((r) => r[p]!).sort((a, b) => a - b)[2]!]));
  };
  const started = performance.now();
  const afterFirst = await snapshot(options.first);
  options.log(`memory after ${sent} requests: ${JSON.stringify(afterFirst)}`);
  const afterAll = await snapshot(options.total);
  options.log(`memory after ${sent} requests: ${JSON.stringify(afterAll)}`);
  const processes = Object.fromEntries(
    Object.keys(afterFirst).map((p) => {
      const growth = (afterAll[p]! - afterFirst[p]!) / afterFirst[p]!;
      return [p, { afterFirstMiB: afterFirst[p], afterAllMiB: afterAll[p], growthPercent: +(100 * growth).toFixed(1), flat: growth <= 0.1 }];
    }),
  );
  return {
    what: `${options.total} requests of a mix (${MIX.map(([n, , share]) => `${share} ${n}`).join(', ')} per round) at up to ${options.concurrency} clients; resident memory (median of five readings over the last 200 requests) after the first ${options.first} and after all`,
    requests: sent,
    seconds: Math.round((performance.now() - started) / 1000),
    processes,
    flat: Object.values(processes).every((p) => p.flat),
  };
}
