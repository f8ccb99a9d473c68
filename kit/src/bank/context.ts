// A bank subgraph's per-request context: which bank this is, its store, and its loaders, created
// fresh for every request: nothing read for one request, consents least of all, is ever seen by
// another. Rows are read by id through one field loader per kind of row (field-loader.ts): each
// resolver asks for the few fields its rule opened, and the asks of one tick become one read per
// set of fields.
import DataLoader from 'dataloader';
import type { KitContext } from '../context.ts';
import { FieldLoader } from '../field-loader.ts';
import type { AccessDecisions } from './access.ts';
import type { AccountField, AccountRow, BankStore, MerchantField, MerchantRow, Picked, TransactionField, TransactionPageQuery, TransactionRow } from './store.ts';

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

/** A loader of some fields of a row by id (one kind of read). */
const fieldsOf = <Row extends { id: string }, F extends Exclude<keyof Row, 'id'> & string, K extends F>(rows: FieldLoader<Row, F>, fields: readonly K[]) => ({
  load: (id: string) => rows.load(id, fields),
});

/**
 * A request's loaders. `userId`: the signed-in user the request acts for, if it does (not an agent
 * or a reviewer); with a store that reads rows of one owner (`ownTransactions`), it gets a loader
 * of their own transactions (see `ownTransactions` below).
 */
export function createLoaders(store: BankStore, userId?: string) {
  const accounts = new FieldLoader<AccountRow, AccountField>((ids, f) => store.accounts(ids, f));
  const transactions = new FieldLoader<TransactionRow, TransactionField>((ids, f) => store.transactions(ids, f));
  const merchants = new FieldLoader<MerchantRow, MerchantField>((ids, f) => store.merchants(ids, f));
  const readOwn = userId && store.ownTransactions?.bind(store);
  // Each user's accounts at this bank, with `fields`, primed into the account rows.
  const accountsOfUsers = <K extends AccountField>(fields: readonly K[]) =>
    new DataLoader(async (userIds: readonly string[]) => {
      const lists = await store.accountsOfUsers(userIds, fields);
      for (const list of lists) accounts.prime(list, fields);
      return lists;
    });
  return {
    /**
     * The user's own transactions by id (another user's id reads nothing and answers null): a
     * referenced transaction read together with the fields the user's consent opens on every row
     * of theirs, primed into the transaction rows like a page (resolvers.ts, ownTransaction).
     */
    ownTransactions: readOwn
      ? new FieldLoader<TransactionRow, TransactionField>(async (ids, f) => {
          const rows = await readOwn(userId, ids, f);
          transactions.prime(rows.filter((r) => r !== null), f);
          return rows;
        })
      : undefined,
    /** Every consent of a user at this bank, read fresh for each request: nothing outlives a revoke. */
    consentsByUser: new DataLoader((userIds: readonly string[]) => store.consentsOfUsers(userIds)),
    accountsOf: accountsOfUsers(ACCOUNT_BASIC),
    /**
     * The same lists read with each account's balance, for an owner whose consents open BALANCES
     * (resolvers.ts, User.accounts): that rule, one decision for every account of one owner, can
     * then only pass, and the balances come with the list instead of one read later.
     */
    accountsWithBalanceOf: accountsOfUsers([...ACCOUNT_BASIC, 'balanceMinor'] as const),
    /**
     * Pages of one tick are read side by side and handed back together, so that their rows'
     * fields (merchants...) are asked in one tick and read together too.
     */
    transactionPages: new DataLoader(
      async (queries: readonly TransactionPageQuery<TransactionField>[]) => {
        const pages = await Promise.all(queries.map((q) => store.transactionPage(q)));
        pages.forEach((page, i) => transactions.prime(page, queries[i]!.fields));
        return pages;
      },
      { cache: false },
    ),
    account: fieldsOf(accounts, ACCOUNT_BASIC),
    accountBalance: fieldsOf(accounts, ['balanceMinor', 'currency'] as const),
    accountNumber: fieldsOf(accounts, ['accountNumber'] as const),
    transactionEnvelope: fieldsOf(transactions, TRANSACTION_ENVELOPE),
    transactionAmount: fieldsOf(transactions, ['amountMinor', 'currency'] as const),
    /**
     * One field of a transaction (its description, its merchant's id, or the merchant's name,
     * category, city or country, which come with the card transaction: store.ts); a row's fields
     * asked in one tick are one read.
     */
    transactionField: <K extends TransactionField>(id: string, field: K) => transactions.load(id, [field]),
    locationPrecise: fieldsOf(merchants, ['latitude', 'longitude'] as const),
    /** The field loaders themselves, for priming (tests, benchmarks). */
    rows: { accounts, transactions, merchants },
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
