// The MongoDB data adapter of a bank subgraph (`@consent-gateway/kit/bank-mongo`): one database
// per bank, holding that bank's rows only. Every read projects exactly the fields asked for: a
// transaction carries its merchant's name, category, city and country (as card data does), so a
// page reads them with its rows when their rules cannot fail; coordinates, a separate opt-in,
// live apart in `merchant_locations`, read only with their own projection.
import type { Db, Document } from 'mongodb';
import { createMongoAuditStore } from '../audit-mongo.ts';
import { ensureIndexes, loadByKeys, loadGroupsByKeys, oneBatch } from '../mongo.ts';
import type { AccountRow, BankStore, MerchantRow, StoredConsent, TransactionRow } from './store.ts';

type Doc<Row extends { id: string }> = Omit<Row, 'id'> & { _id: string };
export type AccountDoc = Doc<AccountRow>;
export type TransactionDoc = Doc<TransactionRow>;
/** A merchant's precise location (MERCHANT_LOCATION_PRECISE). */
export type MerchantLocationDoc = Doc<MerchantRow>;
export type ConsentDoc = StoredConsent;

export const bankCollections = (db: Db) => ({
  accounts: db.collection<AccountDoc>('accounts'),
  transactions: db.collection<TransactionDoc>('transactions'),
  merchantLocations: db.collection<MerchantLocationDoc>('merchant_locations'),
  consents: db.collection<ConsentDoc>('consents'),
});

/** Merchants' coordinates as this adapter stores them. */
export const merchantLocationDocs = (rows: readonly MerchantRow[]): MerchantLocationDoc[] => rows.map((m) => ({ _id: m.id, latitude: m.latitude, longitude: m.longitude }));

const projection = (fields: readonly string[]): Document => Object.fromEntries(fields.map((f) => [f, 1]));

function toRow<T>(doc: Document | null): T | null {
  if (!doc) return null;
  const { _id, ...rest } = doc;
  return { id: _id, ...rest } as T;
}

export interface MongoBankStore extends BankStore {
  /**
   * Creates the indexes the reads above rely on, and brings rows an earlier version of this
   * adapter wrote to the current layout (idempotent; run at every start).
   */
  ensureIndexes(): Promise<void>;
}

export function createMongoBankStore(db: Db): MongoBankStore {
  const c = bankCollections(db);
  const audit = createMongoAuditStore(db);
  return {
    async accounts(ids, fields) {
      return (await loadByKeys(c.accounts, '_id', ids, projection(fields))).map((d) => toRow(d));
    },
    async accountsOfUsers(userIds, fields) {
      const groups = await loadGroupsByKeys(c.accounts, 'userId', userIds, { projection: projection(['userId', ...fields]), sort: { _id: 1 } });
      return groups.map((docs) => docs.map((d) => toRow(d)!));
    },
    async transactions(ids, fields) {
      return (await loadByKeys(c.transactions, '_id', ids, projection(fields))).map((d) => toRow(d));
    },
    async ownTransactions(userId, ids, fields) {
      return (await loadByKeys(c.transactions, '_id', ids, projection(fields), { userId })).map((d) => toRow(d));
    },
    async transactionPage(query) {
      const postedAt: Document = {};
      if (query.from) postedAt.$gte = query.from;
      if (query.to) postedAt.$lte = query.to;
      const after = query.after
        ? { $or: [{ postedAt: { $lt: query.after.postedAt } }, { postedAt: query.after.postedAt, _id: { $lt: query.after.id } }] }
        : {};
      const filter: Document = {
        accountId: query.accountId,
        direction: { $in: query.directions },
        ...(Object.keys(postedAt).length ? { postedAt } : {}),
        ...after,
      };
      const docs = await c.transactions.find(filter, { projection: projection(query.fields), sort: { postedAt: -1, _id: -1 }, limit: query.limit, ...oneBatch(query.limit) }).toArray();
      return docs.map((d) => toRow(d)!);
    },
    async merchants(ids, fields) {
      return (await loadByKeys(c.merchantLocations, '_id', ids, projection(fields))).map((d) => toRow(d));
    },
    consentsOfUsers: (userIds) => loadGroupsByKeys(c.consents, 'userId', userIds),
    insertConsent: async (consent) => void (await c.consents.insertOne(consent)),
    async revokeConsent({ id, userId, at }) {
      await c.consents.updateOne({ _id: id, userId, revokedAt: null }, { $set: { revokedAt: at }, $push: { events: { type: 'REVOKED', at, initiator: userId } } });
      return c.consents.findOne({ _id: id, userId });
    },
    async eraseCustomer({ userId, pseudonym, at }) {
      const consents = await c.consents.find({ userId }).toArray();
      let revoked = 0;
      for (const consent of consents) {
        const live = !consent.revokedAt;
        if (live) revoked += 1;
        const events = [...consent.events, ...(live ? [{ type: 'REVOKED' as const, at, initiator: userId }] : [])];
        await c.consents.replaceOne(
          { _id: consent._id, userId },
          {
            ...consent,
            userId: pseudonym,
            revokedAt: consent.revokedAt ?? at,
            events: events.map((e) => ({ ...e, initiator: e.initiator === userId ? pseudonym : e.initiator })),
            receipt: { ...consent.receipt, userId: pseudonym },
          },
        );
      }
      const accounts = await c.accounts.updateMany({ userId }, { $set: { userId: pseudonym } });
      const transactions = await c.transactions.updateMany({ userId }, { $set: { userId: pseudonym } });
      return { consentsRevoked: revoked, consentsPseudonymized: consents.length, accountsUnlinked: accounts.modifiedCount, transactionsUnlinked: transactions.modifiedCount };
    },
    appendRecords: audit.appendRecords,
    chainHead: audit.chainHead,
    findRecords: audit.findRecords,
    pseudonymize: audit.pseudonymize,
    allRecords: audit.allRecords,
    ping: async () => void (await db.command({ ping: 1 })),
    async ensureIndexes() {
      await ensureIndexes(c.accounts, [[{ userId: 1 }]]);
      await ensureIndexes(c.transactions, [[{ accountId: 1, postedAt: -1, _id: -1 }]]);
      await ensureIndexes(c.consents, [[{ userId: 1 }]]);
      await audit.ensureIndexes();
      await copyMerchantsIntoTransactions(db);
    },
  };
}

/**
 * Layouts before 0.3 kept a merchant's name, category, city and country in `merchants` (before
 * 0.2, city and country with the coordinates in `merchant_locations`): each transaction gets its
 * merchant's, and `merchant_locations` keeps coordinates only. `merchants` is left as it was,
 * no longer read. Idempotent: a store where every transaction has them costs one read at start.
 */
async function copyMerchantsIntoTransactions(db: Db): Promise<void> {
  const c = bankCollections(db);
  if (!(await c.transactions.findOne({ merchantName: { $exists: false } } as Document, { projection: { _id: 1 } }))) return;
  const places = new Map((await c.merchantLocations.find({ city: { $exists: true } } as Document).toArray()).map((d) => [d._id, d as unknown as { city: string; country: string }]));
  for (const m of await db.collection<{ _id: string; name: string; category: string; city?: string; country?: string }>('merchants').find().toArray()) {
    const place = places.get(m._id);
    const merchant = { merchantName: m.name, merchantCategory: m.category ?? null, merchantCity: m.city ?? place?.city ?? null, merchantCountry: m.country ?? place?.country ?? null };
    await c.transactions.updateMany({ merchantId: m._id, merchantName: { $exists: false } } as Document, { $set: merchant });
  }
  if (places.size) await c.merchantLocations.updateMany({ city: { $exists: true } } as Document, { $unset: { city: '', country: '' } } as Document);
  await c.transactions.updateMany({ merchantId: null, merchantName: { $exists: false } } as Document, { $set: { merchantName: null, merchantCategory: null, merchantCity: null, merchantCountry: null } });
}
