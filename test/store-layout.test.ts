// Data written by an earlier version is brought to the current layout when a service starts, so a
// kept development database (npm start) or a partner's existing store keeps working: a merchant's
// city and country move in with the merchant, the user-profile directory into the users.
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
  it("of a bank's merchants: city and country move to the merchant, coordinates stay apart", async () => {
    const db = client.db(`${prefix}bank`);
    await db.collection('merchants').insertOne({ _id: 'northwind:mer_1', name: 'Corner Grocery', category: 'groceries' } as never);
    await db.collection('merchant_locations').insertOne({ _id: 'northwind:mer_1', city: 'Paris', country: 'FR', latitude: 48.85, longitude: 2.35 } as never);
    const store = createMongoBankStore(db);
    await store.ensureIndexes();
    await store.ensureIndexes(); // idempotent
    const c = bankCollections(db);
    expect(await c.merchants.findOne({ _id: 'northwind:mer_1' })).toEqual({ _id: 'northwind:mer_1', name: 'Corner Grocery', category: 'groceries', city: 'Paris', country: 'FR' });
    expect(await c.merchantLocations.findOne({ _id: 'northwind:mer_1' })).toEqual({ _id: 'northwind:mer_1', latitude: 48.85, longitude: 2.35 });
    expect(await store.merchants(['northwind:mer_1'], ['name', 'city'])).toEqual([{ id: 'northwind:mer_1', name: 'Corner Grocery', city: 'Paris' }]);
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
