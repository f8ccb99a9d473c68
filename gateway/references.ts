// References are checked before a mutation runs, so that nothing is stored that points nowhere or
// at somebody else's data:
// - a bank id (grantConsent, optInToBankMessages, optOutOfBankMessages, startConversation) must
//   name a bank of the registry;
// - a grant must be valid by the consent policy (kit consent-policy.ts, grantProblems, the bank's
//   own check), every problem listed at once: the gateway links the user to a bank in the
//   directory before it forwards a grant, and an invalid grant must not leave that link behind;
// - a transaction a message refers to (sendMessage) must be one the sender can reference, and the
//   conversation's user's: resolved through the bank router with the sender's own identity, in a
//   call that names the conversation's user (`referenceFor`, asked of messaging first), and the
//   bank hands out a reference to the owner and its agents only, and then only to that user's
//   transactions. So a bank's agent cannot attach one customer's transaction to another
//   customer's conversation (messaging then checks that it is the conversation's bank's).
// A missing id and another user's id are refused alike: BAD_USER_INPUT, nothing stored.
//
// A grant is judged only for a caller its own rule lets grant (a signed-in user in a first-party
// app: isFirstPartyUser, at the directory and at the bank). Anyone else gets what that rule
// answers, FORBIDDEN with NOT_AUTHENTICATED, THIRD_PARTY_CLIENT or NOT_OWNER at the field,
// whatever the input: the consent policy is not a service to anonymous callers. A value that is
// no member of its enum is left to GraphQL's variable coercion, whose message the schema-disclosure
// filter words for the caller; and a caller who may not read the schema (schema-disclosure.ts)
// gets no policy problem that names a permission or purpose it did not write itself.
import { GraphQLError } from 'graphql';
import type { ApolloServerPlugin } from '@apollo/server';
import { unknownBank } from '@consent-gateway/kit/bank-policy';
import { firstPartyUserDenial, grantProblems, PERMISSIONS } from '@consent-gateway/kit/consent-policy';
import { isPurpose, PURPOSE_ENUM } from '@consent-gateway/kit/identity';
import type { BankRegistry } from './bank-registry.ts';
import { callProblem, errorCodes, isResult, postGraphQL } from './bank-router/bank-client.ts';
import { argumentValue, collectFields, parseOperation, withDefaults } from './bank-router/operation.ts';
import type { BankRouter, RouterContext } from './bank-router/router.ts';
import type { SubgraphPool } from './subgraph-fetch.ts';

const BANK_ARGUMENT: Record<string, (args: (name: string) => unknown) => unknown> = {
  grantConsent: (arg) => (arg('input') as { bankId?: unknown } | undefined)?.bankId,
  optInToBankMessages: (arg) => arg('bankId'),
  optOutOfBankMessages: (arg) => arg('bankId'),
  startConversation: (arg) => arg('bankId'),
};

const VISIBLE = 'query ReferenceCheck($id: ID!) { cardTransaction(id: $id) { __typename } }';

const CONVERSATION_USER = 'query ReferenceConversation($id: ID!) { conversation(id: $id) { user { id } } }';

const refuse = (message: string, code = 'BAD_USER_INPUT', status = 400, service?: string, details: Record<string, unknown> = {}) =>
  new GraphQLError(message, { extensions: { code, http: { status }, ...(service && { service }), ...details } });

const isText = (value: unknown): value is string => typeof value === 'string';
const isTextList = (value: unknown): value is string[] => Array.isArray(value) && value.every(isText);
const isDate = (value: unknown) => value == null || isText(value);


/**
 * Every problem of a grant's input (enum names as the client sent them), as the bank would find
 * them. An input of the wrong shape, or with a permission or purpose its enum does not have, is
 * left to GraphQL's own coercion, which refuses it (in words for the caller: schema-disclosure.ts).
 */
function problemsOfGrant(input: unknown): string[] {
  if (typeof input !== 'object' || input === null) return [];
  const i = input as Record<string, unknown>;
  if (!isText(i.bankId) || !isTextList(i.permissions) || !isTextList(i.purposes) || ![i.expiresAt, i.transactionsFrom, i.transactionsTo].every(isDate)) return [];
  if (!i.permissions.every((p) => (PERMISSIONS as readonly string[]).includes(p)) || !i.purposes.every((p) => Object.hasOwn(PURPOSE_ENUM, p))) return [];
  return grantProblems(
    {
      bankId: i.bankId,
      permissions: i.permissions,
      purposes: i.purposes.map((p) => PURPOSE_ENUM[p as keyof typeof PURPOSE_ENUM] ?? p),
      expiresAt: i.expiresAt as string | null | undefined,
      transactionsFrom: i.transactionsFrom as string | null | undefined,
      transactionsTo: i.transactionsTo as string | null | undefined,
    },
    new Date(),
    isPurpose,
  );
}

/** Enum-like names in a problem (`ACCOUNTS_BASIC`, `BALANCES`). */
const ENUM_NAME = /\b[A-Z][A-Z0-9_]{2,}\b/g;
export const POLICY_HIDDEN = 'the permissions asked for are not a combination the consent policy allows';

/**
 * The problems as a caller who may not read the schema sees them: a problem that names a
 * permission or purpose the caller did not write ('every consent needs ACCOUNTS_BASIC or
 * ACCOUNTS_DETAIL') becomes POLICY_HIDDEN; one that names only what it wrote stays.
 */
function withoutPolicyDetails(problems: string[], input: unknown): string[] {
  const i = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>;
  const written = new Set([i.bankId, ...(isTextList(i.permissions) ? i.permissions : []), ...(isTextList(i.purposes) ? i.purposes : [])].filter(isText));
  return [...new Set(problems.map((p) => ((p.match(ENUM_NAME) ?? []).every((name) => written.has(name)) ? p : POLICY_HIDDEN)))];
}

export type ConversationUser = (context: RouterContext, conversationId: string) => Promise<string | null>;

export function createConversationUser(options: {
  /** messaging's GraphQL endpoint and the pool (with its deadline) to call it with; absent without messaging. */
  url?: string;
  pool?: SubgraphPool;
  mint: (context: RouterContext, audience: string) => Promise<string>;
  log: (line: string) => void;
}): ConversationUser {
  const unavailable = () => refuse('the transaction cannot be checked just now: messaging is unavailable', 'SUBGRAPH_UNAVAILABLE', 503, 'messaging');
  return async (context, conversationId) => {
    if (!options.url || !options.pool) throw unavailable();
    let body: unknown;
    try {
      ({ body } = await postGraphQL(options.pool, options.url, await options.mint(context, 'messaging'), { query: CONVERSATION_USER, variables: { id: conversationId } }));
    } catch (error) {
      options.log(`checking a message's transaction: messaging gave no answer: ${callProblem(error)}`);
      throw unavailable();
    }
    if (isResult(body)) {
      const user = (body.data?.conversation as { user?: { id?: unknown } } | null | undefined)?.user?.id;
      if (typeof user === 'string') return user;
      // Not a participant, or no such conversation: its own rule refuses; anything else is a failure.
      if ((body.errors ?? []).every((e) => ['FORBIDDEN', 'NOT_FOUND'].includes(String(e.extensions?.code)))) return null;
    }
    options.log(`checking a message's transaction: messaging answered ${errorCodes(body)}`);
    throw unavailable();
  };
}

export function referenceChecks(options: {
  registry: () => BankRegistry;
  router: BankRouter;
  conversationUser: ConversationUser;
  /** Whether the caller may read the schema, and so the consent policy, out of messages (schema-disclosure.ts). */
  mayReadSchema?: (context: RouterContext) => boolean;
}): ApolloServerPlugin<RouterContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, document, request, contextValue }) {
          if (operation?.operation !== 'mutation') return;
          const variables = withDefaults(operation, request.variables ?? {});
          const { fragments } = parseOperation(document, request.operationName);
          for (const field of collectFields(operation.selectionSet, 'Mutation', fragments, variables)) {
            // ID accepts an integer too (GraphQL coerces it to a string): judged as that string.
            const arg = (name: string) => {
              const value = argumentValue(field, name, variables);
              return typeof value === 'number' ? String(value) : value;
            };
            const bankId = BANK_ARGUMENT[field.name.value]?.(arg);
            const unknown = typeof bankId === 'string' && !options.registry().get(bankId) ? unknownBank(bankId) : undefined;
            if (field.name.value === 'grantConsent') {
              // Not the caller's to grant: its rule answers (at the directory, before any bank is called).
              if (firstPartyUserDenial(contextValue.identity)) continue;
              const all = [...(unknown ? [unknown] : []), ...problemsOfGrant(arg('input'))];
              const problems = options.mayReadSchema?.(contextValue) === false ? withoutPolicyDetails(all, arg('input')) : all;
              if (problems.length) throw refuse(`invalid consent: ${problems.join('; ')}`, 'BAD_USER_INPUT', 400, undefined, { problems });
            } else if (unknown) throw refuse(unknown);
            const transactionId = field.name.value === 'sendMessage' ? arg('transactionId') : undefined;
            const conversationId = arg('conversationId');
            if (typeof transactionId === 'string' && typeof conversationId === 'string') {
              const referenceFor = await options.conversationUser(contextValue, conversationId);
              if (referenceFor === null) continue;
              // A context of its own: the bank's token names the conversation's user (kit internal-token.ts).
              const result = await options.router({ query: VISIBLE, variables: { id: transactionId } }, { ...contextValue, referenceFor });
              const failure = result.errors?.find((e) => String(e.extensions?.code).startsWith('SUBGRAPH_'));
              if (failure) throw refuse(`the transaction cannot be checked just now: ${failure.message}`, String(failure.extensions!.code), 503);
              if (!result.data?.cardTransaction) throw refuse('transactionId does not name a card transaction you can refer to');
            }
          }
        },
      };
    },
  };
}
