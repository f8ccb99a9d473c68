// What an operation asks for, measured in one pass over the document before anything is planned
// or fetched: each fragment is measured once per page-size context and its figures reused at
// every spread, so nested fragments that double at each level cost linear time, not 2^n.
//
// Cost is the number of objects the operation may return. A field that returns an object costs
// one per instance of its parent; a list multiplies what is below it by its size: its own
// `first` (or `last`) argument, else the page size of the connection field right above it
// (`transactions(first: 5) { edges { … } }`: five edges), else `assumedListSize`. A page-size
// argument is read from the literal, else the variable's value, else the operation's default for
// that variable, else the schema's default; one outside the field's allowed range is reported
// (`pageSizeProblems`), never measured as something else. A field may weigh more than one per
// object where its subgraph reads more than it returns (`weights`, see gateway/graph-costs.ts).
// Introspection is measured like any other selection, its lists at the sizes of the schema
// itself (see `introspectionSizes`). Leaves cost nothing here: their number is bounded by the
// field limit.
import {
  Kind,
  SchemaMetaFieldDef,
  TypeMetaFieldDef,
  TypeNameMetaFieldDef,
  getNamedType,
  isAbstractType,
  isCompositeType,
  isEnumType,
  isInputObjectType,
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
  /** Page sizes outside their field's range, each once. */
  pageSizeProblems: PageSizeProblem[];
}

/** A page-size argument outside the range its field allows: `first: -1` on `BankAccount.transactions`. */
export interface PageSizeProblem {
  /** `Type.field` */
  field: string;
  argument: string;
  value: number;
  min: number;
  max: number;
}

/** The page sizes a field accepts (both ends included). */
export interface PageSizeRange {
  min: number;
  max: number;
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
  /** Page-size ranges by `Type.field`; a page-size argument of any other field must not be negative. */
  pageSizes?: Readonly<Record<string, PageSizeRange>>;
  /** What one object of a field costs, by `Type.field` (default 1). */
  weights?: Readonly<Record<string, number>>;
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
  const result: OperationShape = { depth: 0, fields: 0, aliases: 0, directives: 0, rootFields: 0, cost: 0, introspection: false, pageSizeProblems: [] };
  const problems = new Map<string, PageSizeProblem>();
  for (const def of document.definitions) {
    if (def.kind !== Kind.OPERATION_DEFINITION) continue;
    const shape = measureOperation(def, fragments, options);
    for (const key of ['depth', 'fields', 'aliases', 'directives', 'rootFields', 'cost'] as const) result[key] = Math.max(result[key], shape[key]);
    result.introspection ||= shape.introspection;
    for (const p of shape.pageSizeProblems) problems.set(`${p.field}\u0000${p.argument}\u0000${p.value}`, p);
  }
  result.pageSizeProblems = [...problems.values()];
  return result;
}

function measureOperation(operation: OperationDefinitionNode, fragments: Map<string, FragmentDefinitionNode>, options: MeasureOptions): OperationShape {
  const { schema, assumedListSize, pageSizes = {}, weights = {} } = options;
  const variables = options.variables ?? {};
  const variableDefaults = new Map(operation.variableDefinitions?.map((v) => [v.variable.name.value, v.defaultValue]) ?? []);
  const memo = new Map<string, SetShape | 'measuring'>();
  const problems = new Map<string, PageSizeProblem>();
  const introspection = introspectionSizes(schema);

  /** A page size as given; a value that is no GraphQL Int is left to validation, which refuses it by name. */
  function intValue(node: ValueNode): number | undefined {
    if (node.kind === Kind.INT) return isGraphQLInt(Number(node.value)) ? Number(node.value) : undefined;
    if (node.kind !== Kind.VARIABLE) return undefined;
    // A variable that is given is taken as given (null included: the subgraph then gets null).
    if (Object.hasOwn(variables, node.name.value)) {
      const value = variables[node.name.value];
      return isGraphQLInt(value) ? value : undefined;
    }
    const fallback = variableDefaults.get(node.name.value);
    return fallback ? intValue(fallback) : undefined;
  }

  /** The field's page size; a size outside the field's range is recorded as a problem (and measured as 0 at least). */
  function pageSize(field: FieldNode, def: GraphQLField<unknown, unknown> | undefined, coordinate: string): number | undefined {
    for (const name of PAGE_ARGUMENTS) {
      const arg = def?.args.find((a) => a.name === name);
      if (!arg) continue; // an argument the field does not have: validation names it
      const given = field.arguments?.find((a) => a.name.value === name);
      const value = (given && intValue(given.value)) ?? arg.defaultValue;
      if (!Number.isInteger(value)) continue;
      const range = pageSizes[coordinate] ?? ANY_PAGE_SIZE;
      if ((value as number) < range.min || (value as number) > range.max) {
        problems.set(`${coordinate}\u0000${name}\u0000${value}`, { field: coordinate, argument: name, value: value as number, ...range });
      }
      return Math.max(0, value as number);
    }
    return undefined;
  }

  function measureFragment(name: string, pending: number | undefined, census: boolean): SetShape {
    const fragment = fragments.get(name);
    if (!fragment) return EMPTY; // validation reports the unknown fragment
    const key = `${name}\u0000${pending ?? ''}\u0000${census}`;
    const known = memo.get(key);
    if (known === 'measuring') throw new FragmentCycleError(name);
    if (known) return known;
    memo.set(key, 'measuring');
    const shape = measureSet(fragment.selectionSet, schema.getType(fragment.typeCondition.name.value), pending, census);
    const withOwn = { ...shape, directives: shape.directives + (fragment.directives?.length ?? 0) };
    memo.set(key, withOwn);
    return withOwn;
  }

  /**
   * `pending`: the page size of the connection field whose selection this is. `census`: this
   * selection is of every object of its kind in the schema (`__schema { types { fields … } }`),
   * so its introspection lists are as long as their mean; elsewhere (`__type(name:)`, a field's
   * `type`) one object may be the largest of its kind, so they are as long as the longest.
   */
  function measureSet(set: SelectionSetNode, parent: GraphQLNamedType | undefined, pending: number | undefined, census: boolean): SetShape {
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
            ? measureFragment(selection.name.value, pending, census)
            : measureSet(selection.selectionSet, selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent, pending, census);
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
      const coordinate = `${parent?.name ?? '?'}.${name}`;
      const page = pageSize(selection, def, coordinate);
      const lists = def ? listDepth(def.type) : 0;
      const known = introspection.get(coordinate);
      const size = known ? (census ? known.mean : known.max) : (page ?? pending ?? assumedListSize);
      const instances = lists > 0 ? size ** lists : 1;
      const type = def ? getNamedType(def.type) : undefined;
      const returnsObject = type ? isCompositeType(type) : !!selection.selectionSet;
      if (returnsObject) total.cost += times(instances, weights[coordinate] ?? 1);
      const inner = name === SchemaMetaFieldDef.name || (census && CENSUS_LISTS.has(coordinate));
      if (selection.selectionSet) add(measureSet(selection.selectionSet, type, lists > 0 ? undefined : page, inner), 1, instances);
    }
    return total;
  }

  const rootType = operation.operation === 'query' ? schema.getQueryType() : operation.operation === 'mutation' ? schema.getMutationType() : schema.getSubscriptionType();
  const shape = measureSet(operation.selectionSet, rootType ?? undefined, undefined, false);
  return {
    depth: shape.depth,
    fields: shape.fields,
    aliases: shape.aliases,
    directives: shape.directives + (operation.directives?.length ?? 0),
    rootFields: shape.width,
    // Means make fractions (53 types × 187/53 fields each); a hair of float error is no object.
    cost: Math.ceil(shape.cost - 1e-6),
    introspection: shape.introspection,
    pageSizeProblems: [...problems.values()],
  };
}

/** Any page size that is not negative, for a page-size argument of a field without a range of its own. */
const ANY_PAGE_SIZE: PageSizeRange = { min: 0, max: 2 ** 31 - 1 };

/**
 * Introspection lists whose items, reached from a census, are again every object of their kind:
 * `__schema { types }` lists every type, each type's `fields` together are every field, their
 * `args` every argument. The product of the mean sizes along such a path is then the exact
 * number of objects the answer holds. (`interfaces` and `possibleTypes` are counted at their mean
 * too, but the types they list are a few chosen ones, so below them the longest counts.)
 */
const CENSUS_LISTS = new Set(['__Schema.types', '__Schema.directives', '__Type.fields', '__Type.inputFields', '__Type.enumValues', '__Field.args', '__Directive.args']);

interface ListSize {
  /** Items per object of the parent's kind, over every object of that kind in the schema. */
  mean: number;
  /** Items of the parent object that has the most. */
  max: number;
}

const introspectionCache = new WeakMap<GraphQLSchema, Map<string, ListSize>>();

/**
 * How long each introspection list of this schema is: introspection answers with the schema
 * itself, so its size is known, not assumed (a 10 for `__schema { types }` would underprice an
 * answer of every type, field and description several times over). Deprecated fields and values
 * are counted in (`includeDeprecated: true` shows them). Computed once per schema.
 */
export function introspectionSizes(schema: GraphQLSchema): Map<string, ListSize> {
  const cached = introspectionCache.get(schema);
  if (cached) return cached;
  const types = Object.values(schema.getTypeMap());
  const directives = schema.getDirectives();
  const fields = types.flatMap((t) => (isObjectType(t) || isInterfaceType(t) ? Object.values(t.getFields()) : []));
  const sizes = new Map<string, ListSize>();
  const list = <T>(coordinate: string, parents: readonly T[], count: (parent: T) => number) => {
    const counts = parents.map(count);
    const total = counts.reduce((sum, n) => sum + n, 0);
    sizes.set(coordinate, { mean: parents.length ? total / parents.length : 0, max: Math.max(0, ...counts) });
  };
  list('__Schema.types', [schema], () => types.length);
  list('__Schema.directives', [schema], () => directives.length);
  list('__Type.fields', types, (t) => (isObjectType(t) || isInterfaceType(t) ? Object.keys(t.getFields()).length : 0));
  list('__Type.inputFields', types, (t) => (isInputObjectType(t) ? Object.keys(t.getFields()).length : 0));
  list('__Type.enumValues', types, (t) => (isEnumType(t) ? t.getValues().length : 0));
  list('__Type.interfaces', types, (t) => (isObjectType(t) || isInterfaceType(t) ? t.getInterfaces().length : 0));
  list('__Type.possibleTypes', types, (t) => (isAbstractType(t) ? schema.getPossibleTypes(t).length : 0));
  list('__Field.args', fields, (f) => f.args.length);
  list('__Directive.args', directives, (d) => d.args.length);
  introspectionCache.set(schema, sizes);
  return sizes;
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
