// The MongoDB data adapter of a bank subgraph (`@consent-gateway/kit/bank-mongo`): one database
// per bank, holding that bank's rows only. Every read projects exactly the fields asked for, so a
// merchant's name and its city (asked in the same tick) are one read of `merchants`; coordinates,
// a separate opt-in, live apart in `merchant_locations`, read only with their own projection.
import type { Db, Document } from 'mongodb';
import { createMongoAuditStore } from '../audit-mongo.ts';
import { ensureIndexes, loadByKeys, loadGroupsByKeys, oneBatch } from '../mongo.ts';
import type { AccountRow, BankStore, MerchantField, MerchantRow, StoredConsent, TransactionRow } from './store.ts';

type Doc<Row extends { id: string }> = Omit<Row, 'id'> & { _id: string };
export type AccountDoc = Doc<AccountRow>;
export type TransactionDoc = Doc<TransactionRow>;
/** A merchant with its coarse location (city, country). */
export type MerchantDoc = Doc<Pick<MerchantRow, 'id' | 'name' | 'category' | 'city' | 'country'>>;
/** A merchant's precise location (MERCHANT_LOCATION_PRECISE). */
export type MerchantLocationDoc = Doc<Pick<MerchantRow, 'id' | 'latitude' | 'longitude'>>;
export type ConsentDoc = StoredConsent;

export const bankCollections = (db: Db) => ({
  accounts: db.collection<AccountDoc>('accounts'),
  transactions: db.collection<TransactionDoc>('transactions'),
  merchants: db.collection<MerchantDoc>('merchants'),
  merchantLocations: db.collection<MerchantLocationDoc>('merchant_locations'),
  consents: db.collection<ConsentDoc>('consents'),
});

/** The merchant fields kept in `merchants`; the others (coordinates) are in `merchant_locations`. */
const MERCHANT_FIELDS: readonly MerchantField[] = ['name', 'category', 'city', 'country'];

/** A bank's merchants as this adapter stores them. */
export function merchantDocs(rows: readonly MerchantRow[]): { merchants: MerchantDoc[]; locations: MerchantLocationDoc[] } {
  return {
    merchants: rows.map((m) => ({ _id: m.id, name: m.name, category: m.category, city: m.city, country: m.country })),
    locations: rows.map((m) => ({ _id: m.id, latitude: m.latitude, longitude: m.longitude })),
  };
}

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
      const kept = fields.filter((f) => MERCHANT_FIELDS.includes(f));
      const coordinates = fields.filter((f) => !MERCHANT_FIELDS.includes(f));
      const [merchants, places] = await Promise.all([
        kept.length ? loadByKeys(c.merchants, '_id', ids, projection(kept)) : undefined,
        coordinates.length ? loadByKeys(c.merchantLocations, '_id', ids, projection(coordinates)) : undefined,
      ]);
      return ids.map((id, i) => {
        const parts = [merchants?.[i], places?.[i]].filter((d): d is NonNullable<typeof d> => !!d);
        return parts.length ? toRow(Object.assign({}, ...parts, { _id: id })) : null;
      });
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
      // Before 0.2, city and country were kept with the coordinates: move them to the merchant.
      for (const old of await c.merchantLocations.find({ city: { $exists: true } } as Document).toArray()) {
        const { city, country } = old as unknown as { city: string; country: string };
        await c.merchants.updateOne({ _id: old._id }, { $set: { city, country } });
        await c.merchantLocations.updateOne({ _id: old._id }, { $unset: { city: '', country: '' } } as Document);
      }
    },
  };
}
