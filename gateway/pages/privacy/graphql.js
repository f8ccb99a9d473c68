// The page's only way to the data: the public GraphQL API of this gateway, with the person's token.
import { currentToken, signInMode } from './session.js';
import { errorInWords } from './words.js';

/** No request was sent with the person's identity: nothing was done (a 401 comes before any service is asked). */
export class SignInNeeded extends Error {}

/**
 * No readable answer came back (the network failed, or something between the page and the
 * gateway answered instead of it): the request may or may not have been carried out.
 */
export class NoAnswer extends Error {}

/** POST /graphql. Resolves to { data, errors } even when some fields were denied. */
export async function graphql(query, variables = {}) {
  const token = currentToken();
  if (!token) throw new SignInNeeded('You are not signed in.');
  let response;
  try {
    response = await fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
  } catch {
    throw new NoAnswer('This page cannot reach the service right now. Check your connection and try again.');
  }
  let body;
  try {
    body = await response.json();
  } catch {
    throw new NoAnswer(`Something went wrong on our side (the answer could not be read, status ${response.status}). Try again in a moment.`);
  }
  if (response.status === 401) {
    // A developer pasting tokens wants the gateway's reason; everyone else, what to do.
    const why = signInMode() === 'dev-token' ? `: ${body.errors?.[0]?.message ?? 'unauthenticated'}` : '';
    throw new SignInNeeded(`Your sign-in was not accepted${why}.`);
  }
  if (!body.data && body.errors?.length) throw new GraphQLErrors(body.errors);
  return { data: body.data ?? {}, errors: body.errors ?? [] };
}

/** Errors of a request that produced no data at all (a bad request, bad input). */
export class GraphQLErrors extends Error {
  constructor(errors) {
    super(errors.map((e) => e.message).join('; '));
    this.errors = errors;
  }

  /** What went wrong, in plain words: `{ text, code }` (the code for a tooltip only). */
  get lines() {
    return this.errors.map(errorInWords);
  }

  /** The gateway's refusals of bad input (extensions.problems), as it worded them. */
  get problems() {
    return this.errors.flatMap((e) => (e.extensions?.code === 'BAD_USER_INPUT' && Array.isArray(e.extensions.problems) ? e.extensions.problems : []));
  }
}

/** A service the gateway asked gave no answer, in time or at all: what it was asked to do may have been done. */
const NO_ANSWER_CODES = new Set(['SUBGRAPH_TIMEOUT', 'SUBGRAPH_UNAVAILABLE']);

/**
 * The errors of a change that may have been carried out although no result came back: the
 * gateway's "did not answer" errors, or no answer from the gateway at all. Empty when the
 * failure says the change was not made (a refusal, bad input, a lost sign-in).
 */
export function unanswered(error) {
  if (error instanceof NoAnswer) return [{ extensions: { code: 'NO_ANSWER' } }];
  if (error instanceof GraphQLErrors) return error.errors.filter((e) => NO_ANSWER_CODES.has(e.extensions?.code));
  return [];
}

/** One error in plain words: `{ text, code }`. */
export const describeError = errorInWords;

/** The errors of a response at `path` or below it (e.g. ['me', 'consents']). */
export function errorsAt(errors, path) {
  return errors.filter((e) => Array.isArray(e.path) && path.every((part, i) => e.path[i] === part));
}
