// Operation limits: which measured figure exceeds which configured limit. Every exceeded limit is
// reported (a 100-alias page query is refused for its cost and its aliases at once), each with a
// stable code and the figure against the limit, in the message and in `extensions`.
import type { ErrorDetail } from '@consent-gateway/kit/http';
import type { CallerKind, OperationLimits } from './config.ts';
import type { OperationShape } from './operation-shape.ts';

export const LIMIT_CODES = {
  tokens: 'TOKEN_LIMIT_EXCEEDED',
  nesting: 'NESTING_LIMIT_EXCEEDED',
  depth: 'DEPTH_LIMIT_EXCEEDED',
  fields: 'FIELD_LIMIT_EXCEEDED',
  aliases: 'ALIAS_LIMIT_EXCEEDED',
  directives: 'DIRECTIVE_LIMIT_EXCEEDED',
  rootFields: 'ROOT_FIELD_LIMIT_EXCEEDED',
  cost: 'COST_LIMIT_EXCEEDED',
} as const;

export type LimitName = keyof typeof LIMIT_CODES;

const WHAT: Record<LimitName, string> = {
  tokens: 'The document has too many tokens',
  nesting: 'The document is nested too deeply',
  depth: 'The operation is too deep',
  fields: 'The operation selects too many fields',
  aliases: 'The operation has too many aliases',
  directives: 'The operation has too many directives',
  rootFields: 'The operation selects too many root fields',
  cost: 'The operation costs too much',
};

const UNIT: Partial<Record<LimitName, string>> = { depth: ' levels', nesting: ' levels' };

export function limitExceeded(limit: LimitName, measured: number, max: number, note = ''): ErrorDetail {
  const figure = Number.isFinite(measured) ? `${measured}${UNIT[limit] ?? ''}` : 'more than can be counted';
  return {
    message: `${WHAT[limit]}: ${figure}, the limit is ${max}${note}.`,
    code: LIMIT_CODES[limit],
    extensions: { measured: Number.isFinite(measured) ? measured : null, limit: max },
  };
}

/** The limits an operation's shape exceeds, for a caller of this kind (cost limits differ by kind). */
export function exceededLimits(shape: OperationShape, limits: OperationLimits, caller: CallerKind): ErrorDetail[] {
  // Cost first: it is the limit that says what the operation would cost the subgraphs.
  const checks: Array<[LimitName, number, number, string?]> = [
    ['cost', shape.cost, limits.maxCost[caller], ` for ${caller === 'anonymous' ? 'anonymous callers' : `${caller} clients`}`],
    ['depth', shape.depth, limits.maxDepth],
    ['fields', shape.fields, limits.maxFields],
    ['aliases', shape.aliases, limits.maxAliases],
    ['directives', shape.directives, limits.maxDirectives],
    ['rootFields', shape.rootFields, limits.maxRootFields],
  ];
  return checks.filter(([, measured, max]) => measured > max).map(([name, measured, max, note]) => limitExceeded(name, measured, max, note));
}
