// A bank's rows in memory, for benchmarks that measure the subgraph without a database: a data
// adapter (BankStore) answering from arrays, and `prime`, which fills a request's loaders with
// every row they could be asked for, so that an execution never reaches the adapter at all.
import { bankScopedId } from '@consent-gateway/kit/ids';
import type { BankContext } from '@consent-gateway/kit/bank';
import type { AccountField, AccountRow, BankStore, MerchantField, MerchantRow, StoredConsent, TransactionField, TransactionRow } from '@consent-gateway/kit/bank';

export interface MemoryBank {
  store: BankStore;
  accountIds: string[];
  now: Date;
  prime(ctx: BankContext): void;
}

const DAY = 86_400_000;
const ACCOUNT_FIELDS: AccountField[] = ['userId', 'maskedNumber', 'accountNumber', 'currency', 'balanceMinor'];
const TRANSACTION_FIELDS: TransactionField[] = ['accountId', 'userId', 'postedAt', 'direction', 'amountMinor', 'currency', 'description', 'merchantId'];
const MERCHANT_FIELDS: MerchantField[] = ['latitude', 'longitude'];

function counterId(bankId: string, kind: string, n: number): string {
  const bytes = new Uint8Array(16);
  new DataView(bytes.buffer).setUint32(12, n);
  bytes[0] = kind.charCodeAt(0);
  return bankScopedId(bankId, kind, bytes);
}

const pick = <Row extends { id: string }>(row: Row, fields: readonly string[]) =>
  Object.fromEntries([['id', row.id], ...fields.map((f) => [f, (row as Record<string, unknown>)[f]])]) as never;

/** Alice's accounts at Northwind, each with `rowsPerAccount` card payments at 10 merchants, under one broad consent. */
export function createMemoryBank(options: { accounts: number; rowsPerAccount: number }): MemoryBank {
  const bankId = 'northwind';
  const now = new Date('2026-11-01T00:00:00.000Z');
  const merchants: MerchantRow[] = Array.from({ length: 10 }, (_, i) => ({ id: counterId(bankId, 'mer', i), latitude: 52 + i / 100, longitude: 13 + i / 100 }));
  const accounts: AccountRow[] = Array.from({ length: options.accounts }, (_, i) => ({
    id: counterId(bankId, 'acc', i),
    userId: 'alice',
    maskedNumber: `•••• ${1000 + i}`,
    accountNumber: `DE89NWND0000${1000 + i}`,
    currency: 'EUR',
    balanceMinor: 100_000,
  }));
  const transactions: TransactionRow[] = accounts.flatMap((a, n) =>
    Array.from({ length: options.rowsPerAccount }, (_, i) => ({
      id: counterId(bankId, 'txn', n * 100_000 + i),
      accountId: a.id,
      userId: a.userId,
      postedAt: new Date(now.getTime() - (i + 1) * DAY / 3).toISOString(),
      direction: 'DEBIT' as const,
      amountMinor: -(100 + i),
      currency: 'EUR',
      description: `Card payment ${i}`,
      merchantId: merchants[i % merchants.length]!.id,
      merchantName: `Shop ${i % merchants.length}`,
      merchantCategory: 'groceries',
      merchantCity: `City ${i % merchants.length}`,
      merchantCountry: 'DE',
    })),
  );
  const grantedAt = new Date(now.getTime() - 30 * DAY).toISOString();
  const consent: StoredConsent = {
    _id: counterId(bankId, 'cns', 1),
    userId: 'alice',
    bankId,
    permissions: ['ACCOUNTS_BASIC', 'BALANCES', 'TRANSACTIONS_DETAIL', 'TRANSACTIONS_CREDITS', 'TRANSACTIONS_DEBITS', 'MERCHANT_LOCATION_COARSE'],
    purposes: ['customer_service'],
    grantedAt,
    expiresAt: null,
    revokedAt: null,
    transactionsFrom: null,
    transactionsTo: null,
    events: [],
    receipt: {} as StoredConsent['receipt'],
  };
  const byId = <Row extends { id: string }>(rows: Row[]) => new Map(rows.map((r) => [r.id, r]));
  const accountById = byId(accounts);
  const transactionById = byId(transactions);
  const merchantById = byId(merchants);
  const newestFirst = (a: TransactionRow, b: TransactionRow) => b.postedAt.localeCompare(a.postedAt) || b.id.localeCompare(a.id);

  const store: BankStore = {
    accounts: async (ids, fields) => ids.map((id) => (accountById.has(id) ? pick(accountById.get(id)!, fields) : null)),
    accountsOfUsers: async (userIds, fields) => userIds.map((u) => accounts.filter((a) => a.userId === u).map((a) => pick(a, ['userId', ...fields]))),
    transactions: async (ids, fields) => ids.map((id) => (transactionById.has(id) ? pick(transactionById.get(id)!, fields) : null)),
    transactionPage: async (q) =>
      transactions
        .filter((t) => t.accountId === q.accountId && q.directions.includes(t.direction) && (!q.from || t.postedAt >= q.from) && (!q.to || t.postedAt <= q.to))
        .sort(newestFirst)
        .slice(0, q.limit)
        .map((t) => pick(t, q.fields)),
    merchants: async (ids, fields) => ids.map((id) => (merchantById.has(id) ? pick(merchantById.get(id)!, fields) : null)),
    consentsOfUsers: async (userIds) => userIds.map((u) => (u === consent.userId ? [consent] : [])),
    insertConsent: async () => {},
    revokeConsent: async () => null,
    eraseCustomer: async () => ({}),
    // Decision records are handed over and dropped: the benchmark measures the rules, not a store.
    appendRecords: async () => {},
    chainHead: async () => null,
    findRecords: async () => [],
    pseudonymize: async () => 0,
    allRecords: async function* () {},
    ping: async () => {},
  };

  return {
    store,
    accountIds: accounts.map((a) => a.id),
    now,
    prime(ctx) {
      const { consentsByUser, rows } = ctx.loaders;
      consentsByUser.prime('alice', [consent]);
      rows.accounts.prime(accounts, ACCOUNT_FIELDS);
      rows.transactions.prime(transactions, TRANSACTION_FIELDS);
      rows.merchants.prime(merchants, MERCHANT_FIELDS);
    },
  };
}
