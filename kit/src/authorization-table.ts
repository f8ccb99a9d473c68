// The authorization map of a subgraph as a table a security reviewer reads: every field of every
// object type, and the rule that opens it. Generated from the permission maps themselves, checked
// in (schema/authorization.md), and a test fails when it is stale, so every change shows in review.
import { isObjectType, type GraphQLSchema } from 'graphql';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { directEvaluation } from './rules.ts';
import { allow, deny } from './shield.ts';
import type { PermissionMap, SubgraphDefinition } from './create-subgraph.ts';
import type { KitContext } from './context.ts';

export interface TableRow {
  type: string;
  field: string;
  rule: string;
  /** `@inaccessible`: not in the graph's public API, so no client's operation reaches it. */
  hidden: boolean;
  /** The rule records its decisions (a protected rule, rules.ts): its name appears in decision records. */
  recorded: boolean;
}

const FEDERATION_FIELDS = new Set(['Query._service', 'Query._entities']);
/** The rule column of a field no rule covers (deny by default decides it). */
export const NO_RULE = 'NO RULE (denied by default)';

function ruleName(rule: unknown): string {
  if (rule === allow) return 'allow';
  if (rule === deny) return 'deny';
  return (rule as { name?: string }).name ?? 'unnamed rule';
}

function isFieldMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}

/** The rule object for one field: field-level, else type-level (`'*'` or a rule on the type), else none. */
function ruleAt(permissions: PermissionMap, type: string, field: string): unknown {
  const entry = (permissions as Record<string, unknown>)[type];
  if (entry === undefined) return undefined;
  if (!isFieldMap(entry)) return entry;
  if (field in entry) return entry[field];
  if ('*' in entry) return entry['*'];
  return undefined;
}

/** The name of the rule for one field (see ruleAt), or undefined when none covers it. */
export function ruleFor(permissions: PermissionMap, type: string, field: string): string | undefined {
  const rule = ruleAt(permissions, type, field);
  return rule === undefined ? undefined : ruleName(rule);
}

export function authorizationTable(def: Pick<SubgraphDefinition<KitContext & any>, 'typeDefs' | 'permissions'>): TableRow[] {
  const schema: GraphQLSchema = buildSubgraphSchema({ typeDefs: def.typeDefs });
  const rows: TableRow[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__') || type.name === '_Service') continue;
    for (const [field, definition] of Object.entries(type.getFields())) {
      const coordinate = `${type.name}.${field}`;
      if (FEDERATION_FIELDS.has(coordinate)) continue;
      const hidden = Boolean(definition.astNode?.directives?.some((d) => d.name.value === 'inaccessible'));
      const rule = ruleAt(def.permissions, type.name, field);
      rows.push({ type: type.name, field, rule: rule === undefined ? NO_RULE : ruleName(rule), hidden, recorded: directEvaluation(rule) !== undefined });
    }
  }
  return rows.sort((a, b) => a.type.localeCompare(b.type) || a.field.localeCompare(b.field));
}

/** How many fields of a table have an explicit rule. */
export function coverage(rows: readonly TableRow[]): { ruled: number; total: number; percent: number } {
  const ruled = rows.filter((r) => r.rule !== NO_RULE).length;
  return { ruled, total: rows.length, percent: rows.length ? Math.floor((ruled * 100) / rows.length) : 100 };
}
