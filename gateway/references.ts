// References are checked before a mutation runs, so that nothing is stored that points nowhere or
// at somebody else's data:
// - a bank id (grantConsent, optInToBankMessages, optOutOfBankMessages, startConversation) must
//   name a bank of the registry;
// - a transaction a message refers to (sendMessage) must be one the sender can reference: resolved
//   through the bank router with the sender's own identity, which hands out a reference to the
//   owner and the bank's agents only (messaging then checks that it is the conversation's bank's).
// A missing id and another user's id are refused alike: BAD_USER_INPUT, nothing stored.
import { GraphQLError } from 'graphql';
import type { ApolloServerPlugin } from '@apollo/server';
import { unknownBank } from '@consent-gateway/kit/bank-policy';
import type { BankRegistry } from './bank-registry.ts';
import { argumentValue, collectFields, parseOperation } from './bank-router/operation.ts';
import type { BankRouter, RouterContext } from './bank-router/router.ts';

const BANK_ARGUMENT: Record<string, (args: (name: string) => unknown) => unknown> = {
  grantConsent: (arg) => (arg('input') as { bankId?: unknown } | undefined)?.bankId,
  optInToBankMessages: (arg) => arg('bankId'),
  optOutOfBankMessages: (arg) => arg('bankId'),
  startConversation: (arg) => arg('bankId'),
};

const VISIBLE = 'query ReferenceCheck($id: ID!) { cardTransaction(id: $id) { __typename } }';

const refuse = (message: string, code = 'BAD_USER_INPUT', status = 400) => new GraphQLError(message, { extensions: { code, http: { status } } });

export function referenceChecks(options: { registry: () => BankRegistry; router: BankRouter }): ApolloServerPlugin<RouterContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, document, request, contextValue }) {
          if (operation?.operation !== 'mutation') return;
          const variables = request.variables ?? {};
          const { fragments } = parseOperation(document, request.operationName);
          for (const field of collectFields(operation.selectionSet, 'Mutation', fragments, variables)) {
            const arg = (name: string) => argumentValue(field, name, variables);
            const bankId = BANK_ARGUMENT[field.name.value]?.(arg);
            if (typeof bankId === 'string' && !options.registry().get(bankId)) throw refuse(unknownBank(bankId));
            const transactionId = field.name.value === 'sendMessage' ? arg('transactionId') : undefined;
            if (typeof transactionId === 'string') {
              const result = await options.router({ query: VISIBLE, variables: { id: transactionId } }, contextValue);
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
