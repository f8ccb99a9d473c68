// The data adapter between the bank subgraph and a bank's own store. The kit ships one for
// MongoDB (`@consent-gateway/kit/bank-mongo`); a bank whose data lives elsewhere implements this
// interface and passes it to `createBankSubgraph`. docs/partner-banks.md walks through it.
//
// Rules of the interface, which the subgraph's privacy promises depend on:
// - Reads take the ids AND the fields wanted, and read those fields only: a balance is read only
//   by the balance field's own loader, after its consent rule passed. Never return more.
// - The kit batches above the adapter (a field loader per kind of row and request: the asks of
//   one tick are one call per set of fields), so each call gets every id of one tick at once:
//   answer them with one query, not one per id.
// - Results follow the order of the ids given; `null` where an id is unknown.
// - Everything is the bank's own data: ids of other banks never reach the adapter.
// - Nothing may be cached across calls: consents especially are read fresh for every request,
//   so that a revoke closes every request that starts after it returns.
import type { AuditStore } from '../audit.ts';
import type { ConsentRecord } from '../consent-policy.ts';

/** An account at this bank. */
export interface AccountRow {
  id: string;
  /** The customer (the platform's user id) who owns it. */
  userId: string;
  /** What an account list shows, e.g. `•••• 4821`. */
  maskedNumber: string;
  /** Full identifier (IBAN or account number): ACCOUNTS_DETAIL only. */
  accountNumber: string;
  /** ISO 4217. */
  currency: string;
  /** Current balance in minor units (cents): BALANCES only. */
  balanceMinor: number;
}

export type TransactionDirection = 'CREDIT' | 'DEBIT';

/** A card transaction at this bank. */
export interface TransactionRow {
  id: string;
  accountId: string;
  userId: string;
  /** UTC ISO-8601; sorts as text. */
  postedAt: string;
  direction: TransactionDirection;
  /** Negative for money out. */
  amountMinor: number;
  currency: string;
  description: string;
  merchantId: string | null;
  /**
   * The merchant as the card network reports it with each card transaction (ISO 8583: the card
   * acceptor's name, city and country, data element 43; its category, element 18): part of the
   * transaction itself, null without a merchant.
   */
  merchantName: string | null;
  merchantCategory: string | null;
  merchantCity: string | null;
  merchantCountry: string | null;
}

/** Where a merchant is precisely (MERCHANT_LOCATION_PRECISE): from the bank's own merchant records, by merchant id. */
export interface MerchantRow {
  id: string;
  latitude: number;
  longitude: number;
}

export type AccountField = Exclude<keyof AccountRow, 'id'>;
export type TransactionField = Exclude<keyof TransactionRow, 'id'>;
export type MerchantField = Exclude<keyof MerchantRow, 'id'>;

/** A row with its id and the fields asked for, nothing else. */
export type Picked<Row extends { id: string }, F extends keyof Row> = Pick<Row, 'id' | F>;

/** One page of an account's transactions, newest first (by `postedAt`, then `id`, descending). */
export interface TransactionPageQuery<F extends TransactionField> {
  accountId: string;
  /** Only rows in these directions (the consent's credit/debit permissions). */
  directions: TransactionDirection[];
  /** Inclusive bounds on `postedAt` (the consent's window clamped with the request's); null is open. */
  from: string | null;
  to: string | null;
  /** Rows strictly after this position in the order above (a cursor), or from the newest. */
  after: { postedAt: string; id: string } | null;
  limit: number;
  fields: readonly F[];
}

export type ConsentEventType = 'GRANTED' | 'REVOKED';
export interface ConsentEvent {
  type: ConsentEventType;
  at: string;
  initiator: string;
}
export interface ConsentReceipt {
  consentId: string;
  userId: string;
  bankId: string;
  bankName: string;
  permissions: string[];
  purposes: string[];
  grantedAt: string;
  expiresAt: string | null;
  transactionsFrom: string | null;
  transactionsTo: string | null;
  thirdPartyDisclosure: false;
  howToRevoke: string;
}
/** A consent as stored: the grant, its receipt and its events in one record (one write per change). */
export interface StoredConsent extends ConsentRecord {
  events: ConsentEvent[];
  receipt: ConsentReceipt;
}

/** The bank's store also keeps the bank's decision records (AuditStore: the kit links, hashes and reads them). */
export interface BankStore extends AuditStore {
  accounts<F extends AccountField>(ids: readonly string[], fields: readonly F[]): Promise<Array<Picked<AccountRow, F> | null>>;
  /** Every account of each user, by id ascending. */
  accountsOfUsers<F extends AccountField>(userIds: readonly string[], fields: readonly F[]): Promise<Array<Array<Picked<AccountRow, F>>>>;
  transactions<F extends TransactionField>(ids: readonly string[], fields: readonly F[]): Promise<Array<Picked<TransactionRow, F> | null>>;
  /**
   * Optional: like `transactions`, for the rows of `userId` only: a row of anyone else must not
   * be read at all, and answers null like a missing one. With it, a transaction that a user looks
   * up (a message's) is read in one go with what their consent opens on every row of theirs,
   * instead of its envelope first and the rest once its rules passed (one read less per lookup).
   */
  ownTransactions?<F extends TransactionField>(userId: string, ids: readonly string[], fields: readonly F[]): Promise<Array<Picked<TransactionRow, F> | null>>;
  transactionPage<F extends TransactionField>(query: TransactionPageQuery<F>): Promise<Array<Picked<TransactionRow, F>>>;
  merchants<F extends MerchantField>(ids: readonly string[], fields: readonly F[]): Promise<Array<Picked<MerchantRow, F> | null>>;

  /** Every consent each user granted to this bank (any status). Read fresh, never cached. */
  consentsOfUsers(userIds: readonly string[]): Promise<StoredConsent[][]>;
  insertConsent(consent: StoredConsent): Promise<void>;
  /**
   * Revokes the user's consent `id` if it is still active, appending the event, in one atomic
   * write; returns the consent as it is now, or null when `id` is not a consent of `userId`.
   */
  revokeConsent(change: { id: string; userId: string; at: string }): Promise<StoredConsent | null>;

  /**
   * Erasure of a customer (the platform's user) at this bank, idempotent: revokes their live
   * consents, then replaces their id by `pseudonym` in every consent (userId, receipt, events)
   * and in every row linked to them (accounts, transactions). The rows stay (they are the bank's
   * own records); what goes is their link to the platform's user id. Returns counts by kind.
   */
  eraseCustomer(change: { userId: string; pseudonym: string; at: string }): Promise<Record<string, number>>;

  /** Resolves when the store answers (the subgraph's /ready). */
  ping(): Promise<void>;
}
