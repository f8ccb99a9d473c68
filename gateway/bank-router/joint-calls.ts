// Entity fetches that one client request sends to one bank at the same moment (siblings of one
// step of the query plan, gateway/bank-fetch-plan.ts) go to that bank as one call: one token, one
// round trip, and on the bank one request, so its loaders batch across both, it reads the
// viewer's consents once and writes its decision records once. Each fetch's `_entities` field
// becomes an aliased field of one operation, its variables and fragments renamed apart; the
// answer is split back into one answer per fetch. Only calls of the same client request (the same
// context object) and the same bank are joined: identity is part of the key, nothing is shared
// between requests.
import { Kind, OperationTypeNode, print, visit, type DocumentNode, type FieldNode, type GraphQLFormattedError, type OperationDefinitionNode } from 'graphql';
import type { RegisteredBank } from '../bank-registry.ts';
import type { BankCaller, RouterContext, SubgraphRequest, SubgraphResult } from './calls.ts';
import { OperationCache, responseKey } from './operation.ts';

interface Waiting {
  request: SubgraphRequest;
  resolve: (result: SubgraphResult) => void;
  reject: (error: unknown) => void;
}

interface Joined {
  request: SubgraphRequest;
  /** The joined answer, as one answer per request, in order. */
  split(result: SubgraphResult): SubgraphResult[];
}

const cache = new OperationCache();

/** The `_entities` field an entity fetch selects, when that is all it selects. */
function entitiesField(operation: OperationDefinitionNode): FieldNode | undefined {
  const [only, ...rest] = operation.selectionSet.selections;
  return operation.operation === 'query' && !rest.length && only?.kind === Kind.FIELD && only.name.value === '_entities' ? only : undefined;
}

/** One operation selecting every request's `_entities` under its own alias (`j<n>`), with `j<n>_` before its variables' and fragments' names; undefined when a request is not an entity fetch. */
export function joinRequests(requests: readonly SubgraphRequest[]): Joined | undefined {
  const parsed = requests.map((r) => cache.get(r.query, r.operationName));
  const keys: string[] = [];
  const definitions: DocumentNode['definitions'][number][] = [];
  const variableDefinitions: NonNullable<OperationDefinitionNode['variableDefinitions']>[number][] = [];
  const selections: FieldNode[] = [];
  const variables: Record<string, unknown> = {};
  for (const [n, { operation, fragments }] of parsed.entries()) {
    const field = entitiesField(operation);
    if (!field) return undefined;
    keys.push(responseKey(field));
    const prefix = `j${n}_`;
    const rename = <T extends object>(node: T): T =>
      visit(node as never, {
        Variable: (v) => ({ ...v, name: { ...v.name, value: prefix + v.name.value } }),
        FragmentSpread: (s) => ({ ...s, name: { ...s.name, value: prefix + s.name.value } }),
        FragmentDefinition: (d) => ({ ...d, name: { ...d.name, value: prefix + d.name.value } }),
      }) as T;
    selections.push({ ...rename(field), alias: { kind: Kind.NAME, value: `j${n}` } });
    variableDefinitions.push(...(operation.variableDefinitions ?? []).map(rename));
    definitions.push(...[...fragments.values()].map(rename));
    for (const [name, value] of Object.entries(requests[n]!.variables ?? {})) variables[prefix + name] = value;
  }
  const operation: OperationDefinitionNode = { kind: Kind.OPERATION_DEFINITION, operation: OperationTypeNode.QUERY, variableDefinitions, selectionSet: { kind: Kind.SELECTION_SET, selections } };
  return {
    request: { query: print({ kind: Kind.DOCUMENT, definitions: [operation, ...definitions] }), variables },
    split: (result) =>
      keys.map((key, n) => {
        const alias = `j${n}`;
        // An error with no path concerns the whole call: each request gets it.
        const errors: GraphQLFormattedError[] = (result.errors ?? []).flatMap((e) => (!e.path?.length ? [e] : e.path[0] === alias ? [{ ...e, path: [key, ...e.path.slice(1)] }] : []));
        const data = result.data ? { [key]: result.data[alias] ?? null } : result.data;
        return errors.length ? { data, errors } : { data };
      }),
  };
}

/**
 * A bank caller for entity fetches that joins the calls one request makes to one bank in the same
 * turn of the event loop. A joined call that brings no data at all (the bank refused the joined
 * operation as a whole) is made again as separate calls, so joining never costs an answer.
 */
export function jointCalls(callBank: BankCaller): BankCaller {
  const pending = new WeakMap<RouterContext, Map<string, Waiting[]>>();

  const separately = (bank: RegisteredBank, waiting: readonly Waiting[], context: RouterContext) => {
    for (const w of waiting) callBank(bank, w.request, context).then(w.resolve, w.reject);
  };

  const send = async (bank: RegisteredBank, waiting: readonly Waiting[], context: RouterContext) => {
    const joined = waiting.length > 1 ? joinRequests(waiting.map((w) => w.request)) : undefined;
    if (!joined) return separately(bank, waiting, context);
    let result: SubgraphResult;
    try {
      result = await callBank(bank, joined.request, context);
    } catch (error) {
      for (const w of waiting) w.reject(error);
      return;
    }
    if (!result.data) return separately(bank, waiting, context);
    joined.split(result).forEach((part, n) => waiting[n]!.resolve(part));
  };

  return (bank, request, context) =>
    new Promise<SubgraphResult>((resolve, reject) => {
      let banks = pending.get(context);
      if (!banks) pending.set(context, (banks = new Map()));
      let waiting = banks.get(bank.id);
      if (!waiting) {
        const batch: Waiting[] = (waiting = []);
        banks.set(bank.id, batch);
        // After every fetch the plan starts in this step has reached here (they start together, with no I/O before).
        setImmediate(() => {
          banks.delete(bank.id);
          void send(bank, batch, context);
        });
      }
      waiting.push({ request, resolve, reject });
    });
}
