// Operation limits, checked at validation (before anything is planned or fetched): nesting depth
// and the number of fields an operation selects, fragments expanded. Introspection fields are
// not counted so that tooling keeps working.
import { GraphQLError, Kind, type FragmentDefinitionNode, type SelectionSetNode, type ValidationRule } from 'graphql';

interface Measure {
  depth: number;
  fields: number;
}

function measure(set: SelectionSetNode, fragments: Map<string, FragmentDefinitionNode>, seen: Set<string>): Measure {
  let depth = 0;
  let fields = 0;
  for (const selection of set.selections) {
    if (selection.kind === Kind.FIELD) {
      if (selection.name.value.startsWith('__')) continue;
      fields += 1;
      if (selection.selectionSet) {
        const inner = measure(selection.selectionSet, fragments, seen);
        depth = Math.max(depth, inner.depth + 1);
        fields += inner.fields;
      } else depth = Math.max(depth, 1);
      continue;
    }
    let inner: SelectionSetNode | undefined;
    if (selection.kind === Kind.INLINE_FRAGMENT) inner = selection.selectionSet;
    else if (!seen.has(selection.name.value)) inner = fragments.get(selection.name.value)?.selectionSet;
    if (!inner) continue;
    const nextSeen = selection.kind === Kind.FRAGMENT_SPREAD ? new Set([...seen, selection.name.value]) : seen;
    const m = measure(inner, fragments, nextSeen);
    depth = Math.max(depth, m.depth);
    fields += m.fields;
  }
  return { depth, fields };
}

export function operationLimits(limits: { maxDepth: number; maxFields: number }): ValidationRule {
  return (context) => {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const def of context.getDocument().definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
    return {
      OperationDefinition(node) {
        const { depth, fields } = measure(node.selectionSet, fragments, new Set());
        if (depth > limits.maxDepth) {
          context.reportError(new GraphQLError(`Operation is too deep: ${depth} levels, the limit is ${limits.maxDepth}.`, { nodes: [node] }));
        }
        if (fields > limits.maxFields) {
          context.reportError(new GraphQLError(`Operation selects too many fields: ${fields}, the limit is ${limits.maxFields}.`, { nodes: [node] }));
        }
      },
    };
  };
}
