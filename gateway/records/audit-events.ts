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
import type { RecordsContext } from './context.ts';
import { storeFailure } from './stores.ts';

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
  const answers = await ctx.stores.ask<{ records: AuditEvent[] }>(
    ctx.stores.select(bank ?? undefined),
    RECORDS_ROUTES.auditEvents,
    { filter, limit: first + 1, after: position && { at: position[0], id: position[1] } },
    ctx,
  );
  // A store that refuses the filter as bad input says the caller's query is wrong (a store may
  // know less than the gateway, e.g. an older kit): one error for the request, not one per store.
  const badFilter = answers.find((a) => a.refusal?.code === 'BAD_USER_INPUT');
  if (badFilter) throw badInput(`${badFilter.store.bank ? `The bank ${badFilter.store.bank}` : `The ${badFilter.store.service} service`} refused this filter as bad input`);
  const unavailable: string[] = [];
  const records: AuditEvent[] = [];
  for (const answer of answers) {
    if (answer.body) records.push(...answer.body.records);
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
