// Reading the operations the query planner sends to the bank subgraph: which root fields they
// select (fragments and @skip/@include resolved), with which argument values, and building a
// smaller operation that selects only some of them, with only the fragments and variables those use.
import {
  Kind,
  parse,
  print,
  valueFromASTUntyped,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionNode,
  type SelectionSetNode,
} from 'graphql';

export type Variables = Record<string, unknown>;
export type Fragments = ReadonlyMap<string, FragmentDefinitionNode>;

export interface ParsedOperation {
  operation: OperationDefinitionNode;
  fragments: Fragments;
}

/** Parses each distinct query string once; the planner sends the same few operations over and over. */
export class OperationCache {
  private readonly entries = new Map<string, ParsedOperation>();
  constructor(private readonly max = 500) {}

  get(query: string, operationName?: string | null): ParsedOperation {
    const key = `${operationName ?? ''}\n${query}`;
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key); // most recently used last
      this.entries.set(key, hit);
      return hit;
    }
    const parsed = parseOperation(parse(query), operationName);
    this.entries.set(key, parsed);
    if (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value!);
    return parsed;
  }
}

export function parseOperation(document: DocumentNode, operationName?: string | null): ParsedOperation {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const operation = operationName ? operations.find((o) => o.name?.value === operationName) : operations.length === 1 ? operations[0] : undefined;
  if (!operation) throw new Error(`no operation ${operationName ?? ''} to route`);
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  return { operation, fragments };
}

/**
 * The request's variables with the defaults the operation declares for those it was not given:
 * what GraphQL itself executes with. Every decision made on argument values (routing by bank,
 * checking references, @skip/@include) must see them, or a default is a way around it.
 */
export function withDefaults(operation: OperationDefinitionNode, variables: Variables): Variables {
  const defaults = (operation.variableDefinitions ?? []).filter((d) => d.defaultValue && !Object.hasOwn(variables, d.variable.name.value));
  if (defaults.length === 0) return variables;
  return { ...variables, ...Object.fromEntries(defaults.map((d) => [d.variable.name.value, valueFromASTUntyped(d.defaultValue!, {})])) };
}

/** @skip / @include, evaluated with the request's variables. */
export function isIncluded(node: SelectionNode, variables: Variables): boolean {
  for (const directive of node.directives ?? []) {
    const name = directive.name.value;
    if (name !== 'skip' && name !== 'include') continue;
    const arg = directive.arguments?.find((a) => a.name.value === 'if');
    const value = arg ? valueFromASTUntyped(arg.value, variables) === true : false;
    if (name === 'skip' && value) return false;
    if (name === 'include' && !value) return false;
  }
  return true;
}

export const responseKey = (field: FieldNode) => field.alias?.value ?? field.name.value;

/**
 * The fields a selection set selects on an object of type `typename`, fragments expanded
 * (those on another type skipped), in order; a response key selected twice appears once.
 */
export function collectFields(set: SelectionSetNode | undefined, typename: string | undefined, fragments: Fragments, variables: Variables): FieldNode[] {
  const out: FieldNode[] = [];
  const seen = new Set<string>();
  const visit = (selections: readonly SelectionNode[]) => {
    for (const selection of selections) {
      if (!isIncluded(selection, variables)) continue;
      if (selection.kind === Kind.FIELD) {
        const key = responseKey(selection);
        if (!seen.has(key)) (seen.add(key), out.push(selection));
        continue;
      }
      const fragment = selection.kind === Kind.INLINE_FRAGMENT ? selection : fragments.get(selection.name.value);
      const condition = fragment?.typeCondition?.name.value;
      if (fragment && (!condition || !typename || condition === typename)) visit(fragment.selectionSet.selections);
    }
  };
  if (set) visit(set.selections);
  return out;
}

export function argumentValue(field: FieldNode, name: string, variables: Variables): unknown {
  const arg = field.arguments?.find((a) => a.name.value === name);
  return arg ? valueFromASTUntyped(arg.value, variables) : undefined;
}

/** A plain object projected through a selection set on `typename` (aliases, __typename, fragments). */
export function project(set: SelectionSetNode | undefined, typename: string, source: Record<string, unknown>, fragments: Fragments, variables: Variables): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of collectFields(set, typename, fragments, variables)) {
    out[responseKey(field)] = field.name.value === '__typename' ? typename : (source[field.name.value] ?? null);
  }
  return out;
}

function variablesAndFragments(nodes: readonly FieldNode[], fragments: Fragments) {
  const variableNames = new Set<string>();
  const fragmentNames = new Set<string>();
  const walk = (node: unknown): void => {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) return node.forEach(walk);
    const n = node as { kind?: string; name?: { value: string } };
    if (n.kind === Kind.VARIABLE) variableNames.add(n.name!.value);
    if (n.kind === Kind.FRAGMENT_SPREAD && !fragmentNames.has(n.name!.value)) {
      fragmentNames.add(n.name!.value);
      walk(fragments.get(n.name!.value));
    }
    for (const [key, value] of Object.entries(node)) if (key !== 'loc') walk(value);
  };
  walk(nodes);
  return { variableNames, fragmentNames };
}

/** An operation like `operation` that selects `fields` only, with the fragments and variables they use. */
export function subOperation(operation: OperationDefinitionNode, fields: readonly FieldNode[], fragments: Fragments, variables: Variables): { query: string; variables: Variables } {
  const { variableNames, fragmentNames } = variablesAndFragments(fields, fragments);
  const op: OperationDefinitionNode = {
    ...operation,
    variableDefinitions: operation.variableDefinitions?.filter((d) => variableNames.has(d.variable.name.value)),
    selectionSet: { kind: Kind.SELECTION_SET, selections: fields },
  };
  const document: DocumentNode = { kind: Kind.DOCUMENT, definitions: [op, ...[...fragmentNames].map((n) => fragments.get(n)!).filter(Boolean)] };
  const used = Object.fromEntries(Object.entries(variables).filter(([name]) => variableNames.has(name)));
  return { query: print(document), variables: used };
}
