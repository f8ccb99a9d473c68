// The page's only way to the data: the public GraphQL API of this gateway, with the person's token.
import { currentToken } from './session.js';
import { reasonInWords } from './words.js';

export class SignInNeeded extends Error {}

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
    throw new Error('The gateway cannot be reached. Check your connection and try again.');
  }
  let body;
  try {
    body = await response.json();
  } catch {
    throw new Error(`The gateway answered ${response.status} without a readable result.`);
  }
  if (response.status === 401) throw new SignInNeeded(`Your sign-in was not accepted: ${body.errors?.[0]?.message ?? 'unauthenticated'}. Sign in again.`);
  if (!body.data && body.errors?.length) throw new GraphQLErrors(body.errors);
  return { data: body.data ?? {}, errors: body.errors ?? [] };
}

/** Errors of a request that produced no data at all (a bad request, bad input). */
export class GraphQLErrors extends Error {
  constructor(errors) {
    super(errors.map((e) => e.message).join('; '));
    this.errors = errors;
  }

  /** Lines a person can act on: the server's `problems` for bad input, else each error's message. */
  get lines() {
    return this.errors.flatMap((e) => (Array.isArray(e.extensions?.problems) ? e.extensions.problems : [describeError(e)]));
  }
}

/** One error in words: a denial says why, with the reason's code next to it. */
export function describeError(error) {
  const { code, reason } = error.extensions ?? {};
  if (code === 'FORBIDDEN' && reason) return `${reasonInWords(reason)} (${reason})`;
  return code ? `${error.message} (${code})` : error.message;
}

/** The errors of a response at `path` or below it (e.g. ['me', 'consents']). */
export function errorsAt(errors, path) {
  return errors.filter((e) => Array.isArray(e.path) && path.every((part, i) => e.path[i] === part));
}
