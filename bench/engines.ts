// `npm run bench -- engines`: the same operations through our gateway (Apollo Gateway, behind
// gateway/engine.ts) and through Hive Gateway's runtime with its JavaScript query planner and with
// Hive Router's Rust query planner (bench/hive-gateway.ts), each its own process on the same
// subgraphs and banks. Every engine must give the same data; alice and bob at once must each get
// their own. Rounds interleave the engines (in a rotating order); the ratios are of the medians
// over rounds, each engine against ours.
import type { BenchGraph } from './graph.ts';
import { checked, OPERATIONS, run, send, type RunResult } from './load.ts';
import { cpuMeter } from './proc.ts';

const ENGINES = [
  { name: 'ours', label: '@apollo/gateway (ours)', process: 'gateway' },
  { name: 'hive', label: 'Hive Gateway runtime, JavaScript query planner', process: 'hive-gateway', script: 'bench/hive-gateway.ts', env: {} },
  { name: 'hiveRust', label: 'Hive Gateway runtime, Rust query planner (router-runtime)', process: 'hive-gateway-rust', script: 'bench/hive-gateway.ts', env: { HIVE_ROUTER_RUNTIME: '1' } },
] as const;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Alice and bob at once, many times: every answer carries its own user's data only. */
async function isolation(url: string, tokens: Record<'alice' | 'bob', string>): Promise<boolean> {
  const q = '{ me { id displayName accounts { id } } }';
  const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? 'bob' : 'alice') as 'alice' | 'bob').map(async (who) => ({ who, body: JSON.parse((await send(url, q, tokens[who])).body) })));
  return answers.every(({ who, body }) => body.data?.me?.id === who);
}

export async function runEngines(graph: BenchGraph, options: { rounds: number; requests: number; concurrency: number; log: (line: string) => void }) {
  const tokens = { alice: await graph.token({ sub: 'alice' }), bob: await graph.token({ sub: 'bob' }) };
  const urls: Record<string, string> = { ours: graph.gatewayUrl };
  for (const engine of ENGINES) if ('script' in engine) urls[engine.name] = await graph.startEngine(engine.process, engine.script, engine.env);

  // The same data from every engine, and no answer with the other user's data.
  const sameData: Record<string, boolean> = {};
  for (const [name, op] of Object.entries(OPERATIONS)) {
    const answers = await Promise.all(ENGINES.map(async (e) => JSON.stringify(checked(`${e.name} ${name}`, op, (await send(urls[e.name]!, op.query, tokens[op.as])).body))));
    sameData[name] = answers.every((a) => a === answers[0]);
    if (!sameData[name]) options.log(`engines: ${name} answers differ:\n${answers.map((a) => a.slice(0, 300)).join('\n')}`);
  }
  const isolated = Object.fromEntries(await Promise.all(ENGINES.map(async (e) => [e.name, await isolation(urls[e.name]!, tokens)] as const)));

  const meter = cpuMeter(graph.processes);
  const samples: Record<string, Record<string, Array<RunResult & { gatewayCpuMsPerRequest: number }>>> = {};
  for (const [name, op] of Object.entries(OPERATIONS)) {
    for (const e of ENGINES) for (let i = 0; i < 20; i++) await send(urls[e.name]!, op.query, tokens[op.as]); // warm-up
    samples[name] = Object.fromEntries(ENGINES.map((e) => [e.name, []]));
    for (let round = 0; round < options.rounds; round++) {
      const order = ENGINES.map((_, i) => ENGINES[(i + round) % ENGINES.length]!);
      for (const e of order) {
        meter.start();
        const result = await run(urls[e.name]!, op.query, tokens[op.as], options.requests, options.concurrency, (body) => void checked(`${e.name} ${name}`, op, body));
        const cpu = meter.stop();
        samples[name]![e.name]!.push({ ...result, gatewayCpuMsPerRequest: +(cpu[e.process]! / options.requests).toFixed(2) });
      }
    }
  }
  const operations = Object.fromEntries(
    Object.entries(samples).map(([name, byEngine]) => {
      const summary = Object.fromEntries(
        Object.entries(byEngine).map(([engine, runs]) => [
          engine,
          {
            requestsPerSecond: median(runs.map((r) => r.requestsPerSecond)),
            p50ms: median(runs.map((r) => r.p50ms)),
            p99ms: median(runs.map((r) => r.p99ms)),
            gatewayCpuMsPerRequest: median(runs.map((r) => r.gatewayCpuMsPerRequest)),
          },
        ]),
      );
      const ours = summary.ours!;
      const ratios = Object.fromEntries(
        Object.entries(summary)
          .filter(([engine]) => engine !== 'ours')
          .map(([engine, s]) => [
            engine,
            {
              requestsPerSecond: +(s.requestsPerSecond / ours.requestsPerSecond).toFixed(2),
              p50ms: +(s.p50ms / ours.p50ms).toFixed(2),
              gatewayCpuMsPerRequest: +(s.gatewayCpuMsPerRequest / ours.gatewayCpuMsPerRequest).toFixed(2),
            },
          ]),
      );
      options.log(`engines ${name}: ${JSON.stringify(summary)} ratios vs ours ${JSON.stringify(ratios)}`);
      return [name, { ...summary, ratiosToOurs: ratios }];
    }),
  );
  return {
    what: `each operation ${options.requests} times at ${options.concurrency} clients per engine and round, ${options.rounds} rounds in rotating order; medians over rounds; ratios are the engine's over ours (requests/s above 1: faster; p50 and CPU below 1: cheaper)`,
    engines: Object.fromEntries(ENGINES.map((e) => [e.name, e.label])),
    sameData,
    usersIsolated: isolated,
    operations,
  };
}
