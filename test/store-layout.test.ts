// Data written by an earlier version is brought to the current layout when a service starts, so a
// kept development database (npm start) or a partner's existing store keeps working: a merchant's
// name, category, city and country move into its transactions, the user-profile directory into the users.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { MongoClient } from 'mongodb';
import { bankCollections, createMongoBankStore } from '@consent-gateway/kit/bank-mongo';
import { connectMongo } from '@consent-gateway/kit/mongo';
import { ensureIndexes, users } from '../subgraphs/user-profile/store.ts';

let client: MongoClient;
const prefix = `l${randomBytes(4).toString('hex')}_`;
beforeAll(async () => {
  client = await connectMongo(inject('mongoUri'));
});
afterAll(async () => {
  for (const name of ['bank', 'profile']) await client.db(`${prefix}${name}`).dropDatabase();
  await client.close();
});

describe('an earlier layout', () => {
  it("of a bank's merchants (0.1: city and country with the coordinates; 0.2: with the merchant): each transaction gets its merchant's, coordinates stay apart", async () => {
    const db = client.db(`${prefix}bank`);
    await db.collection('merchants').insertMany([
      { _id: 'northwind:mer_1', name: 'Corner Grocery', category: 'groceries' },
      { _id: 'northwind:mer_2', name: 'Book Nook', category: 'shopping', city: 'Lyon', country: 'FR' },
    ] as never[]);
    await db.collection('merchant_locations').insertMany([
      { _id: 'northwind:mer_1', city: 'Paris', country: 'FR', latitude: 48.85, longitude: 2.35 },
      { _id: 'northwind:mer_2', latitude: 45.76, longitude: 4.83 },
    ] as never[]);
    const row = (n: number, merchantId: string | null) => ({ _id: `northwind:txn_${n}`, accountId: 'northwind:acc_1', userId: 'alice', postedAt: '2026-01-01T00:00:00.000Z', direction: 'DEBIT', amountMinor: -100, currency: 'EUR', description: 'x', merchantId });
    await db.collection('transactions').insertMany([row(1, 'northwind:mer_1'), row(2, 'northwind:mer_2'), row(3, null)] as never[]);
    const store = createMongoBankStore(db);
    await store.ensureIndexes();
    await store.ensureIndexes(); // idempotent
    const c = bankCollections(db);
    expect(await store.transactions(['northwind:txn_1', 'northwind:txn_2', 'northwind:txn_3'], ['merchantName', 'merchantCategory', 'merchantCity', 'merchantCountry'])).toEqual([
      { id: 'northwind:txn_1', merchantName: 'Corner Grocery', merchantCategory: 'groceries', merchantCity: 'Paris', merchantCountry: 'FR' },
      { id: 'northwind:txn_2', merchantName: 'Book Nook', merchantCategory: 'shopping', merchantCity: 'Lyon', merchantCountry: 'FR' },
      { id: 'northwind:txn_3', merchantName: null, merchantCategory: null, merchantCity: null, merchantCountry: null },
    ]);
    expect(await c.merchantLocations.findOne({ _id: 'northwind:mer_1' })).toEqual({ _id: 'northwind:mer_1', latitude: 48.85, longitude: 2.35 });
    expect(await store.merchants(['northwind:mer_1', 'northwind:mer_9'], ['latitude'])).toEqual([{ id: 'northwind:mer_1', latitude: 48.85 }, null]);
  });

  it('of the bank directory: each entry joins its user, and the old collection goes', async () => {
    const db = client.db(`${prefix}profile`);
    await users(db).insertOne({ _id: 'alice', displayName: 'Alice Martin' });
    await db.collection('bank_relationships').insertMany([{ _id: 'alice', bankIds: ['northwind'] }, { _id: 'dave', bankIds: ['contoso'] }] as never[]);
    await ensureIndexes(db);
    expect(await users(db).find({}, { sort: { _id: 1 } }).toArray()).toEqual([
      { _id: 'alice', displayName: 'Alice Martin', bankIds: ['northwind'] },
      { _id: 'dave', bankIds: ['contoso'] },
    ]);
    expect((await db.listCollections({ name: 'bank_relationships' }).toArray()).length).toBe(0);
  });
});
