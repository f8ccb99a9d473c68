// The bank router: what the gateway's engine calls instead of one `bank-account` subgraph. Each
// fetch the query plan sends to `bank-account` is routed to the banks its data belongs to:
// - root fields go to the bank their argument or id names (`bank(id)`, `bankAccount(id)`,
//   `cardTransaction(id)`, `grantConsent(input.bankId)`, `revokeConsent(id)`), fields for one bank
//   in one call; `banks` is answered from the registry;
// - `_entities` is split by the bank of each representation (from its id; a User's from the
//   directory's `bankIds`, which is stripped: a bank never learns which other banks a user uses),
//   one call per bank, answers put back in order and User fields merged across banks.
// Calls run in parallel up to a bound; a bank that fails degrades its own part only. Identity is
// part of every call (a token per call, minted by `callBank`); nothing is shared across requests.
// It is a plain async function from a subgraph request to a result, so any engine can use it.
import type { FieldNode, GraphQLFormattedError, OperationDefinitionNode } from 'graphql';
import { noConsentOfYours, unknownBank, type BankUserField } from '@consent-gateway/kit/bank-policy';
import { firstPartyUserDenial } from '@consent-gateway/kit/consent-policy';
import type { Identity } from '@consent-gateway/kit/identity';
import { bankOfId } from '@consent-gateway/kit/ids';
import { forbidden, type Reason } from '@consent-gateway/kit/reasons';
import type { BankRegistry, RegisteredBank } from '../bank-registry.ts';
import { bankCalls, mapLimit, type BankCaller, type RouterContext, type SubgraphRequest, type SubgraphResult } from './calls.ts';
import { routeEntities } from './entities.ts';
import { at, dedupe, errorsUnder, failureError, pathless } from './merge.ts';
import { argumentValue, collectFields, OperationCache, project, responseKey, subOperation, withDefaults, type Fragments, type Variables } from './operation.ts';

export type { BankCaller, RouterContext, SubgraphRequest, SubgraphResult } from './calls.ts';
export { mapLimit } from './calls.ts';

/** Records in the platform's directory that the user has a relationship with a bank; an error refuses the grant. */
export type DirectoryLink = (context: RouterContext, bankId: string) => Promise<{ error?: GraphQLFormattedError }>;

/**
 * Records the decisions the router made itself, answering bank fields of users for whom no bank
 * was asked (`userIds`, the `fields` asked); waited for before the answer goes out, like a bank's.
 */
export type RecordWithoutBank = (context: RouterContext, userIds: string[], fields: BankUserField[]) => Promise<void>;

export interface BankRouterOptions {
  registry: () => BankRegistry;
  callBank: BankCaller;
  linkBank: DirectoryLink;
  recordWithoutBank: RecordWithoutBank;
  /** How many banks one fetch calls at once. */
  concurrency: number;
}

export type BankRouter = (request: SubgraphRequest, context: RouterContext) => Promise<SubgraphResult>;

/** A refusal by a field's own rule, as the bank would have answered it. */
function denialError(reason: Reason): GraphQLFormattedError {
  const denial = forbidden(reason);
  return { message: denial.message, extensions: denial.extensions };
}

/**
 * The fields routed by an argument: where each one goes, and what it is when no bank has it; for
 * grants and revokes, the rule that refuses a caller before any of that (isFirstPartyUser): a
 * caller who may not grant gets that answer whatever bank the input names.
 */
const ROUTED_BY_ARGUMENT: Record<
  string,
  { bank: (field: FieldNode, variables: Variables) => unknown; missing: (field: FieldNode, variables: Variables) => GraphQLFormattedError | undefined; denial?: (identity: Identity) => Reason | undefined }
> = {
  bank: { bank: (f, v) => argumentValue(f, 'id', v), missing: () => undefined },
  bankAccount: { bank: (f, v) => bankOfId(argumentValue(f, 'id', v)), missing: () => undefined },
  cardTransaction: { bank: (f, v) => bankOfId(argumentValue(f, 'id', v)), missing: () => undefined },
  revokeConsent: {
    denial: firstPartyUserDenial,
    bank: (f, v) => bankOfId(argumentValue(f, 'id', v)),
    missing: (f, v) => ({ message: noConsentOfYours(String(argumentValue(f, 'id', v))), extensions: { code: 'NOT_FOUND' } }),
  },
  grantConsent: {
    denial: firstPartyUserDenial,
    bank: (f, v) => (argumentValue(f, 'input', v) as { bankId?: unknown } | undefined)?.bankId,
    missing: (f, v) => {
      const bankId = String((argumentValue(f, 'input', v) as { bankId?: unknown } | undefined)?.bankId);
      return { message: `invalid consent: ${unknownBank(bankId)}`, extensions: { code: 'BAD_USER_INPUT' } };
    },
  },
};

export function createBankRouter(options: BankRouterOptions): BankRouter {
  const cache = new OperationCache();
  const banks = bankCalls(options.callBank, options.concurrency);

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
      const outcome = await banks.call(bank, { ...sub, operationName: operation.name?.value }, context);
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
    for (const field of fields) {
      const name = field.name.value;
      const routed = ROUTED_BY_ARGUMENT[name];
      if (name === '__typename') local(field, operation.operation === 'mutation' ? 'Mutation' : 'Query');
      else if (name === 'banks') local(field, registry.banks.map((b) => project(field.selectionSet, 'Bank', { id: b.id, name: b.name }, fragments, variables)));
      else if (routed) {
        const bank = registry.get(routed.bank(field, variables));
        // No such bank: as for a missing object, unless the field's rule refuses the caller anyway.
        if (!bank) {
          const reason = routed.denial?.(context.identity);
          local(field, null, reason ? denialError(reason) : routed.missing(field, variables));
        }
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
    return { data, errors: dedupe(errors) };
  }

  return async function routeBankFetch(request, context) {
    const registry = options.registry();
    const { operation, fragments } = cache.get(request.query, request.operationName);
    request = { ...request, variables: withDefaults(operation, request.variables ?? {}) };
    const fields = collectFields(operation.selectionSet, undefined, fragments, request.variables!);
    const result =
      fields.length === 1 && fields[0]!.name.value === '_entities'
        ? await routeEntities(banks, fields[0]!, request, context, fragments, registry, options.recordWithoutBank)
        : await routeRootFields(operation, request, context, fragments, registry);
    return result.errors?.length ? result : { data: result.data };
  };
}
