// The measurement behind the operation limits, on a small schema of its own: figures, fragments
// measured once (a fragment bomb is measured, not expanded), cycles refused, and the cost model
// (page sizes from literals, variables and schema defaults; list fan-out; introspection counted
// at the schema's own sizes; weights), page sizes outside their range, and the graph's own table
// of ranges and weights against the code that enforces them.
// The source-nesting scan that runs before graphql-js's recursive parser is checked here too.
import { buildSchema, getIntrospectionQuery, graphqlSync, isInterfaceType, isObjectType, parse, type GraphQLSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import { pageSize } from '@consent-gateway/kit/pagination';
import { auditResolvers } from '../kit/src/bank/audit-queries.ts';
import { PAGE_SIZES, WEIGHTS } from '../gateway/graph-costs.ts';
import { exceededLimits } from '../gateway/limits.ts';
import type { OperationLimits } from '../gateway/config.ts';
import { FragmentCycleError, measureDocument, type OperationShape } from '../gateway/operation-shape.ts';
import { auditEvents, MAX_AUDIT_EVENTS_PAGE } from '../gateway/records/audit-events.ts';
import { sourceNesting } from '../gateway/source-nesting.ts';
import { composeSupergraph } from '../scripts/compose.ts';

const schema = buildSchema(`
  type Query { me: User, user(id: ID!): User, items(first: Int = 20): [Item!]!, grid: [[Item]] }
  type Mutation { rename(name: String!): User }
  type User { id: ID!, name: String, friends: [User!], posts(first: Int = 10, after: String): PostConnection }
  type PostConnection { edges: [PostEdge!]!, pageInfo: PageInfo! }
  type PostEdge { cursor: String!, node: Post! }
  type Post { id: ID!, author: User, tags: [String!] }
  type PageInfo { hasNextPage: Boolean! }
  type Item { id: ID! }
`);

const measure = (query: string, variables?: Record<string, unknown>): OperationShape => measureDocument(parse(query), { schema, variables, assumedListSize: 10 });

describe('operation shape', () => {
  it('counts depth, fields, aliases, directives and root fields', () => {
    expect(measure('{ me { id name } a: user(id: "x") @skip(if: false) { id } }')).toEqual({
      depth: 2,
      fields: 5,
      aliases: 1,
      directives: 1,
      rootFields: 2,
      cost: 2,
      introspection: false,
      pageSizeProblems: [],
    });
  });

  it('expands a fragment at every spread, without walking it again', () => {
    const twice = measure('{ me { ...F ...F } } fragment F on User { id a: name }');
    expect(twice.fields).toBe(5);
    expect(twice.aliases).toBe(2);
    // 200 levels, each spreading the one below twice: 2^200 fields. Re-walking fragments would
    // take longer than the age of the universe; measured once each, it is 200 small steps.
    let bomb = 'query { me { ...F200 } } fragment F0 on User { id }';
    for (let i = 1; i <= 200; i++) bomb += ` fragment F${i} on User { ...F${i - 1} ...F${i - 1} }`;
    const shape = measure(bomb);
    expect(shape.fields).toBe(2 ** 200 + 1);
    expect(shape.depth).toBe(2);
  });

  it('refuses fragment cycles, direct or through other fragments', () => {
    expect(() => measure('{ me { ...A } } fragment A on User { ...A }')).toThrow(FragmentCycleError);
    expect(() => measure('{ me { ...A } } fragment A on User { friends { ...B } } fragment B on User { ...A }')).toThrow(/Fragment "A" spreads itself/);
  });

  it('counts fields reached through inline fragments and fragments at the root', () => {
    const shape = measure('{ ... on Query { me { id } } ...Root } fragment Root on Query { items { id } }');
    expect(shape.rootFields).toBe(2);
    expect(shape.fields).toBe(4);
  });

  it('sums the measures of every operation of a document, keeping the largest', () => {
    const shape = measure('query Small { me { id } } query Wide { a: me { id } b: me { id } c: me { id } }');
    expect(shape.aliases).toBe(3);
    expect(shape.rootFields).toBe(3);
  });
});

describe('cost', () => {
  it('is one per object, leaves free', () => {
    expect(measure('{ me { id name } }').cost).toBe(1);
    expect(measure('{ me { id posts(first: 2) { pageInfo { hasNextPage } } } }').cost).toBe(3); // me, connection, pageInfo
  });

  it('multiplies a connection edges by its page size: literal, variable, variable default, schema default', () => {
    const q = (arg: string) => `query($n: Int = 4) { me { posts${arg} { edges { node { id } } } } }`;
    // me 1 + connection 1 + n edges + n nodes
    expect(measure(q('(first: 3)')).cost).toBe(2 + 2 * 3);
    expect(measure(q('(first: $n)'), { n: 7 }).cost).toBe(2 + 2 * 7);
    expect(measure(q('(first: $n)')).cost).toBe(2 + 2 * 4);
    expect(measure(q('')).cost).toBe(2 + 2 * 10); // posts(first: Int = 10)
    expect(measure(q('(first: 0)')).cost).toBe(2);
  });

  it('takes a list field own `first`, else the assumed list size, and multiplies nested lists', () => {
    expect(measure('{ items(first: 3) { id } }').cost).toBe(3);
    expect(measure('{ items { id } }').cost).toBe(20); // the schema default of items(first:)
    expect(measure('{ me { friends { friends { id } } } }').cost).toBe(1 + 10 + 100);
    expect(measure('{ grid { id } }').cost).toBe(100); // [[Item]]: 10 × 10
  });

  it('multiplies everything below a list, fragments included', () => {
    const direct = measure('{ me { friends { posts(first: 5) { edges { node { author { id } } } } } } }').cost;
    const viaFragment = measure('{ me { friends { ...P } } } fragment P on User { posts(first: 5) { ...E } } fragment E on PostConnection { edges { node { author { id } } } }').cost;
    expect(direct).toBe(1 + 10 * (1 + 1 + 5 * 3)); // me; each friend: itself, its connection, 5 × (edge, node, author)
    expect(viaFragment).toBe(direct);
  });

  it('a fragment spread in connections of different page sizes is measured for each', () => {
    const shape = measure('{ me { a: posts(first: 1) { ...E } b: posts(first: 50) { ...E } } } fragment E on PostConnection { edges { node { id } } }');
    expect(shape.cost).toBe(1 + (1 + 2 * 1) + (1 + 2 * 50));
  });

  it('counts introspection like any other selection, its lists at the schema\'s own sizes', () => {
    const shape = measure('{ __schema { types { name fields { name } } } }');
    expect(shape.introspection).toBe(true);
    expect(shape.cost).toBe(objectsIn('{ __schema { types { name fields { name } } } }')); // every type, every field: not 10 of each
    expect(measure('{ me { ...T } } fragment T on User { __typename }').introspection).toBe(false);
    expect(measure('{ ...I } fragment I on Query { __type(name: "User") { name } }').introspection).toBe(true);
  });

  it('does not trip over fields the schema does not have (validation reports those later)', () => {
    expect(measure('{ nope { deeper { id } } me { unknown } }')).toMatchObject({ fields: 5, depth: 3 });
  });
});

/** The objects in the answer a query gets from the test schema (introspection answers without resolvers): what its cost must cover. */
function objectsIn(query: string, from: GraphQLSchema = schema): number {
  const { data, errors } = graphqlSync({ schema: from, source: query });
  expect(errors).toBeUndefined();
  const count = (v: unknown): number =>
    Array.isArray(v) ? v.reduce((sum: number, x) => sum + count(x), 0) : v && typeof v === 'object' ? 1 + Object.values(v).reduce((sum: number, x) => sum + count(x), 0) : 0;
  return count(data) - 1; // not the `data` object itself
}

describe('introspection is priced by what it returns', () => {
  // A schema of 60 object types, one of them wide: an assumed 10 per list would undercount it.
  const wide = buildSchema(`
    type Query { ${Array.from({ length: 60 }, (_, i) => `t${i}: T${i}`).join(' ')} }
    ${Array.from({ length: 60 }, (_, i) => `type T${i} { a: Int, b(x: Int, y: String): String }`).join('\n')}
    type Wide { ${Array.from({ length: 40 }, (_, i) => `f${i}(a: Int, b: Int, c: Int): Int`).join(' ')} }
    extend type Query { wide: Wide }
  `);
  const cost = (query: string) => measureDocument(parse(query), { schema: wide, assumedListSize: 10 }).cost;

  it('every type, every field, every argument of the schema: exactly the objects of the answer', () => {
    for (const query of [
      '{ __schema { types { name } } }',
      '{ __schema { types { name description fields(includeDeprecated: true) { name args { name } } } } }',
      '{ __schema { types { inputFields { name } enumValues(includeDeprecated: true) { name } } directives { name args { name } } } }',
    ]) expect(cost(query), query).toBe(objectsIn(query, wide));
    expect(cost('{ __schema { types { name } } }')).toBeGreaterThan(70); // 11 when lists were assumed to hold 10
  });

  it('one type asked by name is counted as the largest there is, never less than it returns', () => {
    expect(cost('{ __type(name: "Wide") { fields { name args { name } } } }')).toBe(1 + 61 * (1 + 3)); // Query has 61 fields
    for (const query of [
      '{ __type(name: "Wide") { fields { name args { name } } } }',
      '{ __type(name: "Query") { fields { type { name fields { name type { name } } } } } }',
      '{ __schema { types { fields { type { fields { name } } } } } }',
      '{ __schema { types { interfaces { fields { name } } possibleTypes { name } } queryType { fields { name } } } }',
      getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true }),
    ]) expect(cost(query), query.slice(0, 80)).toBeGreaterThanOrEqual(objectsIn(query, wide));
  });

  it('the graph\'s own schema: the standard introspection query fits a third-party budget, and is never underpriced', () => {
    const api = composeSupergraph().apiSchema();
    const measured = (query: string) => measureDocument(parse(query), { schema: api, assumedListSize: 10 }).cost;
    const standard = getIntrospectionQuery({ descriptions: true });
    expect(measured(standard)).toBeGreaterThanOrEqual(objectsIn(standard, api));
    expect(measured(standard)).toBeLessThan(5_000);
    // The shape of the reviewer's 568 bytes that came back as 118 KB: every type's fields, with descriptions, under aliases.
    const aliased = `{ __schema { ${Array.from({ length: 8 }, (_, i) => `a${i}: types { name description fields { name description } }`).join(' ')} } }`;
    expect(measured(aliased)).toBe(objectsIn(aliased, api));
  });
});

describe('page sizes', () => {
  const ranges = { 'User.posts': { min: 0, max: 50 }, 'Query.items': { min: 1, max: 30 } };
  const problems = (query: string, variables?: Record<string, unknown>) =>
    measureDocument(parse(query), { schema, variables, assumedListSize: 10, pageSizes: ranges }).pageSizeProblems;

  it('a literal outside its field\'s range is reported with the field, the argument, the value and the range', () => {
    expect(problems('{ me { posts(first: -1) { edges { node { id } } } } }')).toEqual([{ field: 'User.posts', argument: 'first', value: -1, min: 0, max: 50 }]);
    expect(problems('{ items(first: 31) { id } }')).toEqual([{ field: 'Query.items', argument: 'first', value: 31, min: 1, max: 30 }]);
    expect(problems('{ items(first: 0) { id } }')).toEqual([{ field: 'Query.items', argument: 'first', value: 0, min: 1, max: 30 }]);
    expect(problems('{ me { posts(first: 0) { pageInfo { hasNextPage } } } items(first: 30) { id } }')).toEqual([]);
  });

  it('a variable: its value, else the operation\'s default for it, else the schema\'s', () => {
    const q = 'query($n: Int = -2) { me { posts(first: $n) { edges { node { id } } } } }';
    expect(problems(q, { n: -3 })).toMatchObject([{ value: -3 }]);
    expect(problems(q, { n: 51 })).toMatchObject([{ value: 51 }]);
    expect(problems(q)).toMatchObject([{ value: -2 }]); // not given: the operation's default
    expect(problems(q, { n: 5 })).toEqual([]);
    expect(problems(q, { n: null })).toEqual([]); // given as null: the subgraph's default (posts' 10)
    expect(problems('query($n: Int) { me { posts(first: $n) { edges { node { id } } } } }')).toEqual([]);
  });

  it('a field without a range of its own still takes no negative size; each problem is reported once', () => {
    expect(problems('{ me { friends { posts(first: -1) { pageInfo { hasNextPage } } } } }')).toHaveLength(1);
    const fragment = '{ a: me { ...P } b: me { ...P } } fragment P on User { posts(first: -5) { pageInfo { hasNextPage } } }';
    expect(problems(fragment)).toEqual([{ field: 'User.posts', argument: 'first', value: -5, min: 0, max: 50 }]);
    const unranged = measureDocument(parse('{ me { posts(first: -1) { pageInfo { hasNextPage } } } }'), { schema, assumedListSize: 10 }).pageSizeProblems;
    expect(unranged).toEqual([{ field: 'User.posts', argument: 'first', value: -1, min: 0, max: 2 ** 31 - 1 }]);
  });
});

describe('weights', () => {
  it('a weighted field costs its weight per object; what is below it is multiplied by the objects only', () => {
    const weighed = (query: string) => measureDocument(parse(query), { schema, assumedListSize: 10, weights: { 'Query.items': 25, 'User.friends': 5 } }).cost;
    expect(weighed('{ items(first: 3) { id } }')).toBe(75);
    expect(weighed('{ me { friends { id } } }')).toBe(1 + 10 * 5);
    expect(weighed('{ me { friends { friends { id } } } }')).toBe(1 + 10 * 5 + 10 * (10 * 5));
  });
});

describe("the graph's page sizes and weights (gateway/graph-costs.ts)", () => {
  const api = composeSupergraph().apiSchema();

  it('every paged field of the graph has its range, and every range names a field of the graph', () => {
    const paged = Object.values(api.getTypeMap()).flatMap((type) =>
      (isObjectType(type) || isInterfaceType(type)) && !type.name.startsWith('__')
        ? Object.values(type.getFields()).filter((f) => f.args.some((a) => a.name === 'first' || a.name === 'last')).map((f) => `${type.name}.${f.name}`)
        : [],
    );
    expect(Object.keys(PAGE_SIZES).sort()).toEqual(paged.sort());
  });

  it('each range is the one the code that serves the field enforces', async () => {
    const refuses = async (call: () => unknown) => {
      try {
        await call();
        return false;
      } catch {
        return true;
      }
    };
    // transactions and messages: the kit's pageSize.
    for (const field of ['BankAccount.transactions', 'Conversation.messages']) {
      const { min, max } = PAGE_SIZES[field]!;
      expect([await refuses(() => pageSize(min - 1)), await refuses(() => pageSize(min)), await refuses(() => pageSize(max)), await refuses(() => pageSize(max + 1))]).toEqual([true, false, false, true]);
    }
    // accessLog: the bank's resolver (it reads the records before it refuses nothing else).
    const reads: number[] = [];
    const ctx = { store: { findRecords: async (q: { limit: number }) => (reads.push(q.limit), []) } };
    const accessLog = (first: number) => auditResolvers.User.accessLog({ id: 'alice' }, { first }, ctx as never);
    const log = PAGE_SIZES['User.accessLog']!;
    expect([await refuses(() => accessLog(log.min - 1)), await refuses(() => accessLog(log.min)), await refuses(() => accessLog(log.max)), await refuses(() => accessLog(log.max + 1))]).toEqual([true, false, false, true]);
    // auditEvents: the gateway's records resolver refuses before it asks any store.
    const events = PAGE_SIZES['Query.auditEvents']!;
    const auditPage = (first: number) => auditEvents(null, { first }, {} as never);
    expect([await refuses(() => auditPage(events.min - 1)), await refuses(() => auditPage(events.max + 1))]).toEqual([true, true]);
    expect(events.max).toBe(MAX_AUDIT_EVENTS_PAGE);

    // The weight of an access-log entry is the records the bank reads for it.
    expect(reads.at(-1)! / log.max).toBe(WEIGHTS['User.accessLog']);
  });

  it('accessLog(first: 200) costs the 5,000 records it reads', () => {
    const cost = measureDocument(parse('{ me { accessLog(first: 200) { at } } }'), { schema: api, assumedListSize: 10, pageSizes: PAGE_SIZES, weights: WEIGHTS }).cost;
    expect(cost).toBe(1 + 200 * 25);
  });
});

describe('limits', () => {
  const limits: OperationLimits = {
    maxTokens: 100,
    maxNesting: 10,
    maxDepth: 3,
    maxFields: 10,
    maxAliases: 1,
    maxDirectives: 1,
    maxRootFields: 2,
    maxCost: { anonymous: 5, 'third-party': 50, 'first-party': 500 },
    assumedListSize: 10,
    maxBodyBytes: 1000,
  };

  it('reports every exceeded limit with its code, the figure and the limit', () => {
    const shape = measure('{ a: me { friends { friends { id } } } b: me { id } c: me { id } }');
    expect(exceededLimits(shape, limits, 'first-party').map((e) => [e.code, e.extensions])).toEqual([
      ['DEPTH_LIMIT_EXCEEDED', { measured: 4, limit: 3 }],
      ['ALIAS_LIMIT_EXCEEDED', { measured: 3, limit: 1 }],
      ['ROOT_FIELD_LIMIT_EXCEEDED', { measured: 3, limit: 2 }],
    ]);
    expect(exceededLimits(shape, limits, 'first-party')[0]!.message).toBe('The operation is too deep: 4 levels, the limit is 3.');
  });

  it('has a cost limit per caller kind', () => {
    const shape = measure('{ me { friends { id } } }'); // cost 11
    expect(exceededLimits(shape, limits, 'first-party')).toEqual([]);
    expect(exceededLimits(shape, limits, 'third-party')).toEqual([]);
    const [anonymous] = exceededLimits(shape, limits, 'anonymous');
    expect(anonymous).toEqual({
      code: 'COST_LIMIT_EXCEEDED',
      message: 'The operation costs too much: 11, the limit is 5 for anonymous callers.',
      extensions: { measured: 11, limit: 5 },
    });
  });

  it('an uncountable figure is refused, never waved through', () => {
    let bomb = 'query { me { ...F1100 } } fragment F0 on User { id }';
    for (let i = 1; i <= 1100; i++) bomb += ` fragment F${i} on User { ...F${i - 1} ...F${i - 1} }`;
    const [fields] = exceededLimits(measure(bomb), limits, 'first-party');
    expect(fields).toMatchObject({ code: 'FIELD_LIMIT_EXCEEDED', extensions: { measured: null, limit: 10 } });
    expect(fields!.message).toMatch(/more than can be counted/);
  });
});

describe('source nesting (before the parser)', () => {
  it('counts the deepest nesting of braces, brackets and parentheses', () => {
    expect(sourceNesting('{ me { id } }')).toBe(2);
    expect(sourceNesting('{ a(x: [[1]], y: { z: [2] }) { b } }')).toBe(4);
  });

  it('ignores brackets inside strings, block strings and comments', () => {
    expect(sourceNesting('{ a(s: "{{{[[[(((\\"{{{") }')).toBe(2);
    expect(sourceNesting('{ a(s: """ {{{ \\""" [[[ """) }')).toBe(2);
    expect(sourceNesting('# {{{{{{{{\n{ a }')).toBe(1);
  });

  it('measures 100,000 levels without recursion', () => {
    expect(sourceNesting('['.repeat(100_000))).toBe(100_000);
    expect(sourceNesting(`{${'a {'.repeat(50_000)}${'}'.repeat(50_001)}`)).toBe(50_001);
  });

  it('is not fooled by closing brackets first', () => {
    expect(sourceNesting(']]]]{ a { b } }')).toBe(2);
  });
});
