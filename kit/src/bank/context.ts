// A bank subgraph's per-request context: which bank this is, its store, and one DataLoader per
// kind of read (each a narrow set of fields), created fresh for every request: nothing read for
// one request, consents least of all, is ever seen by another.
import DataLoader from 'dataloader';
import type { KitContext } from '../context.ts';
import type { AccessDecisions } from './access.ts';
import type { AccountField, AccountRow, BankStore, MerchantField, MerchantRow, Picked, TransactionField, TransactionRow } from './store.ts';

export interface BankInfo {
  id: string;
  name: string;
}

/** What every account rule needs to decide; no balance, no full account number. */
export const ACCOUNT_BASIC = ['userId', 'maskedNumber', 'currency'] as const satisfies readonly AccountField[];
/** What a transaction rule needs to decide, and nothing of the amount or the merchant. */
export const TRANSACTION_ENVELOPE = ['accountId', 'userId', 'postedAt', 'direction'] as const satisfies readonly TransactionField[];
/** A page of transactions (TRANSACTIONS_BASIC), read after the page's rule passed. */
export const TRANSACTION_PAGE = [...TRANSACTION_ENVELOPE, 'amountMinor', 'currency'] as const satisfies readonly TransactionField[];

export type AccountParent = Picked<AccountRow, (typeof ACCOUNT_BASIC)[number]>;
/** The envelope is always there; the amount only when the page query read it. */
export type TransactionParent = Picked<TransactionRow, (typeof TRANSACTION_ENVELOPE)[number]> & Partial<Pick<TransactionRow, 'amountMinor' | 'currency'>>;

function byId<Row extends { id: string }, F extends keyof Row>(read: (ids: readonly string[], fields: readonly F[]) => Promise<Array<Picked<Row, F> | null>>, fields: readonly F[]) {
  return new DataLoader<string, Picked<Row, F> | null>((ids) => read(ids, fields));
}

export function createLoaders(store: BankStore) {
  const accounts = <F extends AccountField>(fields: readonly F[]) => byId<AccountRow, F>((ids, f) => store.accounts(ids, f), fields);
  const transactions = <F extends TransactionField>(fields: readonly F[]) => byId<TransactionRow, F>((ids, f) => store.transactions(ids, f), fields);
  const merchants = <F extends MerchantField>(fields: readonly F[]) => byId<MerchantRow, F>((ids, f) => store.merchants(ids, f), fields);
  return {
    /** Every consent of a user at this bank, read fresh for each request: nothing outlives a revoke. */
    consentsByUser: new DataLoader((userIds: readonly string[]) => store.consentsOfUsers(userIds)),
    accountsOf: new DataLoader((userIds: readonly string[]) => store.accountsOfUsers(userIds, ACCOUNT_BASIC)),
    account: accounts(ACCOUNT_BASIC),
    accountBalance: accounts(['balanceMinor', 'currency'] as const),
    accountNumber: accounts(['accountNumber'] as const),
    transactionEnvelope: transactions(TRANSACTION_ENVELOPE),
    transactionAmount: transactions(['amountMinor', 'currency'] as const),
    transactionDetail: transactions(['merchantId', 'description'] as const),
    merchant: merchants(['name', 'category'] as const),
    locationCoarse: merchants(['city', 'country'] as const),
    locationPrecise: merchants(['latitude', 'longitude'] as const),
  };
}
export type BankLoaders = ReturnType<typeof createLoaders>;

export interface BankContext extends KitContext {
  bank: BankInfo;
  store: BankStore;
  loaders: BankLoaders;
  /** This request's consent decisions, each made once (access.ts). */
  access: AccessDecisions;
}
