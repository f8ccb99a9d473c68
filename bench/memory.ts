// `npm run bench -- memory`: does memory stay flat? A mix of operations through the process graph,
// 20,000 requests; the resident memory of the gateway and of every subgraph and bank after the
// first 1,000 and after all of them. Flat: within 10 %. Resident memory moves with each garbage
// collection, so each figure is the median of five readings over the last 250 requests before it.
import type { BenchGraph } from './graph.ts';
import { checked, OPERATIONS, run, type Operation } from './load.ts';
import { rssMiB } from './proc.ts';

const MIX: Record<string, Operation> = {
  ...OPERATIONS,
  // The other bank gets requests too.
  contoso: { query: '{ bank(id: "contoso") { id name } }', as: 'alice', what: 'a lookup at the other bank' },
};

export async function runMemory(graph: BenchGraph, options: { total: number; first: number; concurrency: number; log: (line: string) => void }) {
  const tokens = { alice: await graph.token({ sub: 'alice' }), bob: await graph.token({ sub: 'bob' }) };
  const ops = Object.entries(MIX);
  let sent = 0;
  // Rounds of the mix, each operation `batch` times at the given concurrency.
  const until = async (target: number) => {
    while (sent < target) {
      for (const [name, op] of ops) {
        const n = Math.min(25, target - sent);
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
    what: `${options.total} requests of a mix (${ops.map(([n]) => n).join(', ')}) at ${options.concurrency} clients; resident memory after the first ${options.first} and after all`,
    requests: sent,
    seconds: Math.round((performance.now() - started) / 1000),
    processes,
    flat: Object.values(processes).every((p) => p.flat),
  };
}
