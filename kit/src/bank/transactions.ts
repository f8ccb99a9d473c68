// A page of an account's card transactions under one consent: the consent's window clamps the
// range in the query itself (rows outside it are never read) and its credit/debit permissions
// filter the rows.
import type { ConsentRecord } from '../consent-policy.ts';
import { decodeCursor, pageSize, toConnection } from '../pagination.ts';
import { badInput } from '../reasons.ts';
import { TRANSACTION_PAGE, type BankContext } from './context.ts';
import type { TransactionDirection } from './store.ts';

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
  const after = args.after ? decodeCursor(args.after) : null;
  const directions: TransactionDirection[] = [
    ...(consent.permissions.includes('TRANSACTIONS_CREDITS') ? ['CREDIT' as const] : []),
    ...(consent.permissions.includes('TRANSACTIONS_DEBITS') ? ['DEBIT' as const] : []),
  ];
  const empty = first === 0 || (!!effectiveFrom && !!effectiveTo && effectiveTo < effectiveFrom);
  const rows = empty
    ? []
    : await ctx.store.transactionPage({
        accountId,
        directions,
        from: effectiveFrom,
        to: effectiveTo,
        after: after && { postedAt: after[0], id: after[1] },
        limit: first + 1,
        fields: TRANSACTION_PAGE,
      });
  return { ...toConnection(rows, first, (t) => [t.postedAt, t.id]), clamped, effectiveFrom, effectiveTo };
}
