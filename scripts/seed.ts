// `npm run seed [-- --reset]`: writes the demo data into each subgraph's own database, after
// creating their indexes. `npm start` runs it when the databases are empty. Seeding is the one
// development tool that writes to all three databases; no subgraph ever reads another's.
import type { Db, MongoClient } from 'mongodb';
import { parseArgs } from 'node:util';
import { collections as bankCollections } from '../subgraphs/bank-account/store.ts';
import { collections as messagingCollections } from '../subgraphs/messaging/store.ts';
import { users } from '../subgraphs/user-profile/store.ts';
import { SUBGRAPH_NAMES, type SubgraphName } from '../subgraphs/catalog.ts';
import { connectMongo } from '@consent-gateway/kit/mongo';
import { SUBGRAPHS, databaseName } from '../subgraphs/registry.ts';
import { demoData, defaultAnchor, type DemoData } from './demo-data.ts';

export type SubgraphDbs = Record<SubgraphName, Db>;

export function subgraphDbs(client: MongoClient, prefix: string): SubgraphDbs {
  return Object.fromEntries(SUBGRAPH_NAMES.map((n) => [n, client.db(databaseName(prefix, n))])) as SubgraphDbs;
}

export async function isEmpty(dbs: SubgraphDbs): Promise<boolean> {
  return (await users(dbs['user-profile']).estimatedDocumentCount()) === 0;
}

export async function seed(dbs: SubgraphDbs, data: DemoData = demoData(), options: { reset?: boolean } = {}): Promise<DemoData> {
  if (options.reset) await Promise.all(Object.values(dbs).map((db) => db.dropDatabase()));
  await Promise.all(SUBGRAPH_NAMES.map((n) => SUBGRAPHS[n].ensureIndexes(dbs[n])));
  const bank = bankCollections(dbs['bank-account']);
  const msg = messagingCollections(dbs.messaging);
  await users(dbs['user-profile']).insertMany(data.userProfile.users);
  await bank.banks.insertMany(data.bankAccount.banks);
  await bank.accounts.insertMany(data.bankAccount.accounts);
  await bank.merchants.insertMany(data.bankAccount.merchants);
  await bank.merchantLocations.insertMany(data.bankAccount.merchantLocations);
  await bank.consents.insertMany(data.bankAccount.consents);
  for (let i = 0; i < data.bankAccount.transactions.length; i += 500) {
    await bank.transactions.insertMany(data.bankAccount.transactions.slice(i, i + 500));
  }
  await msg.conversations.insertMany(data.messaging.conversations);
  await msg.messages.insertMany(data.messaging.messages);
  await msg.optIns.insertMany(data.messaging.optIns);
  return data;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { reset: { type: 'boolean' } } });
  const uri = process.env.MONGODB_URI;
  if (!uri) {
    console.error('MONGODB_URI is required (npm start seeds its embedded database by itself)');
    process.exit(2);
  }
  const client = await connectMongo(uri);
  const dbs = subgraphDbs(client, process.env.MONGODB_DB_PREFIX ?? 'consent_');
  if (!values.reset && !(await isEmpty(dbs))) {
    console.log('databases already hold data; run with --reset to replace it');
  } else {
    const data = await seed(dbs, demoData(defaultAnchor()), { reset: values.reset });
    console.log(`seeded ${data.userProfile.users.length} users, ${data.bankAccount.transactions.length} transactions`);
  }
  await client.close();
}
