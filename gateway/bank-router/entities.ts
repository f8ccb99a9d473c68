// `_entities` fetches, split by the bank of each representation: its id names it (a Bank, an
// account, a transaction); a User's fields go to the banks of the directory's `bankIds` (stripped
// before any bank sees them: a bank never learns which other banks a user uses), or to an agent's
// own bank. One call per bank per fetch; the answers are put back in the original order, a User's
// fields merged across its banks, every error re-indexed to the representation it belongs to.
import type { FieldNode, GraphQLFormattedError } from 'graphql';
import { agentBank, BANK_SUBGRAPH, isBankUserField, withoutBankRelationship } from '@consent-gateway/kit/bank-policy';
import { selfDenial } from '@consent-gateway/kit/consent-policy';
import { bankOfId } from '@consent-gateway/kit/ids';
import { forbidden, type Reason } from '@consent-gateway/kit/reasons';
import type { BankRegistry, RegisteredBank } from '../bank-registry.ts';
import type { BankCalls, RouterContext, SubgraphRequest, SubgraphResult } from './calls.ts';
import type { RecordWithoutBank } from './router.ts';
import { at, BankCallError, dedupe, errorsUnder, failureError, mergeParts, pathless, type FieldPart, type Path } from './merge.ts';
import { argumentValue, collectFields, responseKey, type Fragments } from './operation.ts';

/** One bank's answer for one representation. */
interface Part {
  bank: RegisteredBank;
  entity: unknown;
  errors: GraphQLFormattedError[];
  failure?: BankCallError;
}

/** The banks a User representation's fields are asked of. */
function banksOfUser(representation: Record<string, unknown>, context: RouterContext, registry: BankRegistry): RegisteredBank[] {
  const ownBank = agentBank(context.identity);
  const ids = context.identity.roles.includes('bank_agent') ? (ownBank ? [ownBank] : []) : Array.isArray(representation.bankIds) ? representation.bankIds : [];
  return [...new Set(ids)].map((id) => registry.get(id)).filter((b): b is RegisteredBank => !!b).sort((a, b) => a.id.localeCompare(b.id));
}

/**
 * Banks of the signed-in user's own directory entry that the registry no longer has (a bank taken
 * off it): not asked, and said so at each bank field, so that a consent still live at that bank
 * does not silently vanish from the person's view. Only to the user themself in a first-party app
 * (the directory is theirs; no third-party app learns their banks), never to an agent.
 */
function unregisteredOf(representation: Record<string, unknown>, context: RouterContext, registry: BankRegistry): string[] {
  // The user, in a first-party app: a third-party app is shown nothing of their banks, and an agent's user is not theirs.
  if (representation.__typename !== 'User' || selfDenial(context.identity, String(representation.id))) return [];
  const ids = Array.isArray(representation.bankIds) ? (representation.bankIds as unknown[]) : [];
  return [...new Set(ids.filter((id): id is string => typeof id === 'string' && !registry.get(id)))].sort();
}

const notRegistered = (bankId: string, path: Path): GraphQLFormattedError => ({
  message: `Bank "${bankId}" is no longer registered with this gateway; what it holds is missing from this response (a consent given to it is unchanged there).`,
  path,
  extensions: { code: 'BANK_NOT_REGISTERED', service: BANK_SUBGRAPH, bank: bankId },
});

function banksOfRepresentation(representation: Record<string, unknown>, context: RouterContext, registry: BankRegistry): RegisteredBank[] {
  switch (representation.__typename) {
    case 'User':
      return banksOfUser(representation, context, registry);
    default: {
      // A Bank's id is the bank; an account's or a transaction's id names it.
      const bank = registry.get(representation.__typename === 'Bank' ? representation.id : bankOfId(representation.id));
      return bank ? [bank] : [];
    }
  }
}

export async function routeEntities(
  banks: BankCalls,
  field: FieldNode,
  request: SubgraphRequest,
  context: RouterContext,
  fragments: Fragments,
  registry: BankRegistry,
  recordWithoutBank: RecordWithoutBank,
): Promise<SubgraphResult> {
  const variables = request.variables ?? {};
  const representations = (argumentValue(field, 'representations', variables) ?? []) as Array<Record<string, unknown>>;
  const key = responseKey(field);
  // Which banks each representation goes to, and its index in each bank's call.
  const targets = representations.map((r) => banksOfRepresentation(r, context, registry));
  type BankCall = { bank: RegisteredBank; items: Array<Record<string, unknown>>; indexOf: Map<number, number> };
  const perBank = new Map<string, BankCall>();
  targets.forEach((targetBanks, i) => {
    const { bankIds: _stripped, ...representation } = representations[i]!;
    for (const bank of targetBanks) {
      const entry: BankCall = perBank.get(bank.id) ?? { bank, items: [], indexOf: new Map() };
      entry.indexOf.set(i, entry.items.length);
      entry.items.push(representation);
      perBank.set(bank.id, entry);
    }
  });
  const calls = [...perBank.values()];
  // The planner's operation as it is; each bank gets its own representations only.
  const outcomes = await banks.entities(calls, (c) => ({ bank: c.bank, request: { ...request, variables: { ...variables, representations: c.items } } }), context);
  const byBank = new Map(calls.map((c, n) => [c.bank.id, { ...c, outcome: outcomes[n]! }]));

  const userFields = collectFields(field.selectionSet, 'User', fragments, variables);
  const errors: GraphQLFormattedError[] = [];
  for (const { bank, outcome } of byBank.values()) errors.push(...pathless(outcome.result?.errors, bank));
  const entities = representations.map((representation, i) => {
    const parts: Part[] = targets[i]!.map((bank) => {
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
    const entity = userEntity(parts, userFields, representation, context, [key, i], errors);
    for (const bankId of unregisteredOf(representation, context, registry)) {
      for (const f of userFields) if (isBankUserField(f.name.value)) errors.push(notRegistered(bankId, [key, i, responseKey(f)]));
    }
    return entity;
  });
  // Users with no bank to ask were answered here: their decisions are recorded all the same.
  const withoutBank = representations.flatMap((r, i) => (r.__typename === 'User' && targets[i]!.length === 0 ? [String(r.id)] : []));
  const bankFields = [...new Set(userFields.map((f) => f.name.value).filter(isBankUserField))];
  if (withoutBank.length && bankFields.length) await recordWithoutBank(context, withoutBank, bankFields);
  return { data: { [key]: entities }, errors: dedupe(errors) };
}

/**
 * A User representation's bank fields from the banks it went to: merged across banks, or, when
 * there was no bank to ask, what a bank without any consent of this user would answer.
 */
function userEntity(parts: Part[], userFields: FieldNode[], representation: Record<string, unknown>, context: RouterContext, path: Path, errors: GraphQLFormattedError[]) {
  const entity: Record<string, unknown> = {};
  for (const f of userFields) {
    const name = f.name.value;
    const fieldKey = responseKey(f);
    if (name === '__typename') entity[fieldKey] = 'User';
    else if (parts.length === 0) {
      const answer: { value: unknown; reason?: Reason } = isBankUserField(name)
        ? withoutBankRelationship(context.identity, String(representation.id), name)
        : { value: name === 'id' ? representation.id : null };
      entity[fieldKey] = answer.value;
      if (answer.reason) {
        const denial = forbidden(answer.reason);
        errors.push({ message: denial.message, path: [...path, fieldKey], extensions: denial.extensions });
      }
    } else {
      const fieldParts: FieldPart[] = parts.map((p) => ({
        bank: p.bank,
        failure: p.failure,
        value: (p.entity as Record<string, unknown> | null)?.[fieldKey],
        errors: p.errors.filter((e) => e.path![0] === fieldKey).map((e) => ({ ...e, path: e.path!.slice(1) })),
      }));
      const merged = mergeParts(fieldParts, [...path, fieldKey]);
      entity[fieldKey] = merged.value;
      errors.push(...merged.errors);
    }
  }
  // Errors about a whole User entity (rare: a bank that could not resolve the reference).
  for (const p of parts) errors.push(...p.errors.filter((e) => e.path!.length === 0).map((e) => at(e, path)));
  return entity;
}
