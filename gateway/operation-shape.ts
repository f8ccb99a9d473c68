// What an operation asks for, measured in one pass over the document before anything is planned
// or fetched: each fragment is measured once per page-size context and its figures reused at
// every spread, so nested fragments that double at each level cost linear time, not 2^n.
//
// Cost is the number of objects the operation may return. A field that returns an object costs
// one per instance of its parent; a list multiplies what is below it by its size: its own
// `first` (or `last`) argument, else the page size of the connection field right above it
// (`transactions(first: 5) { edges { … } }`: five edges), else `assumedListSize`. A page-size
// argument is read from the literal, else the variable's value, else the schema's default.
// Introspection fields are measured like any other (their lists are assumed lists). Leaves cost
// nothing here: their number is bounded by the field limit.
import {
  Kind,
  SchemaMetaFieldDef,
  TypeMetaFieldDef,
  TypeNameMetaFieldDef,
  getNamedType,
  isCompositeType,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLOutputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';

export interface OperationShape {
  /** Deepest nesting of fields (`{ me { id } }` is 2); fragments add no level of their own. */
  depth: number;
  /** Field selections, fragments expanded at every spread. */
  fields: number;
  aliases: number;
  directives: number;
  /** Fields selected at the operation's root. */
  rootFields: number;
  cost: number;
  /** Whether `__schema` or `__type` is selected anywhere. */
  introspection: boolean;
}

export class FragmentCycleError extends Error {
  constructor(readonly fragment: string) {
    super(`Fragment "${fragment}" spreads itself (directly or through other fragments).`);
  }
}

export interface MeasureOptions {
  schema: GraphQLSchema;
  variables?: Record<string, unknown>;
  assumedListSize: number;
}

interface SetShape {
  depth: number;
  fields: number;
  aliases: number;
  directives: number;
  /** Fields at this level, through fragments. */
  width: number;
  cost: number;
  introspection: boolean;
}

const PAGE_ARGUMENTS = ['first', 'last'];
const EMPTY: SetShape = { depth: 0, fields: 0, aliases: 0, directives: 0, width: 0, cost: 0, introspection: false };

/** `a × b` where nothing times an unbounded figure stays nothing (not NaN). */
const times = (a: number, b: number) => (a === 0 || b === 0 ? 0 : a * b);

/** Measures every operation of the document and keeps the largest figure of each. */
export function measureDocument(document: DocumentNode, options: MeasureOptions): OperationShape {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const def of document.definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
  const result: OperationShape = { depth: 0, fields: 0, aliases: 0, directives: 0, rootFields: 0, cost: 0, introspection: false };
  for (const def of document.definitions) {
    if (def.kind !== Kind.OPERATION_DEFINITION) continue;
    const shape = measureOperation(def, fragments, options);
    for (const key of ['depth', 'fields', 'aliases', 'directives', 'rootFields', 'cost'] as const) result[key] = Math.max(result[key], shape[key]);
    result.introspection ||= shape.introspection;
  }
  return result;
}

function measureOperation(operation: OperationDefinitionNode, fragments: Map<string, FragmentDefinitionNode>, options: MeasureOptions): OperationShape {
  const { schema, assumedListSize } = options;
  const variables = options.variables ?? {};
  const variableDefaults = new Map(operation.variableDefinitions?.map((v) => [v.variable.name.value, v.defaultValue]) ?? []);
  const memo = new Map<string, SetShape | 'measuring'>();

  /** A page size as given; a value that is no GraphQL Int is left to validation, which refuses it by name. */
  function intValue(node: ValueNode): number | undefined {
    if (node.kind === Kind.INT) return isGraphQLInt(Number(node.value)) ? Number(node.value) : undefined;
    if (node.kind !== Kind.VARIABLE) return undefined;
    const value = variables[node.name.value];
    if (isGraphQLInt(value)) return value;
    const fallback = variableDefaults.get(node.name.value);
    return fallback ? intValue(fallback) : undefined;
  }

  function pageSize(field: FieldNode, def: GraphQLField<unknown, unknown> | undefined): number | undefined {
    for (const name of PAGE_ARGUMENTS) {
      const given = field.arguments?.find((a) => a.name.value === name);
      const value = (given && intValue(given.value)) ?? def?.args.find((a) => a.name === name)?.defaultValue;
      if (Number.isInteger(value)) return Math.max(0, value as number);
    }
    return undefined;
  }

  function measureFragment(name: string, pending: number | undefined): SetShape {
    const fragment = fragments.get(name);
    if (!fragment) return EMPTY; // validation reports the unknown fragment
    const key = `${name}\u0000${pending ?? ''}`;
    const known = memo.get(key);
    if (known === 'measuring') throw new FragmentCycleError(name);
    if (known) return known;
    memo.set(key, 'measuring');
    const shape = measureSet(fragment.selectionSet, schema.getType(fragment.typeCondition.name.value), pending);
    const withOwn = { ...shape, directives: shape.directives + (fragment.directives?.length ?? 0) };
    memo.set(key, withOwn);
    return withOwn;
  }

  /** `pending`: the page size of the connection field whose selection this is. */
  function measureSet(set: SelectionSetNode, parent: GraphQLNamedType | undefined, pending: number | undefined): SetShape {
    const total: SetShape = { ...EMPTY };
    const add = (inner: SetShape, depthOffset: number, costFactor: number) => {
      total.depth = Math.max(total.depth, inner.depth + depthOffset);
      total.fields += inner.fields;
      total.aliases += inner.aliases;
      total.directives += inner.directives;
      total.cost += times(costFactor, inner.cost);
      total.introspection ||= inner.introspection;
    };
    for (const selection of set.selections) {
      total.directives += selection.directives?.length ?? 0;
      if (selection.kind === Kind.FRAGMENT_SPREAD || selection.kind === Kind.INLINE_FRAGMENT) {
        const inner =
          selection.kind === Kind.FRAGMENT_SPREAD
            ? measureFragment(selection.name.value, pending)
            : measureSet(selection.selectionSet, selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent, pending);
        add(inner, 0, 1);
        total.width += inner.width;
        continue;
      }
      const name = selection.name.value;
      total.fields += 1;
      total.width += 1;
      if (selection.alias) total.aliases += 1;
      total.depth = Math.max(total.depth, 1);
      if (name === TypeNameMetaFieldDef.name) continue;
      const def = fieldDefinition(parent, name);
      if (name === SchemaMetaFieldDef.name || name === TypeMetaFieldDef.name) total.introspection = true;
      const page = pageSize(selection, def);
      const lists = def ? listDepth(def.type) : 0;
      const instances = lists > 0 ? (page ?? pending ?? assumedListSize) ** lists : 1;
      const type = def ? getNamedType(def.type) : undefined;
      const returnsObject = type ? isCompositeType(type) : !!selection.selectionSet;
      if (returnsObject) total.cost += instances;
      if (selection.selectionSet) add(measureSet(selection.selectionSet, type, lists > 0 ? undefined : page), 1, instances);
    }
    return total;
  }

  const rootType = operation.operation === 'query' ? schema.getQueryType() : operation.operation === 'mutation' ? schema.getMutationType() : schema.getSubscriptionType();
  const shape = measureSet(operation.selectionSet, rootType ?? undefined, undefined);
  return {
    depth: shape.depth,
    fields: shape.fields,
    aliases: shape.aliases,
    directives: shape.directives + (operation.directives?.length ?? 0),
    rootFields: shape.width,
    cost: shape.cost,
    introspection: shape.introspection,
  };
}

const isGraphQLInt = (value: unknown): value is number => Number.isInteger(value) && Math.abs(value as number) <= 2 ** 31 - 1;

function fieldDefinition(parent: GraphQLNamedType | undefined, name: string): GraphQLField<unknown, unknown> | undefined {
  if (name === SchemaMetaFieldDef.name) return SchemaMetaFieldDef;
  if (name === TypeMetaFieldDef.name) return TypeMetaFieldDef;
  return isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[name] : undefined;
}

function listDepth(type: GraphQLOutputType): number {
  let lists = 0;
  for (let t: GraphQLOutputType = type; ; ) {
    if (isNonNullType(t)) t = t.ofType;
    else if (isListType(t)) {
      lists += 1;
      t = t.ofType;
    } else return lists;
  }
}
