// A page of an account's card transactions under one consent: the consent's window clamps the
// range in the query itself (rows outside it are never read) and its credit/debit permissions
// filter the rows.
import type { Document } from 'mongodb';
import type { ConsentRecord } from '@consent-gateway/kit/consent-policy';
import { afterFilter, pageSize, toConnection } from '@consent-gateway/kit/pagination';
import { badInput } from '@consent-gateway/kit/reasons';
import type { BankContext } from './index.ts';
import { collections, TRANSACTION_BASIC, type TransactionDoc } from './store.ts';

export interface PageArgs {
  first?: number | null;
  after?: string | null;
  from?: string | null;
  to?: string | null;
}

const later = (a: string | null, b: string | null) => (!a ? b : !b ? a : a > b ? a : b);
const earlier = (a: string | null, b: string | null) => (!a ? b : !b ? a : a < b ? a : b);

export function clampWindow(args: Pick<PageArgs, 'from' | 'to'>, consent: Pick<ConsentRecord, 'transactionsFrom' | 'transactionsTo'>) {
  const from = args.from ?? null;
  const to = args.to ?? null;
  const effectiveFrom = later(from, consent.transactionsFrom ?? null);
  const effectiveTo = earlier(to, consent.transactionsTo ?? null);
  return { effectiveFrom, effectiveTo, clamped: effectiveFrom !== from || effectiveTo !== to };
}

export async function transactionPage(ctx: BankContext, accountId: string, consent: ConsentRecord, args: PageArgs) {
  const first = pageSize(args.first);
  if (args.from && args.to && args.to < args.from) throw badInput('to is before from');
  const { effectiveFrom, effectiveTo, clamped } = clampWindow(args, consent);
  const directions = [
    ...(consent.permissions.includes('TRANSACTIONS_CREDITS') ? ['CREDIT'] : []),
    ...(consent.permissions.includes('TRANSACTIONS_DEBITS') ? ['DEBIT'] : []),
  ];
  const postedAt: Document = {};
  if (effectiveFrom) postedAt.$gte = effectiveFrom;
  if (effectiveTo) postedAt.$lte = effectiveTo;
  const empty = !!effectiveFrom && !!effectiveTo && effectiveTo < effectiveFrom;
  const filter: Document = {
    accountId,
    direction: { $in: directions },
    ...(Object.keys(postedAt).length ? { postedAt } : {}),
    ...afterFilter('postedAt', args.after, -1),
  };
  const rows = empty || first === 0
    ? []
    : ((await collections(ctx.db)
        .transactions.find(filter, { projection: TRANSACTION_BASIC, sort: { postedAt: -1, _id: -1 }, limit: first + 1 })
        .toArray()) as TransactionDoc[]);
  return { ...toConnection(rows, first, (t) => t.postedAt), clamped, effectiveFrom, effectiveTo };
}
