// `npm run bench -- engines`: the same operations through our gateway (Apollo Gateway, behind
// gateway/engine.ts) and through Hive Gateway's runtime with its JavaScript query planner and with
// Hive Router's Rust query planner (bench/hive-gateway.ts), each its own process on the same
// subgraphs and banks. Every engine must give the same data; alice and bob at once must each get
// their own, down to every account and transaction in the answer. Rounds interleave the engines
// (in a rotating order); the ratios are of the medians over rounds, each engine against ours.
import { demoData } from '../scripts/demo-data.ts';
import { FIXED_ANCHOR } from '../scripts/stack.ts';
import type { BenchGraph } from './graph.ts';
import { checked, OPERATIONS, run, send, type RunResult } from './load.ts';
import { cpuMeter } from './proc.ts';

const ENGINES = [
  { name: 'ours', label: '@apollo/gateway (ours)', process: 'gateway' },
  { name: 'hive', label: 'Hive Gateway runtime, JavaScript query planner', process: 'hive-gateway', script: 'bench/hive-gateway.ts', env: {} },
  { name: 'hiveRust', label: 'Hive Gateway runtime, Rust query planner (router-runtime)', process: 'hive-gateway-rust', script: 'bench/hive-gateway.ts', env: { HIVE_ROUTER_RUNTIME: '1' } },
] as const;

type User = 'alice' | 'bob';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const ISOLATION_QUERY = '{ me { id displayName accounts { id maskedNumber transactions(first: 5) { edges { node { id } } } } } }';

/** Who owns each account and transaction of the seeded data: the demo data, made again as bench/graph.ts seeded it (fixed anchor, seeded ids). */
function ownersOf(transactions: number): Map<string, string> {
  const owners = new Map<string, string>();
  for (const bank of Object.values(demoData(FIXED_ANCHOR, { transactions }).banks)) {
    for (const account of bank.accounts) owners.set(account._id, account.userId);
    for (const transaction of bank.transactions) owners.set(transaction._id, transaction.userId);
  }
  return owners;
}

interface IsolationAnswer {
  data?: { me?: { id?: string; accounts?: Array<{ id: string; transactions?: { edges: Array<{ node: { id: string } }> } | null }> | null } | null };
  errors?: Array<{ path?: Array<string | number>; extensions?: { code?: string } }>;
}

/** Every account and transaction id in an answer. */
const bankIdsIn = (answer: IsolationAnswer) =>
  (answer.data?.me?.accounts ?? []).flatMap((account) => [account.id, ...(account.transactions?.edges ?? []).map((edge) => edge.node.id)]);

/** An answer's errors, by path and code. */
const errorsOf = (answer: IsolationAnswer) => (answer.errors ?? []).map((e) => `${(e.path ?? []).join('.')} ${e.extensions?.code ?? ''}`).sort();

/** Each user's answer to the isolation query from our gateway, asked alone. */
interface Reference {
  data: unknown;
  errors: string[];
}

/**
 * Alice and bob at once, many times: every answer carries its own user's data only. Each answer
 * must be its user's (`me.id`) and hold only accounts and transactions that user owns in the seeded
 * data; and an answer with no other errors than the user's answer alone had must be that very data
 * (`reference`), so that a mix anywhere in the nested data is caught, not only in `me`. An answer
 * with errors of its own (a service that did not answer in time on a loaded machine), or without
 * `me`, has only its ids checked: it is counted as incomplete, not as mixed.
 */
async function isolation(engine: string, url: string, tokens: Record<User, string>, reference: Record<User, Reference>, owners: Map<string, string>, log: (line: string) => void) {
  const answers = await Promise.all(
    Array.from({ length: 40 }, (_, i) => (i % 2 ? 'bob' : 'alice') as User).map(async (who) => ({ who, answer: JSON.parse((await send(url, ISOLATION_QUERY, tokens[who])).body) as IsolationAnswer })),
  );
  const incomplete = new Map<string, number>();
  const wrong = answers.flatMap(({ who, answer }) => {
    const problems: string[] = [];
    const me = answer.data?.me;
    if (me && me.id !== who) problems.push(`me.id is ${JSON.stringify(me.id)}`);
    const foreign = bankIdsIn(answer).filter((id) => owners.get(id) !== who);
    if (foreign.length) problems.push(`ids not ${who}'s: ${foreign.slice(0, 3).map((id) => `${id} (${owners.get(id) ?? 'unknown'})`).join(', ')}`);
    const errors = errorsOf(answer);
    if (!me || JSON.stringify(errors) !== JSON.stringify(reference[who].errors)) {
      const key = errors.filter((e) => !reference[who].errors.includes(e)).join(', ') || 'no me';
      incomplete.set(key, (incomplete.get(key) ?? 0) + 1);
    } else if (JSON.stringify(answer.data) !== JSON.stringify(reference[who].data)) {
      problems.push(`data differs from ${who}'s answer alone: ${JSON.stringify(answer.data).slice(0, 300)}`);
    }
    return problems.length ? [`${who}: ${problems.join('; ')}`] : [];
  });
  const incompleteCount = [...incomplete.values()].reduce((a, b) => a + b, 0);
  if (wrong.length) log(`engines: ${engine} mixed users in ${wrong.length} of ${answers.length} answers, e.g. ${wrong.slice(0, 2).join(' | ')}`);
  if (incompleteCount) log(`engines: ${engine}: ${incompleteCount} of ${answers.length} answers had errors the lone answer had not (only their ids were checked): ${JSON.stringify(Object.fromEntries(incomplete))}`);
  return { isolated: wrong.length === 0, incomplete: incompleteCount };
}

/** Each user's answer to the isolation query from our gateway, asked alone; alice's must hold accounts and transactions, or the check would prove little. */
async function isolationReference(url: string, tokens: Record<User, string>, owners: Map<string, string>): Promise<Record<User, Reference>> {
  const reference = {} as Record<User, Reference>;
  for (const who of ['alice', 'bob'] as const) {
    const answer = JSON.parse((await send(url, ISOLATION_QUERY, tokens[who])).body) as IsolationAnswer;
    const ids = bankIdsIn(answer);
    if (answer.data?.me?.id !== who || ids.some((id) => owners.get(id) !== who)) throw new Error(`engines: our gateway's answer for ${who} alone is not ${who}'s: ${JSON.stringify(answer).slice(0, 400)}`);
    if (who === 'alice' && !ids.some((id) => id.includes(':txn_'))) throw new Error(`engines: alice's answer holds no transactions: ${JSON.stringify(answer).slice(0, 400)}`);
    reference[who] = { data: answer.data, errors: errorsOf(answer) };
  }
  return reference;
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
  const owners = ownersOf(graph.dataset.transactions);
  const reference = await isolationReference(urls.ours!, tokens, owners);
  // One engine at a time: the 40 requests at once are what tests an engine; three engines' worth at
  // once only makes banks miss their timeout on a small machine (answers that prove less).
  const isolationResults: Record<string, Awaited<ReturnType<typeof isolation>>> = {};
  for (const e of ENGINES) isolationResults[e.name] = await isolation(e.name, urls[e.name]!, tokens, reference, owners, options.log);

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
    usersIsolated: Object.fromEntries(Object.entries(isolationResults).map(([engine, r]) => [engine, r.isolated])),
    isolationCheck: `40 requests at once, alice and bob alternating, per engine: ${ISOLATION_QUERY}; each answer's me.id is its user's, every account and transaction id in it is its user's in the seeded data, and an answer without errors of its own is the very data our gateway answers that user alone`,
    isolationIncompleteAnswers: Object.fromEntries(Object.entries(isolationResults).map(([engine, r]) => [engine, r.incomplete])),
    operations,
  };
}
