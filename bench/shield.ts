// `npm run bench -- shield`: what graphql-shield and the consent rules cost a bank subgraph. One
// in-process bank subgraph executes a page of 100 and of 500 card transactions (amount, postedAt,
// merchant { name location { city } }) for the account's owner, with every row the store could
// be asked for in memory and every loader primed before the clock starts, so no database is
// involved: the same schema and resolvers with shield (deny by default, every rule evaluated and
// recorded) and without it. What is measured is each execution's CPU time (on a shared machine,
// wall time also counts the moments another process had the core); executions of both sides
// alternate within each round, and the ratio is of the medians.
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { execute, parse, type DocumentNode, type ExecutionResult, type GraphQLSchema } from 'graphql';
import { DecisionRecorder, type AuditRecord, type AuditSink } from '@consent-gateway/kit/audit';
import type { KitContext } from '@consent-gateway/kit/context';
import { createBankSubgraph, type BankContext } from '@consent-gateway/kit/bank';
import { buildProtectedSchema } from '@consent-gateway/kit/create-subgraph';
import type { Identity } from '@consent-gateway/kit/identity';
import { createMemoryBank, type MemoryBank } from './memory-bank.ts';

export interface ShieldCase {
  rows: number;
  /** Median CPU time of one execution (ms), shield on and off, and their ratio. */
  onMs: number;
  offMs: number;
  ratio: number;
  /** The ratio of each round's medians. */
  roundRatios: number[];
  /** Protected-field instances judged in one execution, and the records they aggregate into. */
  ruleEvaluations: number;
  records: number;
}

export interface ShieldReport {
  what: string;
  rounds: number;
  executionsPerRound: Record<string, number>;
  cases: ShieldCase[];
}

const OWNER: Identity = { sub: 'alice', client: 'messenger-web', clientType: 'first-party', roles: ['user'], purpose: 'customer_service' };

const pageQuery = (rows: number) =>
  parse(`query($r: [_Any!]!) { _entities(representations: $r) { ... on BankAccount {
    transactions(first: ${Math.min(rows, 100)}) { edges { node { amount { minorUnits currency } postedAt merchant { name location { city } } } } } } } }`);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

interface Side {
  schema: GraphQLSchema;
  bank: MemoryBank;
  extend: (base: BankContext) => BankContext;
  document: DocumentNode;
  variables: Record<string, unknown>;
}

/** One execution's context, with every loader primed from memory; built before the clock starts. */
function context(side: Side): BankContext {
  const base = { subgraph: 'bank-account', identity: OWNER, requestId: 'bench', now: side.bank.now, decisions: new DecisionRecorder('bank-account', OWNER, 'bench') } as KitContext;
  const ctx = side.extend(base as BankContext);
  side.bank.prime(ctx);
  return ctx;
}

const run = (side: Side, ctx: BankContext) => execute({ schema: side.schema, document: side.document, contextValue: ctx, variableValues: side.variables }) as Promise<ExecutionResult>;

const discard: AuditSink = { recordDecisions: async () => {} };

/** CPU time of one execution and of handing over its decision records (ms), its context made beforehand. */
async function once(side: Side): Promise<number> {
  const ctx = context(side);
  const started = cpuMs();
  await run(side, ctx);
  await ctx.decisions.flush(discard);
  return cpuMs() - started;
}

/**
 * Pages of more than 100 rows (the API's maximum page size) are several accounts of 100 rows each,
 * fetched in one `_entities` call, as the gateway does for a user's accounts.
 */
export async function runShieldBench(options: { rounds?: number; rows?: number[]; log?: (line: string) => void } = {}): Promise<ShieldReport> {
  const rounds = options.rounds ?? 3;
  const log = options.log ?? (() => {});
  const cases: ShieldCase[] = [];
  const executionsPerRound: Record<string, number> = {};
  for (const rows of options.rows ?? [100, 500]) {
    const bank = createMemoryBank({ accounts: Math.ceil(rows / 100), rowsPerAccount: Math.min(rows, 100) });
    const { definition } = createBankSubgraph({ bank: { id: 'northwind', name: 'Northwind Bank' }, store: bank.store });
    const common = {
      bank,
      extend: definition.extendContext as (base: BankContext) => BankContext,
      document: pageQuery(rows),
      variables: { r: bank.accountIds.map((id) => ({ __typename: 'BankAccount', id })) },
    };
    const on: Side = { ...common, schema: buildProtectedSchema(definition) };
    const off: Side = { ...common, schema: buildSubgraphSchema({ typeDefs: definition.typeDefs, resolvers: definition.resolvers as GraphQLResolverMap<unknown> }) };

    // The shielded execution answers every row, and judges and records every protected field.
    const ctx = context(on);
    const result = await run(on, ctx);
    if (result.errors?.length) throw new Error(`shield bench query failed: ${result.errors[0]!.message}`);
    const edges = (result.data!._entities as Array<{ transactions: { edges: unknown[] } }>).reduce((n, a) => n + a.transactions.edges.length, 0);
    if (edges !== rows) throw new Error(`shield bench: expected ${rows} rows, got ${edges}`);
    let records: AuditRecord[] = [];
    await ctx.decisions.flush({ recordDecisions: async (batch) => void (records = batch) });

    // Warm-up (about a second per side, so that the JIT has settled for large pages too), then
    // about three seconds of executions per side and round: a fifth of a page's time is the garbage
    // collector's, which shorter rounds turn into noise in the ratio.
    const warmUp = Math.max(50, Math.round(1_000 / (await once(off))));
    for (let i = 0; i < warmUp; i++) await Promise.all([once(on), once(off)]);
    const executions = Math.max(20, Math.round(3_000 / (await once(off))));
    executionsPerRound[String(rows)] = executions;
    const perRound: Array<{ on: number[]; off: number[] }> = [];
    for (let round = 0; round < rounds; round++) {
      const times = { on: [] as number[], off: [] as number[] };
      // Interleaved, and alternating which side goes first, so that load elsewhere hits both.
      for (let i = 0; i < executions; i++) {
        if (i % 2 === 0) {
          times.on.push(await once(on));
          times.off.push(await once(off));
        } else {
          times.off.push(await once(off));
          times.on.push(await once(on));
        }
      }
      perRound.push(times);
    }
    const onMs = median(perRound.flatMap((r) => r.on));
    const offMs = median(perRound.flatMap((r) => r.off));
    const result_: ShieldCase = {
      rows,
      onMs: +onMs.toFixed(3),
      offMs: +offMs.toFixed(3),
      ratio: +(onMs / offMs).toFixed(3),
      roundRatios: perRound.map((r) => +(median(r.on) / median(r.off)).toFixed(3)),
      ruleEvaluations: records.reduce((n, r) => n + r.count, 0),
      records: records.length,
    };
    log(`shield ${rows} rows: on ${result_.onMs} ms, off ${result_.offMs} ms CPU per execution, ratio ${result_.ratio} (rounds ${result_.roundRatios.join(', ')}; ${result_.ruleEvaluations} protected fields judged, ${result_.records} records)`);
    cases.push(result_);
  }
  return {
    what: 'one in-process bank subgraph, every loader primed (no database): a page of 100 rows, and 5 accounts of 100 rows in one _entities call; CPU time per execution, graphql-shield on vs off, rounds interleaved, medians',
    rounds,
    executionsPerRound,
    cases,
  };
}
