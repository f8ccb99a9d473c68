// The gateway's side of the bank directory, kept by user-profile, reached through @inaccessible
// mutations with the request's own identity:
// - before it forwards a user's grant to a bank, the gateway asks user-profile to link the user to
//   that bank. The directory may list a bank too many (a grant that the bank then refuses), never
//   one too few: if the link cannot be made, the grant is refused and nothing is stored anywhere;
// - when the directory lists no bank to ask for a user, the gateway answers their bank fields
//   itself, and user-profile records those decisions (made again there by the same function).
import type { GraphQLFormattedError } from 'graphql';
import { requestLog } from '@consent-gateway/kit/observability';
import { callProblem, errorCodes, isResult, postGraphQL } from './bank-router/bank-client.ts';
import type { DirectoryLink, RecordWithoutBank, RouterContext } from './bank-router/router.ts';
import type { SubgraphPool } from './subgraph-fetch.ts';

const LINK = 'mutation LinkUserToBank($bankId: ID!) { linkUserToBank(bankId: $bankId) }';

export function createDirectoryLink(options: {
  /** user-profile's GraphQL endpoint, and the connection pool (with its deadline) to call it with. */
  url: string;
  pool: SubgraphPool;
  mint: (context: RouterContext, audience: string) => Promise<string>;
  log?: (line: string) => void;
}): DirectoryLink {
  const log = options.log ?? ((line: string) => requestLog().warn(line));
  const unavailable: GraphQLFormattedError = {
    message: 'The consent was not granted: the platform could not record your relationship with this bank just now, and nothing was stored. Try again.',
    extensions: { code: 'SUBGRAPH_UNAVAILABLE', service: 'user-profile' },
  };
  return async (context, bankId) => {
    let body: unknown;
    try {
      ({ body } = await postGraphQL(options.pool, options.url, await options.mint(context, 'user-profile'), { query: LINK, variables: { bankId } }));
    } catch (error) {
      log(`linking a user to bank ${bankId} failed: ${callProblem(error)}`);
      return { error: unavailable };
    }
    if (isResult(body) && body.data?.linkUserToBank === true) return {};
    // The user-profile rule says who may link (the user alone, first-party): its denial is the grant's.
    const refusal = isResult(body) ? body.errors?.find((e) => ['FORBIDDEN', 'BAD_USER_INPUT'].includes(String(e.extensions?.code))) : undefined;
    if (refusal) return { error: { message: refusal.message, extensions: refusal.extensions } };
    log(`linking a user to bank ${bankId} failed: ${errorCodes(body)}`);
    return { error: unavailable };
  };
}

const RECORD = 'mutation RecordDecisionsWithoutBank($userIds: [ID!]!, $fields: [String!]!) { recordDecisionsWithoutBank(userIds: $userIds, fields: $fields) }';

export function createRecordWithoutBank(options: {
  url: string;
  pool: SubgraphPool;
  mint: (context: RouterContext, audience: string) => Promise<string>;
  /** Called when the records could not be written (the answer still goes out, as a subgraph's does). */
  onFailure?: () => void;
  log?: (line: string) => void;
}): RecordWithoutBank {
  const log = options.log ?? ((line: string) => requestLog().error(line));
  return async (context, userIds, fields) => {
    let problem: string;
    try {
      const { body } = await postGraphQL(options.pool, options.url, await options.mint(context, 'user-profile'), { query: RECORD, variables: { userIds, fields } });
      if (isResult(body) && body.data?.recordDecisionsWithoutBank === true) return;
      problem = errorCodes(body);
    } catch (error) {
      problem = callProblem(error);
    }
    options.onFailure?.();
    log(`audit flush failed: the decision records of the gateway's own answers (no bank to ask) were not written: ${problem}`);
  };
}
