// What the cost model (operation-shape.ts) must know of this graph beyond its schema: the page
// sizes each paged field accepts, the fields whose subgraph reads more than it returns, and the
// fields the gateway answers by asking every store (FAN_OUT_WEIGHTS). They are kept here, in one place, next to where each figure is enforced; test/operation-shape.test.ts
// checks them against the code that enforces them, and that every paged field of the graph is
// listed.
import { MAX_PAGE_SIZE } from '@consent-gateway/kit/pagination';
import type { CallerKind } from './config.ts';
import type { PageSizeRange } from './operation-shape.ts';
import { MAX_AUDIT_EVENTS_PAGE } from './records/audit-events.ts';

/**
 * `first` of each paged field, both ends included. The gate refuses a page size outside its
 * range (400 BAD_USER_INPUT naming the argument, the value and the range) before any subgraph is called: the subgraph would refuse it
 * too, but only after the request was planned and sent, and a negative size would first have
 * made everything below it cost nothing.
 */
export const PAGE_SIZES: Readonly<Record<string, PageSizeRange>> = {
  // kit/src/pagination.ts (pageSize), in the bank's transactions.
  'BankAccount.transactions': { min: 0, max: MAX_PAGE_SIZE },
  // kit/src/pagination.ts (pageSize), in subgraphs/messaging/resolvers.ts.
  'Conversation.messages': { min: 0, max: MAX_PAGE_SIZE },
  // kit/src/bank/audit-queries.ts: `limit(args.first, 200)`, from 1.
  'User.accessLog': { min: 1, max: 200 },
  // gateway/records/audit-events.ts, from 1.
  'Query.auditEvents': { min: 1, max: MAX_AUDIT_EVENTS_PAGE },
};

/**
 * What one object of a field costs when it is not one (the default): the records its subgraph
 * reads to return it, where that is many. An access-log entry is one request that read the
 * user's data, and one request leaves a decision record per field it was judged on; the bank
 * reads up to 25 records per entry asked (kit/src/bank/audit-queries.ts, `limit: n * 25`), so
 * `accessLog(first: 200)` reads 5,000 records to return 200 entries.
 */
export const WEIGHTS: Readonly<Record<string, number>> = {
  'User.accessLog': 25,
};

/**
 * The records fields (gateway/records/) are answered by asking every store: each platform
 * subgraph and each bank of the registry. Their weights count that fan-out, for a registry of
 * about ten stores:
 * - `myData` reads everything every store holds about the person (profile, messages, consents,
 *   accounts and transactions, decision records) and `eraseMyData` rewrites it: 2,500 each, so a
 *   first-party app (limit 20,000) can send one, never ten, and the gate refuses more than one
 *   per operation anyway (DATA_SUBJECT_FIELD_REPEATED, request-gate.ts);
 * - every entry of an `auditEvents` page is read from every store (each reads `first + 1`):
 *   an edge weighs 10, so `auditEvents(first: 500)` costs 5,501.
 * Only a first-party caller's call reaches a store (a signed-in user for their own data, a
 * security reviewer for the records); anyone else is refused at the field before any store is
 * asked (gateway/records/permissions.ts), so for them these fields weigh one per object, as any
 * other, and their refusal is the field's own (recorded), not a cost refusal.
 */
export const FAN_OUT_WEIGHTS: Readonly<Record<string, number>> = {
  'Query.myData': 2_500,
  'Mutation.eraseMyData': 2_500,
  'AuditEventConnection.edges': 10,
};

/** Root fields of which one operation may hold one at most (each is a whole fan-out). */
export const ONCE_PER_OPERATION: ReadonlySet<string> = new Set(['Query.myData', 'Mutation.eraseMyData']);

/** The weights for a caller of this kind. */
export function weightsFor(caller: CallerKind): Readonly<Record<string, number>> {
  return caller === 'first-party' ? { ...WEIGHTS, ...FAN_OUT_WEIGHTS } : WEIGHTS;
}
