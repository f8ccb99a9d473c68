// A page of an account's card transactions under one consent: the consent's window clamps the
// range in the query itself (rows outside it are never read) and its credit/debit permissions
// filter the rows. The page reads what the page's consent opens on every row it can return:
// the envelope and the amount (TRANSACTIONS_BASIC, the page's own permission), the detail fields
// the query asks for (description, the merchant's id, name, category) when the same consent
// grants TRANSACTIONS_DETAIL, and the merchant's city or country asked for when it also grants
// MERCHANT_LOCATION_COARSE; every row's fields still pass their own rules before they resolve
// (permissions.ts).
import type { GraphQLResolveInfo } from 'graphql';
import { effectivePermissions, type ConsentRecord } from '../consent-policy.ts';
import { decodeCursor, pageSize, toConnection } from '../pagination.ts';
import { badInput } from '../reasons.ts';
import { selectedUnder } from '../selection.ts';
import { TRANSACTION_ENVELOPE, TRANSACTION_PAGE, type BankContext } from './context.ts';
import type { TransactionDirection, TransactionField } from './store.ts';

export interface PageArgs {
  first?: number | null;
  after?: string | null;
  from?: string | null;
  to?: string | null;
}

/** The row fields a query asks of a transaction beyond its envelope and amount: those TRANSACTIONS_DETAIL opens, and those MERCHANT_LOCATION_COARSE opens. */
export interface DetailAsked {
  detail: TransactionField[];
  place: TransactionField[];
}

/** What the selection under `under` asks of a transaction (`fields`: the names selected there). */
function detailAsked(info: GraphQLResolveInfo, under: readonly string[], fields: Set<string>, type?: string): DetailAsked {
  const asked: DetailAsked = { detail: fields.has('description') ? ['description'] : [], place: [] };
  if (!fields.has('merchant')) return asked;
  asked.detail.push('merchantId');
  const merchant = selectedUnder(info, [...under, 'merchant'], type);
  if (merchant.has('name')) asked.detail.push('merchantName');
  if (merchant.has('category')) asked.detail.push('merchantCategory');
  if (merchant.has('location')) {
    const location = selectedUnder(info, [...under, 'merchant', 'location'], type);
    if (location.has('city')) asked.place.push('merchantCity');
    if (location.has('country')) asked.place.push('merchantCountry');
  }
  return asked;
}

/** What the page's query asks of its rows beyond the page's own fields. */
export function pageDetailAsked(info: GraphQLResolveInfo): DetailAsked {
  return detailAsked(info, ['edges', 'node'], selectedUnder(info, ['edges', 'node']));
}

const askedOfTransaction = new WeakMap<GraphQLResolveInfo['fieldNodes'], DetailAsked & { amount: boolean }>();

/**
 * A transaction its owner looks up (a message's, or by id), read in one go: its envelope, and
 * the fields the query asks of it that the owner's consent opens on every row of theirs (the
 * amount under TRANSACTIONS_BASIC; description and merchant under TRANSACTIONS_DETAIL, the
 * merchant's city and country under MERCHANT_LOCATION_COARSE), since
 * their rules can only pass; the read is of the owner's rows only, so another user's id reads
 * nothing. The owner's consents are read first (the rules need them anyway), then the row: two
 * reads in a row, where the envelope, the consents and then the amount were three.
 */
export async function ownTransaction(ctx: BankContext, id: string, info: GraphQLResolveInfo) {
  const own = ctx.loaders.ownTransactions!;
  const owner = ctx.identity.sub!;
  // Every representation of one `_entities` call shares its field nodes: the selection is walked once.
  let asked = askedOfTransaction.get(info.fieldNodes);
  if (!asked) {
    const fields = selectedUnder(info, [], 'CardTransaction');
    askedOfTransaction.set(info.fieldNodes, (asked = { amount: fields.has('amount'), ...detailAsked(info, [], fields, 'CardTransaction') }));
  }
  const [basic, detail, place] = await Promise.all([
    asked.amount && ctx.access.opensEveryRow(owner, 'TRANSACTIONS_BASIC'),
    asked.detail.length > 0 && ctx.access.opensEveryRow(owner, 'TRANSACTIONS_DETAIL'),
    asked.place.length > 0 && ctx.access.opensEveryRow(owner, 'MERCHANT_LOCATION_COARSE'),
  ]);
  const fields = [...(basic ? TRANSACTION_PAGE : TRANSACTION_ENVELOPE), ...(detail ? asked.detail : []), ...(detail && place ? asked.place : [])];
  return own.load(id, fields);
}

/** A consent bound as the stored dates are written (toISOString), so that comparing text compares times. */
const canonical = (bound: string | null | undefined) => (bound && !Number.isNaN(Date.parse(bound)) ? new Date(bound).toISOString() : (bound ?? null));

const later = (a: string | null, b: string | null) => (!a ? b : !b ? a : a > b ? a : b);
const earlier = (a: string | null, b: string | null) => (!a ? b : !b ? a : a < b ? a : b);

export function clampWindow(args: Pick<PageArgs, 'from' | 'to'>, consent: Pick<ConsentRecord, 'transactionsFrom' | 'transactionsTo'>) {
  const from = args.from ?? null;
  const to = args.to ?? null;
  const effectiveFrom = later(from, canonical(consent.transactionsFrom));
  const effectiveTo = earlier(to, canonical(consent.transactionsTo));
  return { effectiveFrom, effectiveTo, clamped: effectiveFrom !== from || effectiveTo !== to };
}

export async function transactionPage(ctx: BankContext, accountId: string, consent: ConsentRecord, args: PageArgs, asked: DetailAsked) {
  const first = pageSize(args.first);
  if (args.from && args.to && args.to < args.from) throw badInput('to is before from');
  const { effectiveFrom, effectiveTo, clamped } = clampWindow(args, consent);
  const after = args.after ? decodeCursor(args.after) : null;
  const directions: TransactionDirection[] = [
    ...(consent.permissions.includes('TRANSACTIONS_CREDITS') ? ['CREDIT' as const] : []),
    ...(consent.permissions.includes('TRANSACTIONS_DEBITS') ? ['DEBIT' as const] : []),
  ];
  // Every row the query can return is in this consent's window and directions: if it grants
  // TRANSACTIONS_DETAIL (MERCHANT_LOCATION_COARSE), each row's detail (place) rules pass, by this
  // consent if not by a preferred one.
  const granted = effectivePermissions(consent.permissions);
  const detail = granted.has('TRANSACTIONS_DETAIL');
  const place = detail && granted.has('MERCHANT_LOCATION_COARSE');
  const empty = first === 0 || (!!effectiveFrom && !!effectiveTo && effectiveTo < effectiveFrom);
  const rows = empty
    ? []
    : await ctx.loaders.transactionPages.load({
        accountId,
        directions,
        from: effectiveFrom,
        to: effectiveTo,
        after: after && { postedAt: after[0], id: after[1] },
        limit: first + 1,
        fields: [...TRANSACTION_PAGE, ...(detail ? asked.detail : []), ...(place ? asked.place : [])],
      });
  return { ...toConnection(rows, first, (t) => [t.postedAt, t.id]), clamped, effectiveFrom, effectiveTo };
}
