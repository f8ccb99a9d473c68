// bank-account data. Sensitive values live apart from what rules need to decide: a transaction's
// "envelope" (owner, bank, date, direction) is all a rule reads; amounts, merchants and locations
// are read by their own fields' loaders after the rule passed, each with a narrow projection.
import DataLoader from 'dataloader';
import type { Db, Document } from 'mongodb';
import type { ConsentRecord } from '@consent-gateway/kit/consent-policy';
import { ensureAuditIndexes } from '@consent-gateway/kit/audit';
import { loadByKeys, loadGroupsByKeys } from '@consent-gateway/kit/mongo';

export interface BankDoc { _id: string; name: string }
export interface AccountDoc {
  _id: string;
  userId: string;
  bankId: string;
  maskedNumber: string;
  accountNumber: string;
  currency: string;
  balanceMinor: number;
}
export interface TransactionDoc {
  _id: string;
  accountId: string;
  userId: string;
  bankId: string;
  postedAt: string;
  direction: 'CREDIT' | 'DEBIT';
  amountMinor: number;
  currency: string;
  description: string;
  merchantId: string | null;
}
export interface MerchantDoc { _id: string; name: string; category: string }
export interface MerchantLocationDoc { _id: string; city: string; country: string; latitude: number; longitude: number }
export const HOW_TO_REVOKE = 'Revoke at any time in the app (Settings → Banks → Consents) or with the revokeConsent mutation; it takes effect at once.';

export interface ConsentEvent { type: 'GRANTED' | 'REVOKED'; at: string; initiator: string }
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
/** Events and receipt live in the consent document: a grant or revoke is one atomic write. */
export interface ConsentDoc extends ConsentRecord {
  events: ConsentEvent[];
  receipt: ConsentReceipt;
}

export const collections = (db: Db) => ({
  banks: db.collection<BankDoc>('banks'),
  accounts: db.collection<AccountDoc>('accounts'),
  transactions: db.collection<TransactionDoc>('transactions'),
  merchants: db.collection<MerchantDoc>('merchants'),
  merchantLocations: db.collection<MerchantLocationDoc>('merchant_locations'),
  consents: db.collection<ConsentDoc>('consents'),
});

export async function ensureIndexes(db: Db): Promise<void> {
  const c = collections(db);
  await Promise.all([
    c.accounts.createIndex({ userId: 1, bankId: 1 }),
    c.transactions.createIndex({ accountId: 1, postedAt: -1, _id: -1 }),
    c.consents.createIndex({ userId: 1, bankId: 1 }),
    ensureAuditIndexes(db),
  ]);
}

/** Account fields every account rule needs; no balance, no full account number. */
export const ACCOUNT_BASIC: Document = { userId: 1, bankId: 1, maskedNumber: 1, currency: 1 };
/** What a transaction rule needs to decide, and nothing of the amount or the merchant. */
export const TRANSACTION_ENVELOPE: Document = { accountId: 1, userId: 1, bankId: 1, postedAt: 1, direction: 1 };
/** The basic transaction fields (TRANSACTIONS_BASIC), read for a page after its rule passed. */
export const TRANSACTION_BASIC: Document = { ...TRANSACTION_ENVELOPE, amountMinor: 1, currency: 1 };

export interface AccountsKey { userId: string; bankIds: string[] }

export function createLoaders(db: Db) {
  const c = collections(db);
  const byId = <T extends Document>(load: (ids: readonly string[]) => Promise<Array<T | null>>) => new DataLoader<string, T | null>(load);
  return {
    bank: byId((ids) => loadByKeys(c.banks, '_id', ids)),
    /** Every consent of a user, read fresh for each request: nothing outlives a revoke. */
    consentsByUser: new DataLoader((userIds: readonly string[]) => loadGroupsByKeys(c.consents, 'userId', userIds)),
    /** `User.accounts`: one `$or` query for every (user, consented banks) pair of the request. */
    accountsOf: new DataLoader<AccountsKey, AccountDoc[], string>(
      async (keys) => {
        const docs = await c.accounts
          .find({ $or: keys.map((k) => ({ userId: k.userId, bankId: { $in: k.bankIds } })) }, { projection: ACCOUNT_BASIC, sort: { bankId: 1, _id: 1 } })
          .toArray();
        return keys.map((k) => docs.filter((d) => d.userId === k.userId && k.bankIds.includes(d.bankId)));
      },
      { cacheKeyFn: (k) => `${k.userId}|${k.bankIds.join(',')}` },
    ),
    account: byId((ids) => loadByKeys(c.accounts, '_id', ids, ACCOUNT_BASIC)),
    accountBalance: byId((ids) => loadByKeys(c.accounts, '_id', ids, { balanceMinor: 1, currency: 1 })),
    accountNumber: byId((ids) => loadByKeys(c.accounts, '_id', ids, { accountNumber: 1 })),
    transactionEnvelope: byId((ids) => loadByKeys(c.transactions, '_id', ids, TRANSACTION_ENVELOPE)),
    transactionAmount: byId((ids) => loadByKeys(c.transactions, '_id', ids, { amountMinor: 1, currency: 1 })),
    transactionDetail: byId((ids) => loadByKeys(c.transactions, '_id', ids, { merchantId: 1, description: 1 })),
    merchant: byId((ids) => loadByKeys(c.merchants, '_id', ids, { name: 1, category: 1 })),
    locationCoarse: byId((ids) => loadByKeys(c.merchantLocations, '_id', ids, { city: 1, country: 1 })),
    locationPrecise: byId((ids) => loadByKeys(c.merchantLocations, '_id', ids, { latitude: 1, longitude: 1 })),
  };
}
export type Loaders = ReturnType<typeof createLoaders>;
