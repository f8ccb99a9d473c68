// The measurement behind the operation limits, on a small schema of its own: figures, fragments
// measured once (a fragment bomb is measured, not expanded), cycles refused, and the cost model
// (page sizes from literals, variables and schema defaults; list fan-out; introspection counted).
// The source-nesting scan that runs before graphql-js's recursive parser is checked here too.
import { buildSchema, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { exceededLimits } from '../gateway/limits.ts';
import type { OperationLimits } from '../gateway/config.ts';
import { FragmentCycleError, measureDocument, type OperationShape } from '../gateway/operation-shape.ts';
import { sourceNesting } from '../gateway/source-nesting.ts';

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

  it('counts introspection like any other selection', () => {
    const shape = measure('{ __schema { types { name fields { name } } } }');
    expect(shape.introspection).toBe(true);
    expect(shape.cost).toBe(1 + 10 + 100);
    expect(measure('{ me { ...T } } fragment T on User { __typename }').introspection).toBe(false);
    expect(measure('{ ...I } fragment I on Query { __type(name: "User") { name } }').introspection).toBe(true);
  });

  it('does not trip over fields the schema does not have (validation reports those later)', () => {
    expect(measure('{ nope { deeper { id } } me { unknown } }')).toMatchObject({ fields: 5, depth: 3 });
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
