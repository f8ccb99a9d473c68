// `auditEvents` for security reviewers: one page of decision records from every store (each
// subgraph and each bank keeps its own), merged. The order is total across stores, `at`
// descending then `id` ascending (record ids are UUIDs, unique everywhere), so a cursor is one
// position in it, the (at, id) of the last record returned: every store is asked for the
// `first + 1` records after that position, the answers are merged and cut to `first`, and the
// extra record only says whether there is a next page. The cursor stays correct however many
// stores there are, and whichever of them answered before.
import { bankOfId } from '@consent-gateway/kit/ids';
import { decodeCursor, encodeCursor } from '@consent-gateway/kit/pagination';
import { badInput, REASONS } from '@consent-gateway/kit/reasons';
import type { DecisionQuery } from '@consent-gateway/kit/audit';
import { filterValueProblem, RECORDS_ROUTES, type AuditEvent } from '@consent-gateway/kit/records-routes';
import { requestLog } from '@consent-gateway/kit/observability';
import type { RecordsContext } from './context.ts';
import { storeFailure, type RecordStore } from './stores.ts';

export const MAX_AUDIT_EVENTS_PAGE = 500;

/** The GraphQL filter: the store's query, with the data subject called `userId` (and `purpose` as stored: the Purpose enum maps to it). */
type AuditFilterInput = Omit<DecisionQuery, 'subjectUserId' | 'withBank' | 'after' | 'limit'> & { userId?: string | null };

/** (at descending, id ascending): the one order of every store and of the merged page. */
export const newestFirst = (a: Pick<AuditEvent, 'at' | '_id'>, b: Pick<AuditEvent, 'at' | '_id'>) => b.at.localeCompare(a.at) || (a._id < b._id ? -1 : a._id > b._id ? 1 : 0);

/**
 * The filter's values that GraphQL's types do not check, checked here before any store is asked:
 * a bad one is the caller's mistake (one BAD_USER_INPUT naming it and what is allowed), not every
 * store's, and a value no record can have is refused rather than answered with an empty page: a
 * reason that is no reason code, a hash or a name of a shape no operation has, a field that is no
 * field of the graph's schema. (Enums, dates and the rest are checked by GraphQL at the edge.)
 */
function checkFilter(filter: AuditFilterInput, fields: ReadonlySet<string> | undefined): void {
  for (const [name, value] of Object.entries(filter)) {
    if (typeof value !== 'string') continue;
    const problem = filterValueProblem(name, value);
    if (problem) throw badInput(problem, { argument: `filter.${name}`, ...(name === 'reason' ? { allowed: [...REASONS] } : {}) });
  }
  if (filter.field && fields && !fields.has(filter.field)) {
    // Which half is wrong, without listing the schema (introspection may be off).
    const [type, name] = filter.field.split('.') as [string, string];
    const typeKnown = [...fields].some((f) => f.startsWith(`${type}.`));
    const where = typeKnown ? `${type} has no field ${name}` : `${type} is not a type of this graph's schema`;
    throw badInput(`field ${JSON.stringify(filter.field)} names no field of this graph's schema (${where})`, { argument: 'filter.field' });
  }
}

/** How far past the gateway's clock a store's record may be dated (clocks a little apart); later is no decision made yet. */
export const RECORD_CLOCK_SKEW_MS = 5 * 60_000;

/** The filter as sent to every store: the fields a record is compared with as the store compares them (kit/src/audit-mongo.ts). */
type SentFilter = Omit<DecisionQuery, 'withBank' | 'after' | 'limit'>;
const EXACT_FIELDS = ['subjectUserId', 'viewerId', 'bankId', 'outcome', 'reason', 'field', 'client', 'purpose', 'requestId', 'operationName', 'operationHash'] as const;

/**
 * Why a store's answer to the records route is not one it can give, or undefined: a store answers
 * with its own records only (a bank's name that bank and the bank subgraph; a platform
 * subgraph's, that subgraph, about any bank), each matching the filter it was sent, strictly after
 * the position it was sent, in the one order, and at most `limit` of them. Any other answer is
 * that store failing (forged or jammed records never reach the page, and never hold the cursor).
 */
export function foreignAnswer(store: RecordStore, body: unknown, sent: { filter: SentFilter; limit: number; after: { at: string; id: string } | null }, now: Date): string | undefined {
  const records = (body as { records?: unknown } | null | undefined)?.records;
  if (!Array.isArray(records)) return 'no records list';
  if (records.length > sent.limit) return `${records.length} records, more than the ${sent.limit} asked`;
  const latest = new Date(now.getTime() + RECORD_CLOCK_SKEW_MS).toISOString();
  let previous: AuditEvent | undefined;
  for (const [n, item] of records.entries()) {
    const record = item as AuditEvent;
    const problem = ((): string | undefined => {
      if (typeof record !== 'object' || record === null || typeof record._id !== 'string' || typeof record.at !== 'string') return 'not a record';
      if (Number.isNaN(Date.parse(record.at)) || new Date(record.at).toISOString() !== record.at) return 'its time is not an ISO-8601 UTC time';
      if (record.at > latest) return 'dated in the future';
      if (record.subgraph !== store.service) return `names the subgraph ${JSON.stringify(String(record.subgraph))}`;
      if (store.bank !== undefined && record.bankId !== store.bank) return `names the bank ${JSON.stringify(String(record.bankId))}`;
      for (const field of EXACT_FIELDS) {
        const wanted = sent.filter[field];
        if (wanted != null && wanted !== '' && record[field] !== wanted) return `does not match the filter's ${field}`;
      }
      const consent = sent.filter.consentId;
      if (consent && !(typeof record.consentId === 'string' && record.consentId.split(',').includes(consent))) return "does not match the filter's consentId";
      if (sent.filter.from && record.at < sent.filter.from) return "is before the filter's from";
      if (sent.filter.to && record.at > sent.filter.to) return "is after the filter's to";
      if (sent.after && newestFirst({ at: sent.after.at, _id: sent.after.id }, record) >= 0) return 'is not after the cursor sent';
      if (previous && newestFirst(previous, record) >= 0) return 'is out of order';
      return undefined;
    })();
    if (problem) return `record ${n} ${problem}`;
    previous = record;
  }
  return undefined;
}

export async function auditEvents(_root: unknown, args: { filter?: AuditFilterInput | null; first?: number | null; after?: string | null }, ctx: RecordsContext) {
  const first = args.first ?? 50;
  if (!Number.isInteger(first) || first < 1 || first > MAX_AUDIT_EVENTS_PAGE) throw badInput(`first must be between 1 and ${MAX_AUDIT_EVENTS_PAGE}`);
  const position = args.after ? decodeCursor(args.after) : null;
  checkFilter(args.filter ?? {}, ctx.fields);
  const { userId, ...rest } = args.filter ?? {};
  const filter = { ...rest, subjectUserId: userId };
  // A bank's records hold that bank's data only: a filter that names a bank (or a consent, whose
  // id names its bank) needs that bank and the platform's subgraphs, not every bank.
  const bank = filter.bankId ?? bankOfId(filter.consentId);
  const sent = { filter, limit: first + 1, after: position && { at: position[0], id: position[1] } };
  const answers = await ctx.stores.ask<{ records: AuditEvent[] }>(ctx.stores.select(bank ?? undefined), RECORDS_ROUTES.auditEvents, sent, ctx);
  // A store that refuses the filter as bad input says the caller's query is wrong (a store may
  // know less than the gateway, e.g. an older kit): one error for the request, not one per store.
  const badFilter = answers.find((a) => a.refusal?.code === 'BAD_USER_INPUT');
  if (badFilter) throw badInput(`${badFilter.store.bank ? `The bank ${badFilter.store.bank}` : `The ${badFilter.store.service} service`} refused this filter as bad input`);
  const unavailable: string[] = [];
  const records: AuditEvent[] = [];
  for (const answer of answers) {
    // An answer that holds another store's records, or records not asked for, is that store
    // failing, named like one that did not answer; what was wrong goes to the log only.
    const foreign = answer.body ? foreignAnswer(answer.store, answer.body, sent, ctx.now) : undefined;
    if (foreign) requestLog().warn({ subgraph: answer.store.service, bank: answer.store.bank }, `${answer.store.label} ${RECORDS_ROUTES.auditEvents}: an answer that is not its own: ${foreign}`);
    if (answer.body && !foreign) records.push(...answer.body.records);
    else {
      unavailable.push(answer.store.label);
      ctx.problems.push(storeFailure(answer, 'auditEvents', 'its records are missing from this page'));
    }
  }
  records.sort(newestFirst);
  const page = records.slice(0, first);
  return {
    edges: page.map((record) => ({ cursor: encodeCursor(record.at, record._id), node: { ...record, id: record._id } })),
    pageInfo: { hasNextPage: records.length > first, endCursor: page.length ? encodeCursor(page.at(-1)!.at, page.at(-1)!._id) : (args.after ?? null) },
    unavailable,
  };
}
