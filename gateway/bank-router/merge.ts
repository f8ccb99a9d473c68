// Putting banks' answers together: a field several banks answered (a User's accounts at each of
// their banks) becomes one value, with every error at the right path.
// Lists are concatenated in bank-id order, and an error inside an
// item moves with the item. A bank that denied contributes nothing when another bank answered; when
// every bank denied, the most useful reason is shown once. A bank that failed adds an error naming it.
import type { GraphQLFormattedError } from 'graphql';
import { BANK_SUBGRAPH, mostUsefulReason } from '@consent-gateway/kit/bank-policy';
import type { Reason } from '@consent-gateway/kit/reasons';
import type { RegisteredBank } from '../bank-registry.ts';

export type Path = ReadonlyArray<string | number>;

/** Why a bank call brought nothing back: down, refused, or too slow. */
export class BankCallError extends Error {
  constructor(
    readonly code: 'SUBGRAPH_UNAVAILABLE' | 'SUBGRAPH_TIMEOUT',
    detail: string,
  ) {
    super(detail);
  }
}

/** The client's view of a failed bank call: which bank, at which path; no address, no cause. */
export function failureError(failure: BankCallError, bank: RegisteredBank, path: Path | undefined): GraphQLFormattedError {
  const what = failure.code === 'SUBGRAPH_TIMEOUT' ? 'did not answer in time' : 'is unavailable';
  return {
    message: `Bank "${bank.name}" (${bank.id}) ${what}; its data is missing from this response.`,
    ...(path ? { path } : {}),
    extensions: { code: failure.code, service: BANK_SUBGRAPH, bank: bank.id },
  };
}

export const at = (error: GraphQLFormattedError, path: Path): GraphQLFormattedError => ({ ...error, path: [...path] });

/** Errors whose path starts with `prefix`, with their paths made relative to it. */
export function errorsUnder(errors: readonly GraphQLFormattedError[] | undefined, prefix: Path): GraphQLFormattedError[] {
  return (errors ?? [])
    .filter((e) => e.path && prefix.every((p, i) => e.path![i] === p))
    .map((e) => ({ ...e, path: e.path!.slice(prefix.length) }));
}

/** A bank's error that names no path: kept, with the bank it came from. */
export function pathless(errors: readonly GraphQLFormattedError[] | undefined, bank: RegisteredBank): GraphQLFormattedError[] {
  return (errors ?? []).filter((e) => !e.path).map((e) => ({ ...e, extensions: { ...e.extensions, service: BANK_SUBGRAPH, bank: bank.id } }));
}

export function dedupe(errors: GraphQLFormattedError[]): GraphQLFormattedError[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    const key = JSON.stringify([e.message, e.path, e.extensions?.code, e.extensions?.bank]);
    return seen.has(key) ? false : (seen.add(key), true);
  });
}

/** One bank's answer for one field: its value and its errors (paths relative to the field), or its failure. */
export interface FieldPart {
  bank: RegisteredBank;
  value?: unknown;
  errors: GraphQLFormattedError[];
  failure?: BankCallError;
}

interface ListItem {
  part: number;
  index: number;
  value: unknown;
}

const isDenial = (e: GraphQLFormattedError) => e.path?.length === 0 && e.extensions?.code === 'FORBIDDEN';

/** The field at `path` from the parts of several banks (lists concatenated in the order given). */
export function mergeParts(parts: readonly FieldPart[], path: Path): { value: unknown; errors: GraphQLFormattedError[] } {
  const errors: GraphQLFormattedError[] = [];
  const denials: GraphQLFormattedError[] = [];
  const items: ListItem[] = [];
  let lists = false;
  let single: { part: number; value: unknown } | undefined;
  parts.forEach((part, p) => {
    if (part.failure) return void errors.push(failureError(part.failure, part.bank, path));
    if (Array.isArray(part.value)) {
      lists = true;
      part.value.forEach((value, index) => items.push({ part: p, index, value }));
    } else if (part.value != null && !single) single = { part: p, value: part.value };
    for (const e of part.errors) if (e.path!.length === 0) (part.value == null && isDenial(e) ? denials : errors).push(at(e, path));
  });
  const inner = (p: number) => parts[p]!.errors.filter((e) => e.path!.length > 0);
  if (lists) {
    const position = new Map(items.map((item, n) => [`${item.part}|${item.index}`, n]));
    parts.forEach((_part, p) => {
      for (const e of inner(p)) {
        const n = position.get(`${p}|${e.path![0]}`);
        if (n !== undefined) errors.push(at(e, [...path, n, ...e.path!.slice(1)]));
      }
    });
    return { value: items.map((i) => i.value), errors: dedupe(errors) };
  }
  if (single) {
    for (const e of inner(single.part)) errors.push(at(e, [...path, ...e.path!]));
    return { value: single.value, errors: dedupe(errors) };
  }
  // Nobody answered: show the denial closest to being allowed (once), and every failure.
  const best = mostUsefulReason(denials.map((d) => d.extensions!.reason as Reason));
  const denial = denials.find((d) => d.extensions!.reason === best);
  return { value: null, errors: dedupe([...(denial ? [denial] : []), ...errors]) };
}
