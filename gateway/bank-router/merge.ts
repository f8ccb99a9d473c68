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

/**
 * The codes of a bank's errors that are meant for the client (the kit's own: a denial, a bad
 * argument, a missing object); their message is the bank's. Any other error is the bank's own
 * fault (or the gateway's request to it): its message becomes one naming the bank, its code
 * INTERNAL_SERVER_ERROR, so no internal detail (a host, a connection string) reaches a client.
 */
export const BANK_CLIENT_CODES: ReadonlySet<string> = new Set(['FORBIDDEN', 'BAD_USER_INPUT', 'NOT_FOUND']);
const MAX_BANK_MESSAGE = 1_000;
/** An address in a message (a URI, credentials and all): a client never needs a bank's. */
const URI = /\b[a-z][a-z0-9+.-]*:\/\/\S*/gi;
const isStrings = (value: unknown): value is string[] => Array.isArray(value) && value.every((v) => typeof v === 'string');

/**
 * One error of a bank's answer as it enters the gateway, rebuilt: its message (any address in it
 * removed; for a code not meant for clients, one naming the bank instead), its path, and only the
 * extension keys the kit's errors carry (code, reason, argument, allowed, problems). Never `http`
 * (Apollo Server would answer with the bank's status), `exception` or `stacktrace`, nor its
 * locations (they point into the gateway's request to it).
 */
export function fromBank(error: unknown, bank: RegisteredBank): GraphQLFormattedError {
  const e = (typeof error === 'object' && error !== null ? error : {}) as { message?: unknown; path?: unknown; extensions?: Record<string, unknown> | null };
  const ext = typeof e.extensions === 'object' && e.extensions !== null ? e.extensions : {};
  const path = Array.isArray(e.path) && e.path.every((p) => typeof p === 'string' || (typeof p === 'number' && Number.isInteger(p))) ? { path: e.path as Array<string | number> } : {};
  const code = typeof ext.code === 'string' ? ext.code : undefined;
  if (!code || !BANK_CLIENT_CODES.has(code) || typeof e.message !== 'string') {
    return {
      message: `Bank "${bank.name}" (${bank.id}) could not answer this; its data is missing from this response.`,
      ...path,
      extensions: { code: 'INTERNAL_SERVER_ERROR', service: BANK_SUBGRAPH, bank: bank.id },
    };
  }
  const extensions: Record<string, unknown> = { code };
  if (typeof ext.reason === 'string') extensions.reason = ext.reason;
  if (typeof ext.argument === 'string') extensions.argument = ext.argument;
  if (isStrings(ext.allowed)) extensions.allowed = ext.allowed;
  if (isStrings(ext.problems)) extensions.problems = ext.problems;
  return { message: e.message.slice(0, MAX_BANK_MESSAGE).replace(URI, '[address removed]'), ...path, extensions };
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
