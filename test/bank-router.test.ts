// The bank router on its own, with banks played by functions: how a fetch of the query plan is
// split by bank, what each bank receives, and how the answers come back together (order, merged
// lists, error paths, denials, failures). The end-to-end behaviour is in test/banks.test.ts.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse, validate, type GraphQLFormattedError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { bankContractTypeDefs } from '@consent-gateway/kit/bank';
import type { Identity } from '@consent-gateway/kit/identity';
import { bankRegistry, type RegisteredBank } from '../gateway/bank-registry.ts';
import { createBankClient } from '../gateway/bank-router/bank-client.ts';
import { BankCallError } from '../gateway/bank-router/merge.ts';
import { createBankRouter, type BankCaller, type DirectoryLink, type RecordWithoutBank, type SubgraphRequest, type SubgraphResult } from '../gateway/bank-router/router.ts';

const bank = (id: string): RegisteredBank => ({ id, name: `${id[0]!.toUpperCase()}${id.slice(1)} Bank`, url: `http://${id}.invalid/graphql` });
const REGISTRY = bankRegistry([bank('northwind'), bank('contoso')]);
const alice: Identity = { sub: 'alice', client: 'messenger-web', clientType: 'first-party', roles: ['user'], purpose: 'customer_service' };
const bob: Identity = { ...alice, sub: 'bob' };
const nora: Identity = { sub: 'agent-nora', client: 'bank-console', clientType: 'first-party', roles: ['bank_agent'], bank: 'northwind', purpose: 'customer_service' };
const id = (bankId: string, kind: string, n: number) => `${bankId}:${kind}_${String(n).padStart(22, 'A')}`;
const contract = buildSubgraphSchema({ typeDefs: bankContractTypeDefs() });

interface Call {
  bank: string;
  request: SubgraphRequest;
  identity: Identity;
}

/** A router over banks answered by `answer`; every call and every directory link is recorded. */
function routerWith(answer: (bankId: string, request: SubgraphRequest) => SubgraphResult | Promise<SubgraphResult>, options: { link?: DirectoryLink; registry?: typeof REGISTRY; concurrency?: number } = {}) {
  const calls: Call[] = [];
  const events: string[] = [];
  const callBank: BankCaller = async (b, request, context) => {
    calls.push({ bank: b.id, request, identity: context.identity });
    events.push(`call ${b.id}`);
    return answer(b.id, request);
  };
  const linkBank: DirectoryLink = async (context, bankId) => {
    events.push(`link ${bankId}`);
    return options.link ? options.link(context, bankId) : {};
  };
  const recordWithoutBank: RecordWithoutBank = async (_context, userIds, fields) => void events.push(`record ${userIds.join()} ${fields.join()}`);
  const route = createBankRouter({ registry: () => options.registry ?? REGISTRY, callBank, linkBank, recordWithoutBank, concurrency: options.concurrency ?? 8 });
  return { route, calls, events };
}

const forbidden = (reason: string, path: Array<string | number>): GraphQLFormattedError => ({ message: `Forbidden: ${reason}`, path, extensions: { code: 'FORBIDDEN', reason } });
const ENTITIES = 'query($representations:[_Any!]!){_entities(representations:$representations){...on User{accounts{id balance{minorUnits}} consents{id}} ...on CardTransaction{id} ...on Bank{name}}}';
const entities = (representations: unknown[]) => ({ query: ENTITIES, variables: { representations } });
const reps = (request: SubgraphRequest) => (request.variables?.representations ?? []) as Array<Record<string, any>>;

describe('root fields', () => {
  it('go to the bank their id or argument names, one call per bank with its fields only; banks comes from the registry', async () => {
    const { route, calls } = routerWith((bankId, request) => {
      const data: Record<string, unknown> = {};
      for (const key of ['a', 'b', 'c']) if (request.query.includes(`${key}:`)) data[key] = { id: `${bankId}-${key}` };
      return { data };
    });
    const query = `query Lookups($b: ID!) {
      a: bankAccount(id: "${id('northwind', 'acc', 1)}") { id }
      b: cardTransaction(id: $b) { ...Txn }
      c: bank(id: "northwind") { id }
      list: banks { id label: name __typename }
      d: bankAccount(id: "${id('acme', 'acc', 1)}") { id }
      e: bankAccount(id: "not-an-id") { id }
    }
    fragment Txn on CardTransaction { id }`;
    const result = await route({ query, variables: { b: id('contoso', 'txn', 2) }, operationName: 'Lookups' }, { identity: alice, requestId: 'r' });
    expect(result).toEqual({
      data: {
        a: { id: 'northwind-a' },
        b: { id: 'contoso-b' },
        c: { id: 'northwind-c' },
        list: [
          { id: 'contoso', label: 'Contoso Bank', __typename: 'Bank' },
          { id: 'northwind', label: 'Northwind Bank', __typename: 'Bank' },
        ],
        // No such bank, a malformed id: the same answer as a missing object.
        d: null,
        e: null,
      },
    });
    expect(calls.map((c) => c.bank).sort()).toEqual(['contoso', 'northwind']);
    const northwind = calls.find((c) => c.bank === 'northwind')!;
    const contoso = calls.find((c) => c.bank === 'contoso')!;
    expect(northwind.request.query).not.toContain('contoso');
    expect(northwind.request.variables).toEqual({});
    expect(contoso.request.variables).toEqual({ b: id('contoso', 'txn', 2) });
    // Each bank gets a valid operation: only the variables and fragments its fields use.
    for (const call of calls) expect(validate(contract, parse(call.request.query))).toEqual([]);
  });

  it('mutations run in order; a grant is linked in the directory before it is forwarded; a refused link refuses the grant', async () => {
    const { route, events } = routerWith((_bankId, request) => ({ data: Object.fromEntries(['g1', 'r', 'g2'].filter((k) => request.query.includes(`${k}:`)).map((k) => [k, { id: k }])) }));
    const query = `mutation($in: GrantConsentInput!) {
      g1: grantConsent(input: { bankId: "contoso", permissions: [ACCOUNTS_BASIC], purposes: [CUSTOMER_SERVICE] }) { id }
      r: revokeConsent(id: "${id('northwind', 'cns', 1)}") { id }
      g2: grantConsent(input: $in) { id }
    }`;
    const variables = { in: { bankId: 'contoso', permissions: ['ACCOUNTS_BASIC'], purposes: ['CUSTOMER_SERVICE'] } };
    const result = await route({ query, variables }, { identity: alice, requestId: 'r' });
    expect(result.data).toEqual({ g1: { id: 'g1' }, r: { id: 'r' }, g2: { id: 'g2' } });
    expect(events).toEqual(['link contoso', 'call contoso', 'call northwind', 'link contoso', 'call contoso']);

    const refusal = { message: 'Forbidden: no', extensions: { code: 'FORBIDDEN', reason: 'NOT_OWNER' } };
    const refused = routerWith(() => ({ data: {} }), { link: async () => ({ error: refusal }) });
    const res = await refused.route({ query: 'mutation { g: grantConsent(input: { bankId: "contoso", permissions: [], purposes: [] }) { id } }' }, { identity: nora, requestId: 'r' });
    expect(res).toEqual({ data: { g: null }, errors: [{ ...refusal, path: ['g'] }] });
    expect(refused.calls).toEqual([]);
  });

  it('route by the defaults the operation declares for variables it was not given, as GraphQL executes them', async () => {
    const { route, calls } = routerWith((bankId) => ({ data: { t: { id: `${bankId}-answer` }, b: { id: bankId } } }));
    const res = await route(
      { query: `query($t: ID! = "${id('northwind', 'txn', 7)}", $b: ID! = "contoso", $i: Boolean = false) { t: cardTransaction(id: $t) { id } b: bank(id: $b) { id } x: bank(id: "northwind") @include(if: $i) { id } }` },
      { identity: alice, requestId: 'r' },
    );
    expect(res.data).toEqual({ t: { id: 'northwind-answer' }, b: { id: 'contoso' } });
    expect(calls.map((c) => c.bank).sort()).toEqual(['contoso', 'northwind']);
  });

  it('answers a grant or revoke for a bank that is not registered as the bank would for a missing one', async () => {
    const { route, calls, events } = routerWith(() => ({ data: {} }));
    const res = await route(
      { query: `mutation { g: grantConsent(input: { bankId: "acme", permissions: [ACCOUNTS_BASIC], purposes: [CUSTOMER_SERVICE] }) { id } r: revokeConsent(id: "${id('acme', 'cns', 1)}") { id } }` },
      { identity: alice, requestId: 'r' },
    );
    expect(res.data).toEqual({ g: null, r: null });
    expect(res.errors?.map((e) => [e.path, e.extensions?.code, e.message])).toEqual([
      [['g'], 'BAD_USER_INPUT', 'invalid consent: unknown bank "acme"'],
      [['r'], 'NOT_FOUND', `no consent "${id('acme', 'cns', 1)}" of yours`],
    ]);
    expect([calls, events]).toEqual([[], []]);
    // A caller who may not grant or revoke gets that rule's answer, whatever bank the input names.
    for (const [identity, reason] of [
      [{ roles: [] } as Identity, 'NOT_AUTHENTICATED'],
      [{ ...alice, client: 'partner-app', clientType: 'third-party' } as Identity, 'THIRD_PARTY_CLIENT'],
      [nora, 'NOT_OWNER'],
    ] as const) {
      const refused = await route({ query: `mutation { g: grantConsent(input: { bankId: "acme", permissions: [ACCOUNTS_BASIC], purposes: [CUSTOMER_SERVICE] }) { id } r: revokeConsent(id: "${id('acme', 'cns', 1)}") { id } }` }, { identity, requestId: 'r' });
      expect(refused.errors?.map((e) => [e.path, e.extensions?.code, e.extensions?.reason])).toEqual([
        [['g'], 'FORBIDDEN', reason],
        [['r'], 'FORBIDDEN', reason],
      ]);
    }
  });
});

describe('_entities', () => {
  /** Each bank answers every representation it gets; a User gets `accounts` from `accountsOf`. */
  const answering = (accountsOf: (bankId: string, user: string) => SubgraphResult['data'] | 'deny' | 'fail', extraErrors: (bankId: string) => GraphQLFormattedError[] = () => []) =>
    routerWith((bankId, request) => {
      const errors: GraphQLFormattedError[] = [...extraErrors(bankId)];
      const out = reps(request).map((rep, j) => {
        if (rep.__typename !== 'User') return { id: rep.id ?? bankId, name: bankId };
        const answer = accountsOf(bankId, rep.id);
        if (answer === 'fail') throw new BankCallError('SUBGRAPH_UNAVAILABLE', 'connection refused');
        if (answer === 'deny') {
          errors.push(forbidden(bankId === 'northwind' ? 'PURPOSE_NOT_ALLOWED' : 'CONSENT_REQUIRED', ['_entities', j, 'accounts']));
          return { accounts: null, consents: [] };
        }
        return { ...answer, consents: [{ id: `${bankId}-consent` }] };
      });
      return { data: { _entities: out }, errors };
    });

  it('are split by bank, one call per bank, answers back in order; bankIds never reach a bank', async () => {
    const { route, calls } = answering((bankId, user) => ({ accounts: [{ id: `${bankId}-${user}` }] }));
    const representations = [
      { __typename: 'CardTransaction', id: id('northwind', 'txn', 1) },
      { __typename: 'CardTransaction', id: id('contoso', 'txn', 2) },
      { __typename: 'User', id: 'alice', bankIds: ['northwind', 'contoso', 'acme'] },
      { __typename: 'Bank', id: 'contoso' },
      { __typename: 'BankAccount', id: 'malformed' },
      { __typename: 'CardTransaction', id: id('northwind', 'txn', 3) },
    ];
    const res = await route(entities(representations), { identity: alice, requestId: 'r' });
    expect(res.data).toEqual({
      _entities: [
        { id: id('northwind', 'txn', 1), name: 'northwind' },
        { id: id('contoso', 'txn', 2), name: 'contoso' },
        // Lists concatenated in bank-id order: contoso, then northwind.
        { accounts: [{ id: 'contoso-alice' }, { id: 'northwind-alice' }], consents: [{ id: 'contoso-consent' }, { id: 'northwind-consent' }] },
        { id: 'contoso', name: 'contoso' },
        null,
        { id: id('northwind', 'txn', 3), name: 'northwind' },
      ],
    });
    // acme is in alice's directory but not in the registry: not asked, and said so.
    expect(res.errors?.map((e) => [e.path, e.extensions?.code, e.extensions?.bank])).toEqual([
      [['_entities', 2, 'accounts'], 'BANK_NOT_REGISTERED', 'acme'],
      [['_entities', 2, 'consents'], 'BANK_NOT_REGISTERED', 'acme'],
    ]);
    expect(calls.map((c) => c.bank).sort()).toEqual(['contoso', 'northwind']);
    const sent = Object.fromEntries(calls.map((c) => [c.bank, reps(c.request)]));
    expect(sent.northwind).toEqual([representations[0], { __typename: 'User', id: 'alice' }, representations[5]]);
    expect(sent.contoso).toEqual([representations[1], { __typename: 'User', id: 'alice' }, representations[3]]);
    expect(JSON.stringify(calls)).not.toContain('bankIds');
  });

  it('re-index errors to the original representation, and inside merged lists by the offset of each bank', async () => {
    const { route } = answering(
      (bankId) => ({ accounts: bankId === 'contoso' ? [{ id: 'c1' }, { id: 'c2' }] : [{ id: 'n1' }] }),
      (bankId) => (bankId === 'northwind' ? [forbidden('CONSENT_REQUIRED', ['_entities', 1, 'accounts', 0, 'balance'])] : []),
    );
    const res = await route(entities([{ __typename: 'Bank', id: 'northwind' }, { __typename: 'User', id: 'alice', bankIds: ['northwind', 'contoso'] }]), { identity: alice, requestId: 'r' });
    expect(res.data!._entities).toMatchObject([{ name: 'northwind' }, { accounts: [{ id: 'c1' }, { id: 'c2' }, { id: 'n1' }] }]);
    expect(res.errors).toEqual([forbidden('CONSENT_REQUIRED', ['_entities', 1, 'accounts', 2, 'balance'])]);
  });

  it('drop a denial when another bank answered, and show the most useful reason once when every bank denied', async () => {
    const some = answering((bankId) => (bankId === 'northwind' ? 'deny' : { accounts: [{ id: 'c1' }] }));
    const partly = await some.route(entities([{ __typename: 'User', id: 'alice', bankIds: ['northwind', 'contoso'] }]), { identity: alice, requestId: 'r' });
    expect(partly).toEqual({ data: { _entities: [{ accounts: [{ id: 'c1' }], consents: [{ id: 'contoso-consent' }] }] } });

    const none = answering(() => 'deny');
    const denied = await none.route(entities([{ __typename: 'User', id: 'alice', bankIds: ['northwind', 'contoso'] }]), { identity: alice, requestId: 'r' });
    expect(denied.data!._entities).toEqual([{ accounts: null, consents: [] }]);
    expect(denied.errors).toEqual([forbidden('PURPOSE_NOT_ALLOWED', ['_entities', 0, 'accounts'])]);
  });

  it("keep the other banks' data when one bank fails, with an error naming the failed bank at its field", async () => {
    const { route } = answering((bankId) => (bankId === 'contoso' ? 'fail' : { accounts: [{ id: 'n1' }] }));
    const res = await route(
      entities([
        { __typename: 'User', id: 'alice', bankIds: ['northwind', 'contoso'] },
        { __typename: 'CardTransaction', id: id('contoso', 'txn', 1) },
      ]),
      { identity: alice, requestId: 'r' },
    );
    expect(res.data!._entities).toEqual([{ accounts: [{ id: 'n1' }], consents: [{ id: 'northwind-consent' }] }, null]);
    const unavailable = (path: Array<string | number>) => ({
      message: 'Bank "Contoso Bank" (contoso) is unavailable; its data is missing from this response.',
      path,
      extensions: { code: 'SUBGRAPH_UNAVAILABLE', service: 'bank-account', bank: 'contoso' },
    });
    expect(res.errors).toEqual([unavailable(['_entities', 0, 'accounts']), unavailable(['_entities', 0, 'consents']), unavailable(['_entities', 1])]);
  });

  it("discard a bank's answer that carries another bank's object, as if that bank had failed; a bank's name is the registry's", async () => {
    const accountsOf = (bankId: string) =>
      bankId === 'contoso'
        ? { accounts: [{ id: id('northwind', 'acc', 9), bank: { id: 'northwind', name: 'Northwind Bank' } }] } // contoso posing as northwind
        : { accounts: [{ id: id('northwind', 'acc', 1), bank: { id: 'northwind', name: 'Totally Official Bank' } }] };
    const { route } = answering(accountsOf);
    const res = await route(entities([{ __typename: 'User', id: 'alice', bankIds: ['northwind', 'contoso'] }]), { identity: alice, requestId: 'r' });
    expect(res.data!._entities).toEqual([{ accounts: [{ id: id('northwind', 'acc', 1), bank: { id: 'northwind', name: 'Northwind Bank' } }], consents: [{ id: 'northwind-consent' }] }]);
    expect(res.errors?.map((e) => [e.path, e.extensions?.code, e.extensions?.bank])).toEqual([
      [['_entities', 0, 'accounts'], 'SUBGRAPH_UNAVAILABLE', 'contoso'],
      [['_entities', 0, 'consents'], 'SUBGRAPH_UNAVAILABLE', 'contoso'],
    ]);
    // A bank { id } that is not the bank is the same.
    const { route: other } = answering((bankId) => ({ accounts: [{ id: id(bankId, 'acc', 2), bank: { id: bankId === 'contoso' ? 'northwind' : bankId } }] }));
    const posing = await other(entities([{ __typename: 'User', id: 'alice', bankIds: ['contoso'] }]), { identity: alice, requestId: 'r' });
    expect(posing.data!._entities).toEqual([{ accounts: null, consents: null }]);
    expect(posing.errors?.[0]?.extensions).toMatchObject({ code: 'SUBGRAPH_UNAVAILABLE', bank: 'contoso' });
  });

  it('tell the user, at each bank field, of a bank in their directory that the registry no longer has, and ask the others', async () => {
    const { route, calls } = answering((bankId) => ({ accounts: [{ id: `${bankId}-a` }] }));
    const res = await route(entities([{ __typename: 'User', id: 'alice', bankIds: ['northwind', 'fabrikam'] }]), { identity: alice, requestId: 'r' });
    expect(calls.map((c) => c.bank)).toEqual(['northwind']);
    expect(res.data!._entities).toEqual([{ accounts: [{ id: 'northwind-a' }], consents: [{ id: 'northwind-consent' }] }]);
    expect(res.errors?.map((e) => [e.path, e.extensions?.code, e.extensions?.bank])).toEqual([
      [['_entities', 0, 'accounts'], 'BANK_NOT_REGISTERED', 'fabrikam'],
      [['_entities', 0, 'consents'], 'BANK_NOT_REGISTERED', 'fabrikam'],
    ]);
    // Someone else's directory is not theirs to learn from, nor a third-party app's, even signed in as her.
    for (const identity of [bob, { ...alice, client: 'partner-app', clientType: 'third-party' as const }]) {
      const other = await route(entities([{ __typename: 'User', id: 'alice', bankIds: ['fabrikam'] }]), { identity, requestId: 'r' });
      expect(other.errors?.some((e) => e.extensions?.code === 'BANK_NOT_REGISTERED')).toBe(false);
    }
  });

  it('answer a user with no bank to ask without calling any, as a bank without a consent would, and have those decisions recorded', async () => {
    const { route, calls, events } = answering(() => ({ accounts: [] }));
    const own = await route(entities([{ __typename: 'User', id: 'bob', bankIds: [] }]), { identity: bob, requestId: 'r' });
    expect(own).toEqual({ data: { _entities: [{ accounts: null, consents: [] }] }, errors: [{ ...forbidden('CONSENT_REQUIRED', ['_entities', 0, 'accounts']), message: 'Forbidden: No live consent covers this field.' }] });
    const other = await route(entities([{ __typename: 'User', id: 'bob', bankIds: null }]), { identity: alice, requestId: 'r' });
    expect(other.data!._entities).toEqual([{ accounts: null, consents: null }]);
    expect(other.errors!.map((e) => [e.path, e.extensions?.reason])).toEqual([
      [['_entities', 0, 'accounts'], 'NOT_OWNER'],
      [['_entities', 0, 'consents'], 'NOT_OWNER'],
    ]);
    expect(calls).toEqual([]);
    // Once per fetch, with every user answered here and the bank fields asked (not `id`, not CardTransaction's).
    expect(events).toEqual(['record bob accounts,consents', 'record bob accounts,consents']);
    const withBank = await route(entities([{ __typename: 'User', id: 'alice', bankIds: ['northwind'] }]), { identity: alice, requestId: 'r' });
    expect(withBank.data!._entities).toHaveLength(1);
    expect(events.filter((e) => e.startsWith('record'))).toHaveLength(2);
  });

  it("ask an agent's own bank only, whatever banks the user has", async () => {
    const { route, calls } = answering((bankId) => ({ accounts: [{ id: bankId }] }));
    const res = await route(entities([{ __typename: 'User', id: 'alice', bankIds: ['contoso'] }]), { identity: nora, requestId: 'r' });
    expect(res.data!._entities).toEqual([{ accounts: [{ id: 'northwind' }], consents: [{ id: 'northwind-consent' }] }]);
    expect(calls.map((c) => c.bank)).toEqual(['northwind']);
  });

  it('call at most `concurrency` banks at once, and every one of them', async () => {
    const many = bankRegistry(Array.from({ length: 10 }, (_, i) => bank(`bank-${i}`)));
    let inFlight = 0;
    let most = 0;
    const { route, calls } = routerWith(
      async (_bankId, request) => {
        most = Math.max(most, ++inFlight);
        await new Promise((resolve) => setImmediate(resolve));
        inFlight--;
        return { data: { _entities: reps(request).map(() => ({ accounts: [], consents: [] })) } };
      },
      { registry: many, concurrency: 3 },
    );
    await route(entities([{ __typename: 'User', id: 'alice', bankIds: many.banks.map((b) => b.id) }]), { identity: alice, requestId: 'r' });
    expect(calls).toHaveLength(10);
    expect(most).toBe(3);
  });
});

describe('the bank client', () => {
  it('says which way a bank failed: too slow, or not there; and carries a token for that bank alone', async () => {
    const audiences: string[] = [];
    const mint = async (_context: unknown, audience: string) => (audiences.push(audience), 'token');
    const hanging = createServer(() => undefined); // accepts, never answers
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    const port = (hanging.address() as AddressInfo).port;
    const call = createBankClient({ mint, timeoutMs: 200, log: () => undefined });
    const context = { identity: alice, requestId: 'r' };
    try {
      await expect(call({ ...bank('slow'), url: `http://127.0.0.1:${port}/graphql` }, { query: '{ banks { id } }' }, context)).rejects.toMatchObject({ code: 'SUBGRAPH_TIMEOUT' });
    } finally {
      hanging.closeAllConnections();
      await new Promise((resolve) => hanging.close(resolve));
    }
    await expect(call({ ...bank('gone'), url: `http://127.0.0.1:${port}/graphql` }, { query: '{ banks { id } }' }, context)).rejects.toMatchObject({ code: 'SUBGRAPH_UNAVAILABLE' });
    expect(audiences).toEqual(['bank:slow', 'bank:gone']);
  });

  it('reuses keep-alive connections to a bank, one pool per bank', async () => {
    const connections: number[] = [];
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.setHeader('content-type', 'application/json').end(JSON.stringify({ data: { banks: [] } })));
    });
    server.on('connection', () => connections.push(Date.now()));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
    const call = createBankClient({ mint: async () => 'token', timeoutMs: 2_000, log: () => undefined });
    const context = { identity: alice, requestId: 'r' };
    try {
      for (let i = 0; i < 5; i++) expect(await call({ ...bank('northwind'), url }, { query: '{ banks { id } }' }, context)).toEqual({ data: { banks: [] } });
      expect(connections).toHaveLength(1);
      await call({ ...bank('contoso'), url }, { query: '{ banks { id } }' }, context);
      expect(connections).toHaveLength(2); // another bank, another pool
    } finally {
      call.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("rebuilds a bank's errors as they enter the gateway: no http status, no exception or stacktrace, no internal message", async () => {
    const leaks = [
      { message: 'connect failed: mongodb://admin:pw@db.internal:27017/bank', path: ['a'], locations: [{ line: 1, column: 3 }], extensions: { code: 'INTERNAL_SERVER_ERROR', http: { status: 401 }, exception: { host: 'db.internal' } } },
      { message: 'weird', path: ['b'], extensions: { code: 'TEAPOT', http: { status: 999 }, stacktrace: ['at db.internal'] } },
      { message: 'no code at all mongodb://x@y' },
      { message: 'Forbidden: CONSENT_REQUIRED', path: ['c', 0, 'balance'], extensions: { code: 'FORBIDDEN', reason: 'CONSENT_REQUIRED', http: { status: 401 }, exception: { host: 'db.internal' }, bank: 'contoso' } },
      { message: 'invalid consent: expiresAt is in the past', path: ['d'], extensions: { code: 'BAD_USER_INPUT', problems: ['expiresAt is in the past'], argument: 'input.expiresAt', http: { status: 400 } } },
      { message: 'no account here (see https://user:pw@db.internal/x?y=1)', path: ['e'], extensions: { code: 'NOT_FOUND' } },
    ];
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.setHeader('content-type', 'application/json').end(JSON.stringify({ data: { a: null }, errors: leaks, extensions: { http: { status: 401 } } })));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
    const call = createBankClient({ mint: async () => 'token', timeoutMs: 2_000, log: () => undefined });
    try {
      const result = await call({ ...bank('northwind'), url }, { query: '{ a: banks { id } }' }, { identity: alice, requestId: 'r' });
      const masked = (path?: Array<string | number>) => ({
        message: 'Bank "Northwind Bank" (northwind) could not answer this; its data is missing from this response.',
        ...(path ? { path } : {}),
        extensions: { code: 'INTERNAL_SERVER_ERROR', service: 'bank-account', bank: 'northwind' },
      });
      expect(result).toEqual({
        data: { a: null },
        errors: [
          masked(['a']),
          masked(['b']),
          masked(),
          { message: 'Forbidden: CONSENT_REQUIRED', path: ['c', 0, 'balance'], extensions: { code: 'FORBIDDEN', reason: 'CONSENT_REQUIRED' } },
          { message: 'invalid consent: expiresAt is in the past', path: ['d'], extensions: { code: 'BAD_USER_INPUT', problems: ['expiresAt is in the past'], argument: 'input.expiresAt' } },
          { message: 'no account here (see [address removed]', path: ['e'], extensions: { code: 'NOT_FOUND' } },
        ],
      });
    } finally {
      call.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
