// Every client mistake is a 4xx. Most are refused before anything runs (the request gate, GraphQL's
// validation and variable coercion, the reference checks); some can only be found while executing
// (a message body that is empty, a cursor that was never issued, a grant the bank finds invalid).
// When such a mistake left the answer with no data at all (no data, or its one root field null),
// and the operation had one root field (so nothing else ran, and a mutation changed nothing), the
// request as a whole failed because of what the client sent: 400, as if it had been refused at the
// door. An answer with data keeps 200 (GraphQL's partial results), so does a mutation of several
// fields (an earlier one may have written), and denials keep 200 with FORBIDDEN at their fields.
import { Kind } from 'graphql';
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';

/** Codes that say the client sent something wrong (GraphQL's and ours). */
const CLIENT_MISTAKES = new Set(['BAD_USER_INPUT', 'GRAPHQL_VALIDATION_FAILED', 'GRAPHQL_PARSE_FAILED', 'BAD_REQUEST']);
/**
 * Refusals found while executing that have a status of their own, by the same rule (only when the
 * answer has no data): the person's export or erasure already running (records/data-subject.ts).
 */
const REFUSAL_STATUS: Readonly<Record<string, number>> = { DATA_SUBJECT_REQUEST_IN_PROGRESS: 409 };
const statusOf = (code: string) => (CLIENT_MISTAKES.has(code) ? 400 : REFUSAL_STATUS[code]);

export function clientMistakeStatus<Ctx extends BaseContext>(): ApolloServerPlugin<Ctx> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response, operation }) {
          if (response.body.kind !== 'single') return;
          const roots = operation?.selectionSet.selections ?? [];
          const root = roots[0];
          if (roots.length !== 1 || root?.kind !== Kind.FIELD) return;
          const { data, errors } = response.body.singleResult;
          // No data at all: none, or the one root field null (a nullable field keeps `data`).
          if ((data != null && data[root.alias?.value ?? root.name.value] != null) || !errors?.length) return;
          const statuses = new Set(errors.map((e) => statusOf(String(e.extensions?.code))));
          if (statuses.has(undefined)) return;
          if ((response.http.status ?? 200) === 200) response.http.status = statuses.size === 1 ? [...statuses][0]! : 400;
        },
      };
    },
  };
}
