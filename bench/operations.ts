// The default benchmark: each operation through the gateway of the process graph (bench/graph.ts),
// one client at a time and then several at once, with the CPU time each process spent per request
// (the gateway, every subgraph and bank, the database: /proc), their memory (the database's too),
// and the MongoDB commands a request costs across all services.
import { startDisposableStack } from '../scripts/stack.ts';
import { devToken } from '../scripts/token.ts';
import { cpuMeter, groupMemoryMiB, rssMiB, type GroupMemoryMeasure } from './proc.ts';
import type { BenchGraph } from './graph.ts';
import { checked, OPERATIONS, percentile, run, send, type RunResult } from './load.ts';
import { WITHOUT_RATE_LIMITS } from './without-rate-limits.ts';

export interface OperationReport {
  what: string;
  /** One client, one request after the other. */
  singleClient: { requests: number; medianMs: number; p99Ms: number };
  /** Several clients at once. */
  concurrent: RunResult;
  /** CPU time per request (ms), by process, during the concurrent run. */
  cpuMsPerRequest: Record<string, number>;
  /**
   * Memory after the runs (MiB), by process: each service's resident size; `database`, the
   * database's processes together (FerretDB and the PostgreSQL backends serving its database, as
   * for CPU), each shared page counted once or by its share (`databaseMemory` says how: proc.ts,
   * groupMemoryMiB); absent when the database is not a process of this machine (MONGODB_URI).
   */
  rssMiB: Record<string, number>;
  /** MongoDB commands of one request, across all services, by service database. */
  mongoCommands: { total: number; byDatabase: Record<string, number> };
}

/** Commands per request, counted with the driver's command monitoring on an in-process graph (the count does not depend on how services are laid out). */
export async function countCommands(uri: string, log: (line: string) => void): Promise<Record<string, OperationReport['mongoCommands']>> {
  const stack = await startDisposableStack({ uri, monitorCommands: true, env: WITHOUT_RATE_LIMITS });
  try {
    const url = `${stack.gateway.url}/graphql`;
    const tokens = { alice: await devToken({ sub: 'alice' }, stack.keys.idpPrivate), bob: await devToken({ sub: 'bob' }, stack.keys.idpPrivate) };
    let seen: string[] = [];
    stack.client.on('commandStarted', (e) => seen.push(e.databaseName.slice(stack.dbPrefix.length)));
    const counts: Record<string, OperationReport['mongoCommands']> = {};
    const ops = { ...OPERATIONS, page10: { ...OPERATIONS.page100!, query: OPERATIONS.page100!.query.replace('first: 100', 'first: 10') } };
    for (const [name, op] of Object.entries(ops)) {
      for (let i = 0; i < 3; i++) await send(url, op.query, tokens[op.as]);
      seen = [];
      checked(name, op, (await send(url, op.query, tokens[op.as])).body);
      // The audit write of a request may land just after its answer.
      await new Promise((r) => setTimeout(r, 50));
      const byDatabase: Record<string, number> = {};
      for (const db of seen) byDatabase[db] = (byDatabase[db] ?? 0) + 1;
      counts[name] = { total: seen.length, byDatabase };
      log(`commands ${name}: ${seen.length} ${JSON.stringify(byDatabase)}`);
    }
    return counts;
  } finally {
    await stack.close();
  }
}

export async function runOperations(graph: BenchGraph, options: { requests: number; concurrency: number; single: number; log: (line: string) => void }) {
  const tokens = { alice: await graph.token({ sub: 'alice' }), bob: await graph.token({ sub: 'bob' }) };
  const commands = await countCommands(graph.database.uri, options.log);
  const meter = cpuMeter(graph.processes);
  const results: Record<string, OperationReport> = {};
  const measures = new Set<GroupMemoryMeasure>();
  const memoryOf = (processes: Record<string, number[]>) => {
    const memory: Record<string, number> = {};
    for (const [name, pids] of Object.entries(processes)) {
      if (name !== 'database') {
        memory[name] = rssMiB(pids[0]!) ?? 0;
        continue;
      }
      const database = groupMemoryMiB(pids);
      if (!database) continue;
      memory.database = database.mib;
      measures.add(database.measure);
    }
    return memory;
  };
  for (const [name, op] of Object.entries(OPERATIONS)) {
    const token = tokens[op.as];
    const check = (body: string) => void checked(name, op, body);
    for (let i = 0; i < 20; i++) check((await send(graph.gatewayUrl, op.query, token)).body); // warm-up
    const single: number[] = [];
    for (let i = 0; i < options.single; i++) {
      const { ms, body } = await send(graph.gatewayUrl, op.query, token);
      check(body);
      single.push(ms);
    }
    single.sort((a, b) => a - b);
    meter.start();
    const concurrent = await run(graph.gatewayUrl, op.query, token, options.requests, options.concurrency, check);
    const cpu = meter.stop();
    const processes = graph.processes();
    results[name] = {
      what: op.what,
      singleClient: { requests: single.length, medianMs: +percentile(single, 50).toFixed(1), p99Ms: +percentile(single, 99).toFixed(1) },
      concurrent,
      cpuMsPerRequest: Object.fromEntries(Object.entries(cpu).map(([p, ms]) => [p, +(ms / options.requests).toFixed(2)])),
      rssMiB: memoryOf(processes),
      mongoCommands: commands[name]!,
    };
    options.log(`${name}: single client median ${results[name].singleClient.medianMs} ms; ${options.concurrency} clients ${concurrent.requestsPerSecond} req/s p50 ${concurrent.p50ms} p99 ${concurrent.p99ms} ms; CPU ms/request ${JSON.stringify(results[name].cpuMsPerRequest)}; ${commands[name]!.total} commands`);
  }
  const databaseMemory = [...measures]
    .map((m) =>
      m === 'proportional'
        ? 'proportional set size of its processes (each shared page counted by its share)'
        : 'resident size of its processes with shared and file-backed pages counted once (their proportional set sizes were not readable)',
    )
    .join('; ');
  return { commandsOfPage10: commands.page10!, databaseMemory: databaseMemory || 'not measured (no database process on this machine)', operations: results };
}
