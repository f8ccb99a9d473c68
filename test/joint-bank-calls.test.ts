// One call per bank per request where Apollo's plan makes two: the plan change that puts the
// fetches side by side (gateway/bank-fetch-plan.ts) and the router's joining of entity fetches
// to one bank (gateway/bank-router/joint-calls.ts), with banks played by functions. End to end
// (the bank's own request log): test/banks.test.ts; the commands saved: test/data-minimization.test.ts.
import { readFileSync } from 'node:fs';
import { operationFromDocument, Supergraph } from '@apollo/federation-internals';
import { QueryPlanner } from '@apollo/query-planner';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse, validate } from 'graphql';
import { describe, expect, it } from 'vitest';
import { bankContractTypeDefs } from '@consent-gateway/kit/bank';
import type { Identity } from '@consent-gateway/kit/identity';
import { joinEntityFetches, type PlanNode } from '../gateway/bank-fetch-plan.ts';
import type { RegisteredBank } from '../gateway/bank-registry.ts';
import { joinRequests, jointCalls } from '../gateway/bank-router/joint-calls.ts';
import type { BankCaller, RouterContext, SubgraphRequest, SubgraphResult } from '../gateway/bank-router/router.ts';

const supergraph = Supergraph.build(readFileSync(new URL('../schema/supergraph.graphql', import.meta.url), 'utf8'));
const planner = new QueryPlanner(supergraph);
const planOf = (query: string) => planner.buildQueryPlan(operationFromDocument(supergraph.apiSchema(), parse(query))) as unknown as { node?: PlanNode };

/** Each fetch of a plan as `service@path`, by step: Sequence steps in order, Parallel children in brackets. */
function shape(node: PlanNode | undefined, path = ''): unknown {
  if (!node) return null;
  if (node.kind === 'Sequence') return node.nodes!.map((n) => shape(n, path));
  if (node.kind === 'Parallel') return { parallel: node.nodes!.map((n) => shape(n, path)) };
  if (node.kind === 'Flatten') return shape(node.node, (node as unknown as { path: string[] }).path.join('.'));
  return `${node.serviceName}@${path || '/'}`;
}

const README = `{ me { displayName accounts { transactions(first: 5) { edges { node { amount { minorUnits } merchant { name } } } } }
  conversations { messages(first: 3) { edges { node { body transaction { amount { minorUnits } } } } } } } }`;

describe('the query plan: a bank fetch joins the later one of the same request', () => {
  it("the README's query: the accounts fetch moves beside the fetch of the messages' transactions", () => {
    const plan = planOf(README);
    const TRANSACTIONS = 'bank-account@me.conversations.@.messages.edges.@.node.transaction';
    // As Apollo plans it: the accounts beside messaging, the transactions after messaging.
    expect(shape(plan.node)).toEqual(['user-profile@/', { parallel: [['messaging@me', TRANSACTIONS], 'bank-account@me'] }]);
    expect(joinEntityFetches(plan, 'bank-account')).toBe(1);
    expect(shape(plan.node)).toEqual(['user-profile@/', { parallel: [['messaging@me', { parallel: [TRANSACTIONS, 'bank-account@me'] }]] }]);
    // Done once: a second pass finds nothing to move.
    expect(joinEntityFetches(plan, 'bank-account')).toBe(0);
  });

  it('plans with one bank fetch, or none after another service, stay as they are', () => {
    for (const query of [
      '{ me { accounts { transactions(first: 100) { edges { node { amount { minorUnits } } } } } } }',
      '{ me { displayName conversations { messages { edges { node { body } } } } } }',
      '{ me { accounts { id } conversations { id } } }',
    ]) {
      const plan = planOf(query);
      const before = JSON.stringify(shape(plan.node));
      expect(joinEntityFetches(plan, 'bank-account')).toBe(0);
      expect(JSON.stringify(shape(plan.node))).toBe(before);
    }
  });

  it('a fetch to another service is never moved', () => {
    const plan = planOf(README);
    expect(joinEntityFetches(plan, 'messaging')).toBe(0);
  });
});

const bank = (id: string): RegisteredBank => ({ id, name: id, url: `http://${id}.invalid/graphql` });
const alice: Identity = { sub: 'alice', client: 'messenger-web', clientType: 'first-party', roles: ['user'], purpose: 'customer_service' };
const bob: Identity = { ...alice, sub: 'bob' };
const contextOf = (identity: Identity): RouterContext => ({ identity, requestId: `r-${identity.sub}-${Math.random()}` });
const contract = buildSubgraphSchema({ typeDefs: bankContractTypeDefs() });

const ACCOUNTS: SubgraphRequest = {
  query: 'query($representations:[_Any!]!){_entities(representations:$representations){...on User{accounts{id ...A}}}} fragment A on BankAccount{maskedNumber}',
  variables: { representations: [{ __typename: 'User', id: 'alice' }] },
};
const TRANSACTION: SubgraphRequest = {
  query: 'query($representations:[_Any!]!){_entities(representations:$representations){...on CardTransaction{...A}}} fragment A on CardTransaction{amount{minorUnits}}',
  variables: { representations: [{ __typename: 'CardTransaction', id: 'northwind:txn_AAAAAAAAAAAAAAAAAAAAA1' }] },
};

describe('joining entity fetches to one bank', () => {
  it('one operation, valid against the bank contract, each fetch under its own alias with its own variables and fragments', () => {
    const joined = joinRequests([ACCOUNTS, TRANSACTION])!;
    expect(validate(contract, parse(joined.request.query))).toEqual([]);
    expect(joined.request.variables).toEqual({ j0_representations: ACCOUNTS.variables!.representations, j1_representations: TRANSACTION.variables!.representations });
    expect(joined.request.query).toContain('fragment j0_A on BankAccount');
    expect(joined.request.query).toContain('fragment j1_A on CardTransaction');
  });

  it('the answer is split back: data by alias, errors to the fetch of their path, an error without a path to each', () => {
    const joined = joinRequests([ACCOUNTS, TRANSACTION])!;
    const parts = joined.split({
      data: { j0: [{ accounts: [] }], j1: [null] },
      errors: [
        { message: 'denied', path: ['j1', 0, 'amount'], extensions: { code: 'FORBIDDEN' } },
        { message: 'audit', extensions: { code: 'INTERNAL_SERVER_ERROR' } },
      ],
    });
    expect(parts).toEqual([
      { data: { _entities: [{ accounts: [] }] }, errors: [{ message: 'audit', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] },
      {
        data: { _entities: [null] },
        errors: [
          { message: 'denied', path: ['_entities', 0, 'amount'], extensions: { code: 'FORBIDDEN' } },
          { message: 'audit', extensions: { code: 'INTERNAL_SERVER_ERROR' } },
        ],
      },
    ]);
  });

  it('only entity fetches are joined', () => {
    expect(joinRequests([ACCOUNTS, { query: 'query($id: ID!){ bankAccount(id: $id) { id } }', variables: { id: 'x' } }])).toBeUndefined();
    expect(joinRequests([ACCOUNTS, { query: 'mutation { revokeConsent(id: "x") { id } }' }])).toBeUndefined();
  });
});

/** A joint caller over banks answered by `answer`; every call it makes is recorded. */
function caller(answer: (request: SubgraphRequest) => SubgraphResult | Promise<SubgraphResult>) {
  const calls: Array<{ bank: string; request: SubgraphRequest; user: string }> = [];
  const callBank: BankCaller = async (b, request, context) => {
    calls.push({ bank: b.id, request, user: context.identity.sub! });
    return answer(request);
  };
  return { calls, joint: jointCalls(callBank) };
}

/** What a bank would answer to the joined operation or to a single fetch: a marker per alias. */
const echo = (request: SubgraphRequest): SubgraphResult => {
  const keys = [...request.query.matchAll(/(j\d+):\s*_entities/g)].map((m) => m[1]!);
  return { data: keys.length ? Object.fromEntries(keys.map((k) => [k, [k]])) : { _entities: ['single'] } };
};

describe('joint calls', () => {
  it('fetches of one request to one bank in the same turn: one call; each gets its own part of the answer', async () => {
    const { calls, joint } = caller(echo);
    const context = contextOf(alice);
    const [a, b] = await Promise.all([joint(bank('northwind'), ACCOUNTS, context), joint(bank('northwind'), TRANSACTION, context)]);
    expect(calls).toHaveLength(1);
    expect(a).toEqual({ data: { _entities: ['j0'] } });
    expect(b).toEqual({ data: { _entities: ['j1'] } });
  });

  it('never across requests (identity is part of the key), nor across banks', async () => {
    const { calls, joint } = caller(echo);
    const [aliceContext, bobContext] = [contextOf(alice), contextOf(bob)];
    const answers = await Promise.all([
      joint(bank('northwind'), ACCOUNTS, aliceContext),
      joint(bank('northwind'), ACCOUNTS, bobContext),
      joint(bank('contoso'), TRANSACTION, aliceContext),
    ]);
    expect(calls.map((c) => `${c.bank} ${c.user}`).sort()).toEqual(['contoso alice', 'northwind alice', 'northwind bob']);
    expect(answers).toEqual([{ data: { _entities: ['single'] } }, { data: { _entities: ['single'] } }, { data: { _entities: ['single'] } }]);
  });

  it('fetches of one request in different turns are separate calls', async () => {
    const { calls, joint } = caller(echo);
    const context = contextOf(alice);
    await joint(bank('northwind'), ACCOUNTS, context);
    await joint(bank('northwind'), TRANSACTION, context);
    expect(calls).toHaveLength(2);
  });

  it('a joined call the bank refuses as a whole (no data) is made again as separate calls', async () => {
    const { calls, joint } = caller((request) => (request.query.includes('j1') ? { errors: [{ message: 'too much', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }] } : echo(request)));
    const context = contextOf(alice);
    const answers = await Promise.all([joint(bank('northwind'), ACCOUNTS, context), joint(bank('northwind'), TRANSACTION, context)]);
    expect(calls).toHaveLength(3);
    expect(calls.slice(1).map((c) => c.request)).toEqual([ACCOUNTS, TRANSACTION]);
    expect(answers).toEqual([{ data: { _entities: ['single'] } }, { data: { _entities: ['single'] } }]);
  });

  it('a bank that gives no answer fails every fetch of the joined call', async () => {
    const { joint } = caller(() => Promise.reject(new Error('down')));
    const context = contextOf(alice);
    const outcomes = await Promise.allSettled([joint(bank('northwind'), ACCOUNTS, context), joint(bank('northwind'), TRANSACTION, context)]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
  });
});
