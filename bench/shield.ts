// `npm run bench -- shield`: what graphql-shield and the consent rules cost a bank subgraph. One
// in-process bank subgraph executes a page of 100 and of 500 card transactions (amount, postedAt,
// merchant { name location { city } }) for the account's owner, with every row the store could
// be asked for in memory and every loader primed before the clock starts, so no database is
// involved: the same schema and resolvers with shield (deny by default, every rule evaluated and
// recorded) and without it. Rounds alternate on/off; the ratio is of the medians.
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { execute, parse, type ExecutionResult, type GraphQLSchema } from 'graphql';
import { DecisionRecorder } from '@consent-gateway/kit/audit';
import { createBankSubgraph, type BankContext } from '@consent-gateway/kit/bank';
import { buildProtectedSchema } from '@consent-gateway/kit/create-subgraph';
import type { Identity } from '@consent-gateway/kit/identity';
import { createMemoryBank, type MemoryBank } from './memory-bank.ts';

export interface ShieldCase {
  rows: number;
  onMs: number;
  offMs: number;
  ratio: number;
  /** Protected-rule evaluations and distinct decisions of one execution, and the records it writes. */
  ruleEvaluations: number;
  records: number;
}

export interface ShieldReport {
  rounds: number;
  iterationsPerRound: Record<string, number>;
  cases: ShieldCase[];
}

const OWNER: Identity = { sub: 'alice', client: 'messenger-web', clientType: 'first-party', roles: ['user'], purpose: 'customer_service' };

const pageQuery = (rows: number) =>
  parse(`query($r: [_Any!]!) { _entities(representations: $r) { ... on BankAccount {
    transactions(first: ${Math.min(rows, 100)}) { edges { node { amount { minorUnits currency } postedAt merchant { name location { city } } } } } } } }`);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** One execution's context, with every loader primed from memory; built before the clock starts. */
function context(bank: MemoryBank, extend: (base: BankContext) => BankContext): BankContext {
  const base = { subgraph: 'bank-account', identity: OWNER, requestId: 'bench', now: bank.now, decisions: new DecisionRecorder('bank-account', OWNER, 'bench') } as unknown as BankContext;
  const ctx = extend(base);
  bank.prime(ctx);
  return ctx;
}

async function timeOne(schema: GraphQLSchema, bank: MemoryBank, extend: (base: BankContext) => BankContext, document: ReturnType<typeof parse>, variables: Record<string, unknown>): Promise<{ ms: number; result: ExecutionResult; ctx: BankContext }> {
  const ctx = context(bank, extend);
  const started = performance.now();
  const result = await execute({ schema, document, contextValue: ctx, variableValues: variables });
  return { ms: performance.now() - started, result, ctx };
}

/**
 * Pages of more than 100 rows (the API's maximum page size) are several accounts of 100 rows each,
 * fetched in one `_entities` call, as the gateway does for a user's accounts.
 */
export async function runShieldBench(options: { rounds?: number; log?: (line: string) => void } = {}): Promise<ShieldReport> {
  const rounds = options.rounds ?? 3;
  const log = options.log ?? (() => {});
  const cases: ShieldCase[] = [];
  const iterationsPerRound: Record<string, number> = {};
  for (const rows of [100, 500]) {
    const bank = createMemoryBank({ accounts: Math.ceil(rows / 100), rowsPerAccount: Math.min(rows, 100) });
    const subgraph = createBankSubgraph({ bank: { id: 'northwind', name: 'Northwind Bank' }, store: bank.store });
    const { definition } = subgraph;
    const on = buildProtectedSchema(definition);
    const off = buildSubgraphSchema({ typeDefs: definition.typeDefs, resolvers: definition.resolvers as GraphQLResolverMap<unknown> });
    const extend = definition.extendContext as (base: BankContext) => BankContext;
    const document = pageQuery(rows);
    const variables = { r: bank.accountIds.map((id) => ({ __typename: 'BankAccount', id })) };
    const check = await timeOne(on, bank, extend, document, variables);
    if (check.result.errors?.length) throw new Error(`shield bench query failed: ${check.result.errors[0]!.message}`);
    const edges = (check.result.data!._entities as Array<{ transactions: { edges: unknown[] } }>).reduce((n, a) => n + a.transactions.edges.length, 0);
    if (edges !== rows) throw new Error(`shield bench: expected ${rows} rows, got ${edges}`);
    const records = [...(check.ctx.decisions as unknown as { records: Map<string, { count: number }> }).records.values()];
    const ruleEvaluations = records.reduce((n, r) => n + r.count, 0);
    // Enough iterations for about half a second per round and side on this machine.
    for (let i = 0; i < 50; i++) {
      await timeOne(on, bank, extend, document, variables);
      await timeOne(off, bank, extend, document, variables);
    }
    const probe = await timeOne(on, bank, extend, document, variables);
    const iterations = Math.max(30, Math.min(400, Math.round(500 / Math.max(probe.ms, 0.1))));
    iterationsPerRound[String(rows)] = iterations;
    const onTimes: number[] = [];
    const offTimes: number[] = [];
    for (let round = 0; round < rounds; round++) {
      // Interleaved within the round too, so that a burst of load elsewhere hits both sides.
      for (let i = 0; i < iterations; i++) {
        onTimes.push((await timeOne(on, bank, extend, document, variables)).ms);
        offTimes.push((await timeOne(off, bank, extend, document, variables)).ms);
      }
    }
    const onMs = median(onTimes);
    const offMs = median(offTimes);
    const result: ShieldCase = { rows, onMs: +onMs.toFixed(3), offMs: +offMs.toFixed(3), ratio: +(onMs / offMs).toFixed(3), ruleEvaluations, records: records.length };
    log(`shield ${rows} rows: on ${result.onMs} ms, off ${result.offMs} ms, ratio ${result.ratio} (${ruleEvaluations} rule evaluations, ${records.length} records)`);
    cases.push(result);
  }
  return { rounds, iterationsPerRound, cases };
}
