// `npm run seed [-- --reset]`: writes the demo data into each service's own database (user-profile,
// messaging, and one per demo bank), after creating their indexes. `npm start` runs it when the
// databases are empty. Seeding is the one development tool that writes to every database; no
// service ever reads another's.
import type { Db, MongoClient } from 'mongodb';
import { parseArgs } from 'node:util';
import { bankCollections, createMongoBankStore, merchantLocationDocs } from '@consent-gateway/kit/bank-mongo';
import { connectMongo } from '@consent-gateway/kit/mongo';
import { collections as messagingCollections, storedLayout } from '../subgraphs/messaging/store.ts';
import { users } from '../subgraphs/user-profile/store.ts';
import { PLATFORM_SUBGRAPHS, type PlatformSubgraph } from '../subgraphs/catalog.ts';
import { SUBGRAPHS, bankDatabaseName, databaseName } from '../subgraphs/registry.ts';
import { DEMO_BANKS, demoData, defaultAnchor, type BankDemoData, type DemoData } from './demo-data.ts';

/** The databases of a graph: one per platform subgraph, one per bank (by bank id). */
export type GraphDbs = Record<PlatformSubgraph, Db> & { banks: Record<string, Db> };

export function graphDbs(client: MongoClient, prefix: string, bankIds: readonly string[] = DEMO_BANKS.map((b) => b.id)): GraphDbs {
  const platform = Object.fromEntries(PLATFORM_SUBGRAPHS.map((n) => [n, client.db(databaseName(prefix, n))])) as Record<PlatformSubgraph, Db>;
  return { ...platform, banks: Object.fromEntries(bankIds.map((id) => [id, client.db(bankDatabaseName(prefix, id))])) };
}

export async function isEmpty(dbs: GraphDbs): Promise<boolean> {
  return (await users(dbs['user-profile']).estimatedDocumentCount()) === 0;
}

/** One bank's demo rows into its own database. */
export async function seedBank(db: Db, data: BankDemoData): Promise<void> {
  await createMongoBankStore(db).ensureIndexes();
  const c = bankCollections(db);
  await c.accounts.insertMany(data.accounts);
  // A merchant's name, category, city and country are in its transactions (card data); its coordinates apart.
  await c.merchantLocations.insertMany(merchantLocationDocs(data.merchantLocations.map(({ _id, latitude, longitude }) => ({ id: _id, latitude, longitude }))));
  if (data.consents.length) await c.consents.insertMany(data.consents);
  for (let i = 0; i < data.transactions.length; i += 500) await c.transactions.insertMany(data.transactions.slice(i, i + 500));
}

export async function seed(dbs: GraphDbs, data: DemoData = demoData(), options: { reset?: boolean } = {}): Promise<DemoData> {
  if (options.reset) await Promise.all([...PLATFORM_SUBGRAPHS.map((n) => dbs[n]), ...Object.values(dbs.banks)].map((db) => db.dropDatabase()));
  await Promise.all(PLATFORM_SUBGRAPHS.map((n) => SUBGRAPHS[n].ensureIndexes(dbs[n])));
  // The directory lives in each user's document.
  const directory = new Map(data.userProfile.bankRelationships.map((r) => [r._id, r.bankIds]));
  const profiles = data.userProfile.users.map((u) => (directory.has(u._id) ? { ...u, bankIds: directory.get(u._id) } : u));
  const withoutProfile = data.userProfile.bankRelationships.filter((r) => !profiles.some((u) => u._id === r._id));
  await users(dbs['user-profile']).insertMany([...profiles, ...withoutProfile]);
  for (const bank of Object.values(data.banks)) {
    const db = dbs.banks[bank.bank.id];
    if (!db) throw new Error(`no database for demo bank ${bank.bank.id}`);
    await seedBank(db, bank);
  }
  const msg = messagingCollections(dbs.messaging);
  // As messaging stores them: each conversation's first messages in the conversation itself.
  const stored = storedLayout(data.messaging.conversations, data.messaging.messages);
  await msg.conversations.insertMany(stored.conversations);
  if (stored.messages.length) await msg.messages.insertMany(stored.messages);
  await msg.optIns.insertMany(data.messaging.optIns);
  return data;
}

export const transactionCount = (data: DemoData) => Object.values(data.banks).reduce((n, b) => n + b.transactions.length, 0);

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { reset: { type: 'boolean' } } });
  const uri = process.env.MONGODB_URI;
  if (!uri) {
    console.error('MONGODB_URI is required (npm start seeds its embedded database by itself)');
    process.exit(2);
  }
  const client = await connectMongo(uri);
  const dbs = graphDbs(client, process.env.MONGODB_DB_PREFIX ?? 'consent_');
  if (!values.reset && !(await isEmpty(dbs))) {
    console.log('databases already hold data; run with --reset to replace it');
  } else {
    const data = await seed(dbs, demoData(defaultAnchor(), { ids: 'random' }), { reset: values.reset });
    console.log(`seeded ${data.userProfile.users.length} users, ${transactionCount(data)} transactions at ${DEMO_BANKS.length} banks`);
  }
  await client.close();
}
