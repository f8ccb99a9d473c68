// The records routes that every subgraph built with the kit serves beside /graphql, for the
// gateway alone (its token, audience = this subgraph, like every GraphQL call):
//   POST /records/audit-events  a page of this store's decision records, for security reviewers;
//   POST /records/export        everything this subgraph holds about the user who asks;
//   POST /records/erase         erasure of it (the user themself, first-party);
//   POST /records/refused       records a refusal of one of those fields that the gateway gave
//                               itself, decided again here (the gateway asks user-profile).
// The gateway answers `auditEvents`, `myData` and `eraseMyData` by calling these on every
// subgraph and every bank and merging the answers (gateway/records/). They are routes, not
// GraphQL fields: a root field cannot be answered by several subgraphs through federation, and
// they must not appear in any subgraph's schema. Each request is judged here again, and its
// decision is written to this store's records before anything is read or erased.
// The gateway's token says when it stops waiting (`dl`): past it, a request is refused before it
// is judged (504 DEADLINE_EXCEEDED), and an export or erasure under way stops at its next step
// (an export checks again between each page of records it reads), so nobody's records are read
// for an answer nobody waits for. An export reads at most EXPORT_MAX_DECISION_RECORDS decision
// records for its access log, the newest, and says so in the document when there were more.
import type { IncomingMessage } from 'node:http';
import { accessLogOf, DecisionRecorder, type AuditSink, type AuditStore, type DecisionQuery, type StoredRecord } from './audit.ts';
import { ERASURE_FIELD, type Pseudonymizer } from './audit-chain.ts';
import { firstPartyUserDenial, reviewerDenial } from './consent-policy.ts';
import { DEADLINE_EXCEEDED, DEADLINE_MESSAGE } from './context.ts';
import type { Identity } from './identity.ts';
import { HttpError, type PostRoute } from './http.ts';
import { identifyRequest, labelRequest, noteSentOperation, requestLog } from './observability.ts';
import { gatewayClaims, pastDeadline, type GatewayKeys, type InternalClaims } from './internal-token.ts';
import { REASONS, type Reason } from './reasons.ts';

export const RECORDS_ROUTES = { auditEvents: '/records/audit-events', export: '/records/export', erase: '/records/erase', refused: '/records/refused' } as const;

/** What a subgraph holds about a person, for their export and their erasure (docs/consent-policy.md, "Data-subject rights"). */
export interface DataSubjectAdapter {
  /** Everything this subgraph holds about the user, as plain JSON: their own data, no other person's ids. */
  exportSubject(userId: string): Promise<Record<string, unknown>>;
  /**
   * Deletes what this subgraph holds about the user, or cuts it from them (their id replaced by
   * `pseudonym`, this store's keyed pseudonym of it); idempotent. Returns counts by kind.
   */
  eraseSubject(subject: { userId: string; pseudonym: string }): Promise<Record<string, number>>;
}

/**
 * The most decision records one export reads for the person's access log, newest first (10,000:
 * a few MB of access log at most, well under the gateway's SUBGRAPH_MAX_RESPONSE_BYTES). When
 * there are more, the export lists the newest and says so (`accessLogTruncated`): older records
 * stay in this store's decision records, where a security reviewer pages through them.
 */
export const EXPORT_MAX_DECISION_RECORDS = 10_000;
/** How many records an export reads at a time; the deadline is checked before each page. */
const EXPORT_PAGE = 500;

/** The largest page a reviewer's query asks one store for (the gateway asks `first + 1`). */
export const MAX_AUDIT_PAGE = 501;

/** A record as a reviewer reads it: everything but the pseudonyms. */
export type AuditEvent = Omit<StoredRecord, 'viewerRef' | 'subjectRef'>;

export interface AuditEventsRequest {
  filter?: Omit<DecisionQuery, 'limit' | 'after' | 'withBank'>;
  limit: number;
  after?: { at: string; id: string } | null;
}

const FILTER_FIELDS = [
  'subjectUserId', 'viewerId', 'bankId', 'consentId', 'outcome', 'reason', 'field', 'client', 'purpose', 'requestId', 'operationName', 'operationHash', 'from', 'to',
] as const;

/** What a record's `operationHash` is: the SHA-256 of the document, in lower-case hex. */
export const OPERATION_HASH = /^[0-9a-f]{64}$/;
/** What a record's `operationName` is: a GraphQL name (an anonymous operation has none). */
export const OPERATION_NAME = /^[_A-Za-z][_0-9A-Za-z]*$/;
/** What a record's `field` is: a schema coordinate, `Type.field`. */
export const FIELD_COORDINATE = /^[_A-Za-z][_0-9A-Za-z]*\.[_A-Za-z][_0-9A-Za-z]*$/;

/**
 * Why a filter value can match no record, whatever the store holds (a value no record can have),
 * or undefined. The gateway asks the same before asking any store; a store refuses it too.
 */
export function filterValueProblem(name: string, value: string): string | undefined {
  const quoted = JSON.stringify(value.slice(0, 100));
  if (name === 'outcome' && value !== 'ALLOW' && value !== 'DENY') return 'outcome is ALLOW or DENY';
  if (name === 'reason' && !(REASONS as readonly string[]).includes(value)) return `reason ${quoted} is not a reason code: it is one of ${REASONS.join(', ')}`;
  if (name === 'operationHash' && !OPERATION_HASH.test(value)) return `operationHash ${quoted} is not a SHA-256 in lower-case hex (64 characters 0-9a-f)`;
  if (name === 'operationName' && !OPERATION_NAME.test(value)) return `operationName ${quoted} is not a GraphQL operation name`;
  if (name === 'field' && !FIELD_COORDINATE.test(value)) return `field ${quoted} is not a schema coordinate (Type.field, e.g. BankAccount.balance)`;
  return undefined;
}

const bad = (message: string) => new HttpError(400, message, 'BAD_USER_INPUT');

function auditEventsRequest(body: unknown): DecisionQuery {
  const input = (body ?? {}) as Partial<AuditEventsRequest>;
  const limit = input.limit;
  if (!Number.isInteger(limit) || limit! < 1 || limit! > MAX_AUDIT_PAGE) throw bad(`limit must be between 1 and ${MAX_AUDIT_PAGE}`);
  const query: DecisionQuery = { limit: limit! };
  for (const [name, value] of Object.entries(input.filter ?? {})) {
    if (value === null || value === undefined) continue;
    if (!(FILTER_FIELDS as readonly string[]).includes(name) || typeof value !== 'string') throw bad(`unknown filter ${JSON.stringify(name)}`);
    const problem = filterValueProblem(name, value);
    if (problem) throw bad(problem);
    (query as unknown as Record<string, string>)[name] = value;
  }
  const after = input.after;
  if (after !== undefined && after !== null) {
    if (typeof after.at !== 'string' || typeof after.id !== 'string') throw bad('after is { at, id }');
    query.after = { at: after.at, id: after.id };
  }
  return query;
}

const withoutPseudonyms = ({ viewerRef: _v, subjectRef: _s, ...event }: StoredRecord): AuditEvent => event;

export interface RecordsRoutesOptions {
  /** The subgraph's name, in its decision records. */
  name: string;
  /** A bank's id: every record of a bank names it. */
  bankId?: string;
  /** The audience of the gateway's tokens for this subgraph. */
  audience: string;
  gatewayKey: GatewayKeys;
  store: AuditStore;
  /** The subgraph's chained sink: the decision on each of these requests is recorded like any other. */
  sink: AuditSink;
  pseudonym: Pseudonymizer;
  dataSubject?: DataSubjectAdapter;
  /** The most decision records an export reads for its access log (default EXPORT_MAX_DECISION_RECORDS). */
  exportMaxDecisionRecords?: number;
}

/**
 * The gateway has stopped waiting for this request (its token's `dl`): 504 DEADLINE_EXCEEDED.
 * `started`: whether some of it already ran (an erasure's earlier steps; they are idempotent, and
 * the gateway has told the person to ask again).
 */
function stillAwaited(claims: InternalClaims, started = false): void {
  if (!pastDeadline(claims.deadline)) return;
  requestLog().warn({ code: DEADLINE_EXCEEDED, lateMs: Date.now() - claims.deadline!, started }, 'records route stopped: the gateway had stopped waiting for this request');
  throw new HttpError(504, started ? 'The gateway stopped waiting for this request (its deadline passed): the rest of it was not done.' : DEADLINE_MESSAGE, DEADLINE_EXCEEDED);
}

/** The records fields and the rule that judges each (the gateway's rule too: gateway/records/permissions.ts). */
const RECORDS_DECISIONS: Record<string, { rule: string; denial: (identity: Identity) => Reason | undefined; subject?: boolean }> = {
  'Query.auditEvents': { rule: 'isSecurityReviewer', denial: reviewerDenial },
  // The person themself: the decision is about them.
  'Query.myData': { rule: 'isFirstPartyUser', denial: firstPartyUserDenial, subject: true },
  [ERASURE_FIELD]: { rule: 'isFirstPartyUser', denial: firstPartyUserDenial, subject: true },
};

/** The records fields and the rule each is judged and recorded under (for the authorization map). */
export const RECORDS_FIELD_RULES: ReadonlyArray<{ field: string; rule: string }> = Object.entries(RECORDS_DECISIONS).map(([field, { rule }]) => ({ field, rule }));

export function recordsRoutes(options: RecordsRoutesOptions): Record<string, PostRoute> {
  /** The gateway's claims; from then on the request's lines carry its id, and its access line the gateway's label of the client's operation. */
  const verified = async (req: IncomingMessage) => {
    const claims = await gatewayClaims(req, options.audience, options.gatewayKey);
    identifyRequest(claims.requestId, claims.identity);
    labelRequest(claims.operationLabel);
    noteSentOperation(claims.operation?.name);
    // Too late already: nothing is judged, recorded, read or erased.
    stillAwaited(claims);
    return claims;
  };

  /**
   * The person's access log from this store's decision records (reads of their data someone was
   * allowed), the newest EXPORT_MAX_DECISION_RECORDS at most, read a page at a time while the
   * gateway still waits; and what was left out, if anything.
   */
  async function accessLogFor(claims: InternalClaims, userId: string) {
    const max = options.exportMaxDecisionRecords ?? EXPORT_MAX_DECISION_RECORDS;
    const read: StoredRecord[] = [];
    let after: DecisionQuery['after'] = null;
    // One more than the limit, to know whether there are more, in pages no larger than needed.
    while (read.length <= max) {
      stillAwaited(claims, true);
      const limit = Math.min(EXPORT_PAGE, max + 1 - read.length);
      const page = await options.store.findRecords({ subjectUserId: userId, outcome: 'ALLOW', after, limit });
      // Only this person's allowed reads, whatever the store returned (one that forgot its filter hands over no one else's).
      read.push(...page.filter((r) => r.subjectUserId === userId && r.outcome === 'ALLOW'));
      if (page.length < limit) break;
      const last = page.at(-1)!;
      after = { at: last.at, id: last._id };
    }
    if (read.length <= max) return { accessLog: accessLogOf(read) };
    const included = read.slice(0, max);
    const oldest = included.at(-1)?.at ?? null;
    return {
      accessLog: accessLogOf(included),
      // Not counted: counting them would mean reading them all, which this limit is there to avoid.
      accessLogTruncated: {
        decisionRecordsIncluded: max,
        decisionRecordsLeftOut: 'at least 1 (not counted: counting them would mean reading them all)',
        leftOutAreAtOrBefore: oldest,
        howToGetThem:
          `This export's access log covers the newest ${max} decision records about you in this service; older ones (at or before ${oldest}) are kept, unchanged, in its decision records. ` +
          `A security reviewer can page through them for you (auditEvents with filter { userId: your id, outcome: ALLOW, to: "${oldest}" }): ask the platform's privacy contact.`,
      },
    };
  }

  /** Judges the caller on `field` with its rule and records the decision; the reason of a denial, and when it was made. */
  async function decide(claims: InternalClaims, field: string): Promise<{ reason?: Reason; at: string }> {
    const decision = RECORDS_DECISIONS[field]!;
    const reason = decision.denial(claims.identity);
    const recorder = new DecisionRecorder(options.name, claims.identity, claims.requestId, claims.operation, options.bankId);
    const { at } = recorder.record({
      rule: decision.rule,
      field,
      outcome: reason ? 'DENY' : 'ALLOW',
      reason,
      subjectUserId: decision.subject ? claims.identity.sub : undefined,
    });
    await recorder.flush(options.sink);
    return { reason, at };
  }

  /** Judges the caller and records the decision (before anything is read or erased); refuses a denial; when the decision was made. */
  async function judge(claims: InternalClaims, field: string): Promise<string> {
    const { reason, at } = await decide(claims, field);
    if (reason) throw new HttpError(403, `Forbidden: ${field} is not for this caller`, 'FORBIDDEN', { extensions: { reason } });
    return at;
  }

  return {
    [RECORDS_ROUTES.auditEvents]: async (req, body) => {
      const claims = await verified(req);
      const query = auditEventsRequest(body);
      await judge(claims, 'Query.auditEvents');
      stillAwaited(claims, true);
      const records = await options.store.findRecords(query);
      return { status: 200, body: { records: records.map(withoutPseudonyms) } };
    },
    // The gateway refused one of the records fields to the request's viewer (it asks no store for
    // anything then): this store, the keeper of the gateway's own decisions, decides it again with
    // the same rule and records it, reading nothing. The gateway says which field, never the decision.
    [RECORDS_ROUTES.refused]: async (req, body) => {
      const claims = await verified(req);
      const field = (body as { field?: unknown } | undefined)?.field;
      if (typeof field !== 'string' || !Object.hasOwn(RECORDS_DECISIONS, field)) throw bad(`field is one of ${Object.keys(RECORDS_DECISIONS).join(', ')}`);
      const { reason } = await decide(claims, field);
      return { status: 200, body: { recorded: true, outcome: reason ? 'DENY' : 'ALLOW', reason: reason ?? null } };
    },
    [RECORDS_ROUTES.export]: async (req) => {
      const claims = await verified(req);
      await judge(claims, 'Query.myData');
      const userId = claims.identity.sub!;
      stillAwaited(claims, true);
      const held = (await options.dataSubject?.exportSubject(userId)) ?? {};
      return { status: 200, body: { ...held, ...(await accessLogFor(claims, userId)) } };
    },
    [RECORDS_ROUTES.erase]: async (req) => {
      const claims = await verified(req);
      // The erasure's own record, written first, is what lets verification tell this erasure's
      // removal of plain ids from tampering (audit-chain.ts): the records up to it are erased.
      const until = await judge(claims, ERASURE_FIELD);
      const userId = claims.identity.sub!;
      const pseudonym = options.pseudonym(userId);
      stillAwaited(claims, true);
      const erased = (await options.dataSubject?.eraseSubject({ userId, pseudonym })) ?? {};
      // Last: the decision just recorded for this request is pseudonymized with the rest.
      stillAwaited(claims, true);
      const decisionRecords = await options.store.pseudonymize(pseudonym, until);
      return { status: 200, body: { erased: { ...erased, decisionRecordsPseudonymized: decisionRecords } } };
    },
  };
}
