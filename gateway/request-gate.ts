// The gate every GraphQL request passes after its caller was identified and before Apollo sees
// it, cheapest checks first: the request's form (method, content type, one operation), the
// persisted-operation policy, the source's nesting and tokens (before graphql-js's recursive
// parser runs), which operation to run, the introspection policy, the page sizes asked for, and
// the operation's measured shape against the limits. Every refusal is a 4xx with a stable code;
// nothing is fetched.
import {
  GraphQLError,
  Kind,
  Lexer,
  Source,
  TokenKind,
  parse,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { HttpError, isJsonMediaType, type ErrorDetail, type GateInput } from '@consent-gateway/kit/http';
import type { ClientRegistry } from './clients.ts';
import type { CallerKind, IntrospectionPolicy, OperationLimits } from './config.ts';
import type { GatewayContext } from './engine.ts';
import { ONCE_PER_OPERATION, PAGE_SIZES, weightsFor } from './graph-costs.ts';
import { exceededLimits, limitExceeded } from './limits.ts';
import { FragmentCycleError, measureDocument, type PageSizeProblem } from './operation-shape.ts';
import { resolveDocument, sha256Hex, type PersistedOperations } from './persisted-operations.ts';
import { sourceNesting } from './source-nesting.ts';

export interface GateOptions {
  limits: OperationLimits;
  introspection: IntrospectionPolicy;
  operations: PersistedOperations;
  anonymousOperations: 'arbitrary' | 'safelist';
  clients: ClientRegistry;
  /** The client-facing schema (loaded by the engine). */
  schema: () => GraphQLSchema;
}

type Params = Record<string, unknown>;

const badRequest = (message: string, code = 'BAD_REQUEST') => new HttpError(400, message, code);
const isObject = (value: unknown): value is Params => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The GraphQL request of a GET's query string, or undefined when it carries none (Apollo's landing page). */
function paramsOfSearch(search: string): Params | undefined {
  const query = new URLSearchParams(search);
  if (!['query', 'extensions', 'documentId'].some((name) => query.has(name))) return undefined;
  const params: Params = {};
  for (const name of new Set(query.keys())) {
    const values = query.getAll(name);
    if (values.length > 1) throw badRequest(`The "${name}" parameter may be given only once`);
    params[name] = values[0];
  }
  for (const name of ['variables', 'extensions']) {
    if (typeof params[name] !== 'string') continue;
    try {
      params[name] = JSON.parse(params[name] as string);
    } catch {
      throw badRequest(`The "${name}" parameter is not valid JSON`);
    }
  }
  return params;
}

function paramsOfBody(input: GateInput): Params {
  const type = input.req.headers['content-type'] ?? '';
  if (!isJsonMediaType(type)) {
    throw new HttpError(415, `A GraphQL POST must be sent as application/json (got ${type ? `"${type.slice(0, 100)}"` : 'no content type'})`, 'UNSUPPORTED_MEDIA_TYPE');
  }
  if (input.body === undefined) throw badRequest('The request body is empty');
  if (Array.isArray(input.body)) throw badRequest('Batched operations are not supported: send one operation per request', 'BATCH_NOT_SUPPORTED');
  if (!isObject(input.body)) throw badRequest('The request body must be a JSON object');
  return input.body;
}

function checkTypes(params: Params): void {
  if (params.variables != null && !isObject(params.variables)) throw badRequest('"variables" must be a JSON object');
  if (params.extensions != null && !isObject(params.extensions)) throw badRequest('"extensions" must be a JSON object');
  if (params.operationName != null && typeof params.operationName !== 'string') throw badRequest('"operationName" must be a string');
}

// graphql-js 16 words it "more that N tokens"; "than" is matched too, should it ever be corrected.
const TOKEN_LIMIT = /^Syntax Error: Document contains more th(?:at|an) \d+ tokens/;

function countTokens(source: string): number {
  const lexer = new Lexer(new Source(source));
  let tokens = 0;
  while (lexer.advance().kind !== TokenKind.EOF) tokens++;
  return tokens;
}

/** The parsed document; a document that does not parse within the limits is refused here, never passed on. */
function parseWithinLimits(query: string, limits: OperationLimits): DocumentNode {
  const nesting = sourceNesting(query);
  if (nesting > limits.maxNesting) throw refuseLimit(limitExceeded('nesting', nesting, limits.maxNesting));
  try {
    return parse(query, { maxTokens: limits.maxTokens, noLocation: true });
  } catch (error) {
    if (!(error instanceof GraphQLError)) throw error;
    if (TOKEN_LIMIT.test(error.message)) throw refuseLimit(limitExceeded('tokens', countTokens(query), limits.maxTokens));
    throw new HttpError(400, error.message, 'GRAPHQL_PARSE_FAILED', { locations: error.locations });
  }
}

function refuseLimit(first: ErrorDetail, more: ErrorDetail[] = []): HttpError {
  return new HttpError(400, first.message, first.code, { extensions: first.extensions, more });
}

/**
 * `first: -1` on a paged field: BAD_USER_INPUT, as the subgraph itself would answer (so a client
 * sees one code for it wherever it is caught), naming the argument, its field, what was sent and
 * what the field accepts.
 */
function pageSizeRefusal(p: PageSizeProblem): ErrorDetail {
  // The field as the caller wrote it, not its type's name (schema-disclosure.ts).
  const field = p.field.slice(p.field.indexOf('.') + 1);
  return {
    message: `"${p.argument}" of ${field} must be between ${p.min} and ${p.max} (got ${p.value}).`,
    code: 'BAD_USER_INPUT',
    extensions: { argument: p.argument, field, value: p.value, min: p.min, max: p.max },
  };
}

function selectOperation(document: DocumentNode, operationName: unknown): OperationDefinitionNode {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  if (typeof operationName === 'string') {
    const named = operations.find((op) => op.name?.value === operationName);
    if (!named) throw badRequest(`The document has no operation named "${operationName.slice(0, 100)}"`, 'OPERATION_RESOLUTION_FAILURE');
    return named;
  }
  if (operations.length === 1) return operations[0]!;
  throw badRequest(
    operations.length === 0 ? 'The document has no operation' : 'The document has several operations: say which one to run with "operationName"',
    'OPERATION_RESOLUTION_FAILURE',
  );
}

/**
 * Root fields of `operation` listed in ONCE_PER_OPERATION that it selects more than once (through
 * aliases, fragments and inline fragments at the root). Each fragment is counted once and its
 * figure reused at every spread (counts stop at 2), so a fragment bomb costs linear time here too;
 * a cycle was refused by the measure before this runs.
 */
function repeatedRootFields(operation: OperationDefinitionNode, document: DocumentNode): string[] {
  const type = operation.operation === 'mutation' ? 'Mutation' : operation.operation === 'query' ? 'Query' : 'Subscription';
  const fragments = new Map(document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((f) => [f.name.value, f]));
  const memo = new Map<string, Map<string, number>>();
  const countsOf = (set: SelectionSetNode, within: ReadonlySet<string>): Map<string, number> => {
    const counts = new Map<string, number>();
    const add = (name: string, n: number) => counts.set(name, Math.min(2, (counts.get(name) ?? 0) + n));
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        if (ONCE_PER_OPERATION.has(`${type}.${selection.name.value}`)) add(selection.name.value, 1);
        continue;
      }
      let inner: Map<string, number> | undefined;
      if (selection.kind === Kind.INLINE_FRAGMENT) inner = countsOf(selection.selectionSet, within);
      else {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        if (!fragment || within.has(name)) continue; // unknown: validation refuses it
        inner = memo.get(name);
        if (!inner) memo.set(name, (inner = countsOf(fragment.selectionSet, new Set([...within, name]))));
      }
      for (const [name, n] of inner) add(name, n);
    }
    return counts;
  };
  return [...countsOf(operation.selectionSet, new Set())].filter(([, n]) => n > 1).map(([name]) => name);
}

export function callerKind(context: GatewayContext): CallerKind {
  return context.identity.sub ? (context.identity.clientType ?? 'third-party') : 'anonymous';
}

export function createRequestGate(options: GateOptions) {
  const { limits } = options;
  const mayRunArbitrary = (context: GatewayContext) =>
    context.identity.sub ? options.clients.get(context.identity.client ?? '')?.allowArbitraryOperations === true : options.anonymousOperations === 'arbitrary';

  return async function gate(input: GateInput, context: GatewayContext): Promise<{ body: unknown; search: string }> {
    if (input.method !== 'GET' && input.method !== 'POST') {
      throw new HttpError(405, `GraphQL is served over GET and POST, not ${input.method.slice(0, 20)}`, 'METHOD_NOT_ALLOWED', { headers: { allow: 'GET, POST' } });
    }
    const sent = input.method === 'GET' ? paramsOfSearch(input.search) : paramsOfBody(input);
    if (!sent) return { body: input.body, search: input.search };
    checkTypes(sent);
    const params = resolveDocument(sent, options.operations, mayRunArbitrary(context));
    const query = params.query as string;

    const document = parseWithinLimits(query, limits);
    const operation = selectOperation(document, params.operationName);
    // Decision records name the operation as the client sent it (every internal token carries it).
    context.operation = { name: operation.name?.value ?? null, hash: sha256Hex(query) };
    if (operation.operation === 'subscription') throw badRequest('Subscriptions are not supported by this gateway', 'SUBSCRIPTION_NOT_SUPPORTED');
    if (input.method === 'GET' && operation.operation !== 'query') {
      throw new HttpError(405, `A ${operation.operation} must be sent with POST`, 'METHOD_NOT_ALLOWED', { headers: { allow: 'POST' } });
    }
    let shape;
    try {
      shape = measureDocument(document, {
        schema: options.schema(),
        variables: params.variables as Params | undefined,
        assumedListSize: limits.assumedListSize,
        pageSizes: PAGE_SIZES,
        weights: weightsFor(callerKind(context)),
      });
    } catch (error) {
      if (error instanceof FragmentCycleError) throw badRequest(error.message, 'FRAGMENT_CYCLE');
      throw error;
    }
    if (shape.introspection && (options.introspection === 'off' || !context.identity.sub)) {
      throw new HttpError(
        403,
        options.introspection === 'off' ? 'Introspection is disabled on this gateway' : 'Introspection is for authenticated callers only',
        'INTROSPECTION_DISABLED',
      );
    }
    // An export or an erasure asks every store: one per operation (aliases would multiply it).
    const repeated: ErrorDetail[] = repeatedRootFields(operation, document).map((field) => ({
      message: `An operation may select ${field} once only.`,
      code: 'DATA_SUBJECT_FIELD_REPEATED',
      extensions: { field },
    }));
    // Page sizes first: a refused one is what the client must fix; the limits it exceeds with it follow.
    const [first, ...more] = [...shape.pageSizeProblems.map(pageSizeRefusal), ...repeated, ...exceededLimits(shape, limits, callerKind(context))];
    if (first) throw refuseLimit(first, more);

    if (input.method === 'POST') return { body: params, search: input.search };
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(params)) if (value != null) search.set(name, typeof value === 'string' ? value : JSON.stringify(value));
    return { body: input.body, search: `?${search}` };
  };
}
