// `npm run bench -- memory`: does memory stay flat? A mix of operations through the process graph,
// 20,000 requests; the resident memory of the gateway and of every subgraph and bank after the
// first 1,000 and after all of them. Flat: within 10 % of the first figure, either way. Resident
// memory moves with the garbage collector's heap sizing (a bank's heap swings by tens of MiB
// between collections after pages of 100 rows), so each figure is the median of five readings
// over the last 200 requests, each taken right after a full collection in the process
// (bench/gc-probe.mjs, preloaded for this part only), which also reports the live heap (a leak
// raises both), the young generation's resident size (it follows load, not what is kept: resident
// memory moves with it, the live heap does not), and where the rest is (V8's heap, other
// anonymous memory, file-backed pages).
import type { BenchGraph } from './graph.ts';
import { checked, OPERATIONS, run, type Operation } from './load.ts';
import { rssMiB } from './proc.ts';

/** The operations of the mix, and how many of each per round: every service gets a fair share from the start. */
const MIX: Array<[string, Operation, number]> = [
  ['profile', OPERATIONS.profile!, 5],
  ['denied', OPERATIONS.denied!, 5],
  // The other bank gets requests too.
  ['contoso', { query: '{ bank(id: "contoso") { id name } }', as: 'alice', what: 'a lookup at the other bank' }, 5],
  ['acceptance', OPERATIONS.acceptance!, 5],
  ['page100', OPERATIONS.page100!, 5],
];

const MIB = 2 ** 20;

/** What gc-probe.mjs prints after a full collection: bytes, each heap space's reserved and resident size, and the kernel's anonymous/file-backed split. */
type Reading = { rss: number; heapUsed: number; arrayBuffers?: number; external?: number; spaces?: Record<string, number>; resident?: Record<string, number>; anon?: number; file?: number };

/** One process's figures at a point of the run, in MiB. */
type Figures = { rssMiB: number; rssLowestHighestMiB: [number, number]; heapUsedMiB: number; youngGenerationMiB: number; v8ResidentMiB: number; outsideV8MiB: number; arrayBuffersMiB: number; fileBackedMiB: number };

export async function runMemory(graph: BenchGraph, options: { total: number; first: number; concurrency: number; log: (line: string) => void }) {
  const tokens = { alice: await graph.token({ sub: 'alice' }), bob: await graph.token({ sub: 'bob' }) };
  const reported = new Map<string, Reading>();
  graph.onServiceLine((service, line) => {
    if (line.startsWith('bench-memory ')) reported.set(service, JSON.parse(line.slice('bench-memory '.length)));
  });
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
  /** Every service's memory right after a full collection in it. */
  const collected = async () => {
    const pids = graph.processes();
    reported.clear();
    for (const service of graph.services()) process.kill(pids[service]![0]!, 'SIGUSR2');
    for (let waited = 0; reported.size < graph.services().length && waited < 5_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
    return Object.fromEntries(graph.services().map((s): [string, Reading] => [s, reported.get(s) ?? { rss: (rssMiB(pids[s]![0]!) ?? 0) * MIB, heapUsed: NaN }]));
  };
  /**
   * Five readings, 50 requests apart, up to `target`; each figure is the median reading's. The
   * median, not the lowest: flat is judged both ways, and a single reading can be off either way
   * (V8 gives the young generation's idle half back when a process's allocation has been slow for
   * a moment, its own collection included, and touches it again under load), so neither one low
   * nor one high reading may decide. The lowest and highest are kept beside it.
   */
  const snapshot = async (target: number) => {
    const readings: Array<Record<string, Reading>> = [];
    for (let i = 4; i >= 0; i--) {
      await until(target - 50 * i);
      readings.push(await collected());
    }
    return Object.fromEntries(
      graph.services().map((s): [string, Figures] => {
        const ordered = readings.map((r) => r[s]!).sort((a, b) => a.rss - b.rss);
        const median = ordered[2]!;
        // Where the median reading's resident memory was: V8's heap (every space's resident
        // pages), other anonymous memory (the allocator's: compilers' zones, buffers, the
        // driver's and libuv's), and file-backed pages (the node binary and libraries mapped in).
        const v8Resident = Object.values(median.resident ?? {}).reduce((a, b) => a + b, 0);
        const mib = (bytes: number) => +(bytes / MIB).toFixed(1);
        const heaps = ordered.map((r) => r.heapUsed).sort((a, b) => a - b);
        return [
          s,
          {
            rssMiB: mib(median.rss),
            rssLowestHighestMiB: [mib(ordered[0]!.rss), mib(ordered[4]!.rss)],
            heapUsedMiB: mib(heaps[2]!),
            // The young generation's resident size: it follows load, not what is kept; the
            // services fix its reserved size (2 × 16 MiB, SERVICE_NODE_FLAGS).
            youngGenerationMiB: mib(median.resident?.new_space ?? median.spaces?.new_space ?? NaN),
            v8ResidentMiB: mib(v8Resident),
            outsideV8MiB: mib((median.anon ?? NaN) - v8Resident),
            // Of which: array buffers' and other external memory that objects on the heap still hold.
            arrayBuffersMiB: mib(Math.max(median.external ?? NaN, median.arrayBuffers ?? NaN)),
            fileBackedMiB: mib(median.file ?? NaN),
          },
        ];
      }),
    );
  };
  const started = performance.now();
  const afterFirst = await snapshot(options.first);
  options.log(`memory after ${sent} requests: ${JSON.stringify(afterFirst)}`);
  // Readings on the way, to tell a process still warming up from one that keeps growing.
  const trajectory: Record<number, Record<string, Figures>> = { [options.first]: afterFirst };
  // Every quarter of the run (every 5,000 of 20,000), in whole thousands.
  const step = Math.max(1_000, Math.round(options.total / 4 / 1_000) * 1_000);
  for (let at = step; at < options.total; at += step) if (at > options.first) trajectory[at] = await snapshot(at);
  const afterAll = await snapshot(options.total);
  trajectory[options.total] = afterAll;
  options.log(`memory after ${sent} requests: ${JSON.stringify(afterAll)}`);
  const growth = (a: number, b: number) => +((100 * (b - a)) / a).toFixed(1);
  const processes = Object.fromEntries(
    graph.services().map((s) => {
      const rssGrowthPercent = growth(afterFirst[s]!.rssMiB, afterAll[s]!.rssMiB);
      const [first, all] = [afterFirst[s]!, afterAll[s]!];
      // What grew besides the young generation's one-time sizing (what a leak would raise).
      const besidesYoung = growth(first.rssMiB - first.youngGenerationMiB, all.rssMiB - all.youngGenerationMiB);
      // The issue's measure, both ways: within 10 % of the first reading. A process that gave memory
      // back beyond that is not flat by it either, though it grew nothing (`grew` tells the two apart).
      return [
        s,
        {
          afterFirst: first,
          afterAll: all,
          rssGrowthPercent,
          rssGrowthBesidesYoungGenerationPercent: besidesYoung,
          heapGrowthPercent: growth(first.heapUsedMiB, all.heapUsedMiB),
          flat: Math.abs(rssGrowthPercent) <= 10,
          grew: rssGrowthPercent > 10,
        },
      ];
    }),
  );
  return {
    what: `${options.total} requests of a mix (${MIX.map(([n, , share]) => `${share} ${n}`).join(', ')} per round) at up to ${options.concurrency} clients; each process's resident memory (the median of five readings over the last 200 requests, each right after a full garbage collection, with the lowest and highest beside it) and live heap after the first ${options.first} requests and after all; flat: resident memory within 10 % of the first reading, either way (noneGrew: grown by 10 % at most)`,
    requests: sent,
    seconds: Math.round((performance.now() - started) / 1000),
    processes,
    flat: Object.values(processes).every((p) => p.flat),
    /** No process grew by more than 10 % (a leak would); `flat` also fails when one gave back more than that. */
    noneGrew: Object.values(processes).every((p) => !p.grew),
    /** Each process's resident memory (MiB) after 1,000 requests, then every quarter of the run (5,000, 10,000… of 20,000). */
    rssMiBAlongTheWay: Object.fromEntries(graph.services().map((s) => [s, Object.values(trajectory).map((t) => t[s]!.rssMiB)])),
    heapUsedMiBAlongTheWay: Object.fromEntries(graph.services().map((s) => [s, Object.values(trajectory).map((t) => t[s]!.heapUsedMiB)])),
    youngGenerationMiBAlongTheWay: Object.fromEntries(graph.services().map((s) => [s, Object.values(trajectory).map((t) => t[s]!.youngGenerationMiB)])),
    /** Where the resident memory was along the way: V8's heap, other anonymous memory, file-backed pages. */
    v8ResidentMiBAlongTheWay: Object.fromEntries(graph.services().map((s) => [s, Object.values(trajectory).map((t) => t[s]!.v8ResidentMiB)])),
    outsideV8MiBAlongTheWay: Object.fromEntries(graph.services().map((s) => [s, Object.values(trajectory).map((t) => t[s]!.outsideV8MiB)])),
    arrayBuffersMiBAlongTheWay: Object.fromEntries(graph.services().map((s) => [s, Object.values(trajectory).map((t) => t[s]!.arrayBuffersMiB)])),
    fileBackedMiBAlongTheWay: Object.fromEntries(graph.services().map((s) => [s, Object.values(trajectory).map((t) => t[s]!.fileBackedMiB)])),
  };
}
