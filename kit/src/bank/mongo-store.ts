// The MongoDB data adapter of a bank subgraph (`@consent-gateway/kit/bank-mongo`): one database
// per bank, holding that bank's rows only. Sensitive values live apart from what rules need to
// decide and every read projects exactly the fields asked for; merchants' locations sit in their
// own collection so that a coarse location is read without touching the merchant, and coordinates
// only with their own projection.
import type { Db, Document } from 'mongodb';
import { createMongoAuditStore } from '../audit-mongo.ts';
import { ensureIndexes, loadByKeys, loadGroupsByKeys } from '../mongo.ts';
import type { AccountRow, BankStore, MerchantField, MerchantRow, StoredConsent, TransactionRow } from './store.ts';

type Doc<Row extends { id: string }> = Omit<Row, 'id'> & { _id: string };
export type AccountDoc = Doc<AccountRow>;
export type TransactionDoc = Doc<TransactionRow>;
export type MerchantDoc = Doc<Pick<MerchantRow, 'id' | 'name' | 'category'>>;
export type MerchantLocationDoc = Doc<Pick<MerchantRow, 'id' | 'city' | 'country' | 'latitude' | 'longitude'>>;
export type ConsentDoc = StoredConsent;

export const bankCollections = (db: Db) => ({
  accounts: db.collection<AccountDoc>('accounts'),
  transactions: db.collection<TransactionDoc>('transactions'),
  merchants: db.collection<MerchantDoc>('merchants'),
  merchantLocations: db.collection<MerchantLocationDoc>('merchant_locations'),
  consents: db.collection<ConsentDoc>('consents'),
});

const MERCHANT_FIELDS: readonly MerchantField[] = ['name', 'category'];

const projection = (fields: readonly string[]): Document => Object.fromEntries(fields.map((f) => [f, 1]));

function toRow<T>(doc: Document | null): T | null {
  if (!doc) return null;
  const { _id, ...rest } = doc;
  return { id: _id, ...rest } as T;
}

export interface MongoBankStore extends BankStore {
  /** Creates the indexes the reads above rely on (idempotent). */
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
      const docs = await c.transactions.find(filter, { projection: projection(query.fields), sort: { postedAt: -1, _id: -1 }, limit: query.limit }).toArray();
      return docs.map((d) => toRow(d)!);
    },
    async merchants(ids, fields) {
      const named = fields.filter((f) => MERCHANT_FIELDS.includes(f));
      const located = fields.filter((f) => !MERCHANT_FIELDS.includes(f));
      const [names, places] = await Promise.all([
        named.length ? loadByKeys(c.merchants, '_id', ids, projection(named)) : undefined,
        located.length ? loadByKeys(c.merchantLocations, '_id', ids, projection(located)) : undefined,
      ]);
      return ids.map((id, i) => {
        const parts = [names?.[i], places?.[i]].filter((d): d is NonNullable<typeof d> => !!d);
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
    },
  };
}
