// `auditEvents` (security reviewers): every bank's decision records, or only the bank the filter
// names (by bank, or by a consent, whose id names its bank), merged newest first and cut to `first`.
// The router adds two aliased fields to sort by, and takes them out again.
import type { FieldNode, OperationDefinitionNode } from 'graphql';
import { bankOfId } from '@consent-gateway/kit/ids';
import type { BankRegistry } from '../bank-registry.ts';
import type { BankCalls, RouterContext, SubgraphResult } from './calls.ts';
import { errorsUnder, mergeParts, pathless, type FieldPart, type ListItem } from './merge.ts';
import { argumentValue, responseKey, subOperation, withExtraFields, type Fragments, type Variables } from './operation.ts';

const SORT_AT = 'cgRouterSortAt';
const SORT_ID = 'cgRouterSortId';

/** `auditEvents`: every bank (or the one the filter names), newest first, cut to `first`. */
export async function routeAuditEvents(bankCalls: BankCalls, operation: OperationDefinitionNode, field: FieldNode, variables: Variables, context: RouterContext, fragments: Fragments, registry: BankRegistry): Promise<SubgraphResult> {
  const key = responseKey(field);
  // A filter that names a bank, or a consent (whose id names its bank), needs that bank only.
  const filter = argumentValue(field, 'filter', variables) as { bankId?: unknown; consentId?: unknown } | undefined;
  const filterBank = filter?.bankId ? registry.get(filter.bankId) : registry.get(bankOfId(filter?.consentId));
  const banks = filterBank ? [filterBank] : registry.banks;
  const first = Number(argumentValue(field, 'first', variables) ?? 100);
  const sub = subOperation(operation, [withExtraFields(field, { [SORT_AT]: 'at', [SORT_ID]: 'id' })], fragments, variables);
  const outcomes = await bankCalls.each(banks, (bank) => ({ bank, request: { ...sub, operationName: operation.name?.value } }), context);
  const parts: FieldPart[] = banks.map((bank, n) => {
    const o = outcomes[n]!;
    return { bank, failure: o.failure, value: o.result?.data?.[key], errors: errorsUnder(o.result?.errors, [key]) };
  });
  const newestFirst = (items: ListItem[]) => {
    const sortKey = (i: ListItem) => i.value as Record<string, string>;
    return [...items].sort((a, b) => sortKey(b)[SORT_AT]!.localeCompare(sortKey(a)[SORT_AT]!) || sortKey(a)[SORT_ID]!.localeCompare(sortKey(b)[SORT_ID]!)).slice(0, first);
  };
  const merged = mergeParts(parts, [key], newestFirst);
  const value = Array.isArray(merged.value)
    ? merged.value.map((item) => {
        const { [SORT_AT]: _at, [SORT_ID]: _id, ...rest } = item as Record<string, unknown>;
        return rest;
      })
    : merged.value;
  const errors = [...merged.errors, ...banks.flatMap((bank, n) => pathless(outcomes[n]!.result?.errors, bank))];
  return { data: { [key]: value }, errors };
}
