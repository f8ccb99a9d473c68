// The bank router: what the gateway's engine calls instead of one `bank-account` subgraph. Each
// fetch the query plan sends to `bank-account` is routed to the banks its data belongs to:
// - root fields go to the bank their argument or id names (`bank(id)`, `bankAccount(id)`,
//   `cardTransaction(id)`, `grantConsent(input.bankId)`, `revokeConsent(id)`), fields for one bank
//   in one call; `banks` is answered from the registry; `auditEvents` asks every bank;
// - `_entities` is split by the bank of each representation (from its id; a User's from the
//   directory's `bankIds`, which is stripped: a bank never learns which other banks a user uses),
//   one call per bank, answers put back in order and User fields merged across banks.
// Calls run in parallel up to a bound; a bank that fails degrades its own part only. Identity is
// part of every call (a token per call, minted by `callBank`); nothing is shared across requests.
// It is a plain async function from a subgraph request to a result, so any engine can use it.
import type { FieldNode, GraphQLFormattedError, OperationDefinitionNode } from 'graphql';
import { agentBank, BANK_USER_FIELDS, noConsentOfYours, unknownBank, withoutBankRelationship, type BankUserField } from '@consent-gateway/kit/bank-policy';
import type { Identity } from '@consent-gateway/kit/identity';
import { bankOfId } from '@consent-gateway/kit/ids';
import { forbidden, type Reason } from '@consent-gateway/kit/reasons';
import type { BankRegistry, RegisteredBank } from '../bank-registry.ts';
import { at, BankCallError, dedupe, errorsUnder, failureError, mergeParts, pathless, type FieldPart, type ListItem } from './merge.ts';
import { argumentValue, collectFields, OperationCache, project, responseKey, subOperation, withExtraFields, type Fragments, type Variables } from './operation.ts';

export interface SubgraphRequest {
  query: string;
  variables?: Variables;
  operationName?: string | null;
}

export interface SubgraphResult {
  data?: Record<string, unknown> | null;
  errors?: GraphQLFormattedError[];
}

export interface RouterContext {
  identity: Identity;
  requestId: string;
}

/** Calls one bank with the request's identity; throws BankCallError when the bank gives no answer. */
export type BankCaller = (bank: RegisteredBank, request: SubgraphRequest, context: RouterContext) => Promise<SubgraphResult>;

/** Records in the platform's directory that the user has a relationship with a bank; an error refuses the grant. */
export type DirectoryLink = (context: RouterContext, bankId: string) => Promise<{ error?: GraphQLFormattedError }>;

export interface BankRouterOptions {
  registry: () => BankRegistry;
  callBank: BankCaller;
  linkBank: DirectoryLink;
  /** How many banks one fetch calls at once. */
  concurrency: number;
}

export type BankRouter = (request: SubgraphRequest, context: RouterContext) => Promise<SubgraphResult>;

/** Runs `fn` over `items`, at most `limit` at a time, results in order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

type Outcome = { result: SubgraphResult; failure?: undefined } | { result?: undefined; failure: BankCallError };

/** The fields routed by an argument: where each one goes, and what it is when no bank has it. */
const ROUTED_BY_ARGUMENT: Record<string, { bank: (field: FieldNode, variables: Variables) => unknown; missing: (field: FieldNode, variables: Variables) => GraphQLFormattedError | undefined }> = {
  bank: { bank: (f, v) => argumentValue(f, 'id', v), missing: () => undefined },
  bankAccount: { bank: (f, v) => bankOfId(argumentValue(f, 'id', v)), missing: () => undefined },
  cardTransaction: { bank: (f, v) => bankOfId(argumentValue(f, 'id', v)), missing: () => undefined },
  revokeConsent: {
    bank: (f, v) => bankOfId(argumentValue(f, 'id', v)),
    missing: (f, v) => ({ message: noConsentOfYours(String(argumentValue(f, 'id', v))), extensions: { code: 'NOT_FOUND' } }),
  },
  grantConsent: {
    bank: (f, v) => (argumentValue(f, 'input', v) as { bankId?: unknown } | undefined)?.bankId,
    missing: (f, v) => {
      const bankId = String((argumentValue(f, 'input', v) as { bankId?: unknown } | undefined)?.bankId);
      return { message: `invalid consent: ${unknownBank(bankId)}`, extensions: { code: 'BAD_USER_INPUT' } };
    },
  },
};

const SORT_AT = 'cgRouterSortAt';
const SORT_ID = 'cgRouterSortId';

export function createBankRouter(options: BankRouterOptions): BankRouter {
  const cache = new OperationCache();

  const call = async (bank: RegisteredBank, request: SubgraphRequest, context: RouterContext): Promise<Outcome> => {
    try {
      return { result: await options.callBank(bank, request, context) };
    } catch (error) {
      if (error instanceof BankCallError) return { failure: error };
      throw error;
    }
  };

  /** The banks a User representation's fields are asked of. */
  function banksOfUser(representation: Record<string, unknown>, context: RouterContext, registry: BankRegistry): RegisteredBank[] {
    const ownBank = agentBank(context.identity);
    const ids = context.identity.roles.includes('bank_agent') ? (ownBank ? [ownBank] : []) : Array.isArray(representation.bankIds) ? representation.bankIds : [];
    return [...new Set(ids)].map((id) => registry.get(id)).filter((b): b is RegisteredBank => !!b).sort((a, b) => a.id.localeCompare(b.id));
  }

  function banksOfRepresentation(representation: Record<string, unknown>, context: RouterContext, registry: BankRegistry): RegisteredBank[] {
    switch (representation.__typename) {
      case 'User':
        return banksOfUser(representation, context, registry);
      case 'Bank':
        return registry.get(representation.id) ? [registry.get(representation.id)!] : [];
      default: {
        const bank = registry.get(bankOfId(representation.id));
        return bank ? [bank] : [];
      }
    }
  }

  async function routeEntities(field: FieldNode, request: SubgraphRequest, context: RouterContext, fragments: Fragments, registry: BankRegistry): Promise<SubgraphResult> {
    const variables = request.variables ?? {};
    const representations = (argumentValue(field, 'representations', variables) ?? []) as Array<Record<string, unknown>>;
    const key = responseKey(field);
    // Which banks each representation goes to, and its index in each bank's call.
    const targets = representations.map((r) => banksOfRepresentation(r, context, registry));
    type BankCall = { bank: RegisteredBank; items: Array<Record<string, unknown>>; indexOf: Map<number, number> };
    const perBank = new Map<string, BankCall>();
    targets.forEach((banks, i) => {
      const { bankIds: _stripped, ...representation } = representations[i]!;
      for (const bank of banks) {
        const entry: BankCall = perBank.get(bank.id) ?? { bank, items: [], indexOf: new Map() };
        entry.indexOf.set(i, entry.items.length);
        entry.items.push(representation);
        perBank.set(bank.id, entry);
      }
    });
    const calls = [...perBank.values()];
    const outcomes = await mapLimit(calls, options.concurrency, (c) =>
      call(c.bank, { query: request.query, variables: { ...variables, representations: c.items }, operationName: request.operationName }, context),
    );
    const byBank = new Map(calls.map((c, n) => [c.bank.id, { ...c, outcome: outcomes[n]! }]));

    const userFields = collectFields(field.selectionSet, 'User', fragments, variables);
    const errors: GraphQLFormattedError[] = [];
    for (const { bank, outcome } of byBank.values()) errors.push(...pathless(outcome.result?.errors, bank));
    const entities = representations.map((representation, i) => {
      const parts = targets[i]!.map((bank) => {
        const { outcome, indexOf } = byBank.get(bank.id)!;
        const j = indexOf.get(i)!;
        const entity = (outcome.result?.data?._entities as unknown[] | undefined)?.[j] ?? null;
        return { bank, entity, errors: errorsUnder(outcome.result?.errors, [key, j]), failure: outcome.failure };
      });
      if (representation.__typename !== 'User') {
        const part = parts[0];
        if (!part) return null; // no such bank: the same answer as a missing object
        if (part.failure) {
          errors.push(failureError(part.failure, part.bank, [key, i]));
          return null;
        }
        errors.push(...part.errors.map((e) => at(e, [key, i, ...e.path!])));
        return part.entity;
      }
      const entity: Record<string, unknown> = {};
      for (const f of userFields) {
        const name = f.name.value;
        const fieldKey = responseKey(f);
        if (name === '__typename') entity[fieldKey] = 'User';
        else if (parts.length === 0) {
          // No bank to ask: what a bank without any consent of this user would answer.
          const answer: { value: unknown; reason?: Reason } = (BANK_USER_FIELDS as readonly string[]).includes(name)
            ? withoutBankRelationship(context.identity, String(representation.id), name as BankUserField)
            : { value: name === 'id' ? representation.id : null };
          entity[fieldKey] = answer.value;
          if (answer.reason) {
            const denial = forbidden(answer.reason);
            errors.push({ message: denial.message, path: [key, i, fieldKey], extensions: denial.extensions });
          }
        } else {
          const fieldParts: FieldPart[] = parts.map((p) => ({
            bank: p.bank,
            failure: p.failure,
            value: (p.entity as Record<string, unknown> | null)?.[fieldKey],
            errors: p.errors.filter((e) => e.path![0] === fieldKey).map((e) => ({ ...e, path: e.path!.slice(1) })),
          }));
          const merged = mergeParts(fieldParts, [key, i, fieldKey]);
          entity[fieldKey] = merged.value;
          errors.push(...merged.errors);
        }
      }
      // Errors about a whole User entity (rare: a bank that could not resolve the reference).
      for (const p of parts) errors.push(...p.errors.filter((e) => e.path!.length === 0).map((e) => at(e, [key, i])));
      return entity;
    });
    return { data: { [key]: entities }, errors: dedupe(errors) };
  }

  /** `auditEvents`: every bank (or the one the filter names), newest first, cut to `first`. */
  async function routeAuditEvents(operation: OperationDefinitionNode, field: FieldNode, variables: Variables, context: RouterContext, fragments: Fragments, registry: BankRegistry): Promise<SubgraphResult> {
    const key = responseKey(field);
    // A filter that names a bank, or a consent (whose id names its bank), needs that bank only.
    const filter = argumentValue(field, 'filter', variables) as { bankId?: unknown; consentId?: unknown } | undefined;
    const filterBank = filter?.bankId ? registry.get(filter.bankId) : registry.get(bankOfId(filter?.consentId));
    const banks = filterBank ? [filterBank] : registry.banks;
    const first = Number(argumentValue(field, 'first', variables) ?? 100);
    const sub = subOperation(operation, [withExtraFields(field, { [SORT_AT]: 'at', [SORT_ID]: 'id' })], fragments, variables);
    const outcomes = await mapLimit(banks, options.concurrency, (bank) => call(bank, { ...sub, operationName: operation.name?.value }, context));
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

  async function routeRootFields(operation: OperationDefinitionNode, request: SubgraphRequest, context: RouterContext, fragments: Fragments, registry: BankRegistry): Promise<SubgraphResult> {
    const variables = request.variables ?? {};
    const fields = collectFields(operation.selectionSet, undefined, fragments, variables);
    const data: Record<string, unknown> = {};
    const errors: GraphQLFormattedError[] = [];
    const local = (field: FieldNode, value: unknown, error?: GraphQLFormattedError) => {
      data[responseKey(field)] = value;
      if (error) errors.push({ ...error, path: [responseKey(field)] });
    };
    /** One call with every field of a group; each field's answer and errors go to its own key. */
    const send = async (bank: RegisteredBank, group: FieldNode[]) => {
      const sub = subOperation(operation, group, fragments, variables);
      const outcome = await call(bank, { ...sub, operationName: operation.name?.value }, context);
      for (const field of group) {
        const key = responseKey(field);
        if (outcome.failure) {
          data[key] = null;
          errors.push(failureError(outcome.failure, bank, [key]));
        } else {
          data[key] = outcome.result.data?.[key] ?? null;
          errors.push(...errorsUnder(outcome.result.errors, [key]).map((e) => at(e, [key, ...e.path!])));
        }
      }
      errors.push(...pathless(outcome.result?.errors, bank));
    };
    /** A grant goes to the bank only once the directory knows the user has a relationship with it. */
    const linked = async (bank: RegisteredBank, group: FieldNode[]) => {
      if (!group.some((f) => f.name.value === 'grantConsent')) return group;
      const { error } = await options.linkBank(context, bank.id);
      if (!error) return group;
      for (const f of group.filter((f) => f.name.value === 'grantConsent')) local(f, null, error);
      return group.filter((f) => f.name.value !== 'grantConsent');
    };

    const groups: Array<{ bank: RegisteredBank; fields: FieldNode[] }> = [];
    const audits: FieldNode[] = [];
    for (const field of fields) {
      const name = field.name.value;
      const routed = ROUTED_BY_ARGUMENT[name];
      if (name === '__typename') local(field, operation.operation === 'mutation' ? 'Mutation' : 'Query');
      else if (name === 'banks') local(field, registry.banks.map((b) => project(field.selectionSet, 'Bank', { id: b.id, name: b.name }, fragments, variables)));
      else if (name === 'auditEvents') audits.push(field);
      else if (routed) {
        const bank = registry.get(routed.bank(field, variables));
        if (!bank) local(field, null, routed.missing(field, variables)); // no such bank: as for a missing object
        else {
          const last = groups.at(-1);
          // Mutations run in order: only consecutive fields for one bank share a call.
          const group = operation.operation === 'mutation' ? (last?.bank === bank ? last : undefined) : groups.find((g) => g.bank === bank);
          if (group) group.fields.push(field);
          else groups.push({ bank, fields: [field] });
        }
      } else local(field, null, { message: `the bank router cannot route ${name}`, extensions: { code: 'INTERNAL_SERVER_ERROR' } });
    }
    if (operation.operation === 'mutation') {
      for (const g of groups) {
        const group = await linked(g.bank, g.fields);
        if (group.length) await send(g.bank, group);
      }
    } else {
      await mapLimit(groups, options.concurrency, (g) => send(g.bank, g.fields));
    }
    for (const field of audits) {
      const result = await routeAuditEvents(operation, field, variables, context, fragments, registry);
      Object.assign(data, result.data);
      errors.push(...(result.errors ?? []));
    }
    return { data, errors: dedupe(errors) };
  }

  return async function routeBankFetch(request, context) {
    const registry = options.registry();
    const { operation, fragments } = cache.get(request.query, request.operationName);
    const fields = collectFields(operation.selectionSet, undefined, fragments, request.variables ?? {});
    const result =
      fields.length === 1 && fields[0]!.name.value === '_entities'
        ? await routeEntities(fields[0]!, request, context, fragments, registry)
        : await routeRootFields(operation, request, context, fragments, registry);
    return result.errors?.length ? result : { data: result.data };
  };
}
