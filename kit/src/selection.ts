// What the query asks of the field being resolved, read from its selection: resolvers that read
// only what is asked (a page's detail fields, a referenced row's amount, the profile's directory).
import { Kind, type FieldNode, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';

/**
 * The fields selected under `path` (through fragments), by name; directives aside (at worst, a
 * skipped field counts). With `type`, fragments on another type are left out at the top (the
 * `_entities` of several types).
 */
export function selectedUnder(info: GraphQLResolveInfo, path: readonly string[], type?: string): Set<string> {
  const names = new Set<string>();
  const otherType = (condition: { name: { value: string } } | undefined, depth: number) => depth === 0 && !!type && !!condition && condition.name.value !== type;
  const walk = (set: SelectionSetNode | undefined, depth: number, seen: Set<string>) => {
    for (const selection of set?.selections ?? []) {
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        if (!otherType(selection.typeCondition, depth)) walk(selection.selectionSet, depth, seen);
      } else if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = info.fragments[selection.name.value];
        if (seen.has(selection.name.value) || otherType(fragment?.typeCondition, depth)) continue;
        walk(fragment?.selectionSet, depth, new Set(seen).add(selection.name.value));
      } else if (depth === path.length) names.add(selection.name.value);
      else if (selection.name.value === path[depth]) walk((selection as FieldNode).selectionSet, depth + 1, seen);
    }
  };
  for (const node of info.fieldNodes) walk(node.selectionSet, 0, new Set());
  return names;
}
