// `auditEvents` for security reviewers: one page of decision records from every store (each
// subgraph and each bank keeps its own), merged. The order is total across stores, `at`
// descending then `id` ascending (record ids are UUIDs, unique everywhere), so a cursor is one
// position in it, the (at, id) of the last record returned: every store is asked for the
// `first + 1` records after that position, the answers are merged and cut to `first`, and the
// extra record only says whether there is a next page. The cursor stays correct however many
// stores there are, and whichever of them answered before.
import { bankOfId } from '@consent-gateway/kit/ids';
import { decodeCursor, encodeCursor } from '@consent-gateway/kit/pagination';
import { badInput } from '@consent-gateway/kit/reasons';
import type { DecisionQuery } from '@consent-gateway/kit/audit';
import { RECORDS_ROUTES, type AuditEvent } from '@consent-gateway/kit/records-routes';
import type { RecordsContext } from './context.ts';
import { storeFailure } from './stores.ts';

export const MAX_AUDIT_EVENTS_PAGE = 500;

/** The GraphQL filter: the store's query, with the data subject called `userId` (and `purpose` as stored: the Purpose enum maps to it). */
type AuditFilterInput = Omit<DecisionQuery, 'subjectUserId' | 'withBank' | 'after' | 'limit'> & { userId?: string | null };

/** (at descending, id ascending): the one order of every store and of the merged page. */
export const newestFirst = (a: Pick<AuditEvent, 'at' | '_id'>, b: Pick<AuditEvent, 'at' | '_id'>) => b.at.localeCompare(a.at) || (a._id < b._id ? -1 : a._id > b._id ? 1 : 0);

export async function auditEvents(_root: unknown, args: { filter?: AuditFilterInput | null; first?: number | null; after?: string | null }, ctx: RecordsContext) {
  const first = args.first ?? 50;
  if (!Number.isInteger(first) || first < 1 || first > MAX_AUDIT_EVENTS_PAGE) throw badInput(`first must be between 1 and ${MAX_AUDIT_EVENTS_PAGE}`);
  const position = args.after ? decodeCursor(args.after) : null;
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
  const unavailable: string[] = [];
  const records: AuditEvent[] = [];
  for (const answer of answers) {
    if (answer.failure) {
      unavailable.push(answer.store.label);
      ctx.problems.push(storeFailure(answer, 'auditEvents', 'its records are missing from this page'));
    } else records.push(...answer.body.records);
  }
  records.sort(newestFirst);
  const page = records.slice(0, first);
  return {
    edges: page.map((record) => ({ cursor: encodeCursor(record.at, record._id), node: { ...record, id: record._id } })),
    pageInfo: { hasNextPage: records.length > first, endCursor: page.length ? encodeCursor(page.at(-1)!.at, page.at(-1)!._id) : (args.after ?? null) },
    unavailable,
  };
}
