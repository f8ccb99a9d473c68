// `npm start`: a database (MONGODB_URI, else an embedded one), demo data when it is empty, the
// three subgraphs and the gateway; prints the URLs, how to get a token and an example query.
// Ctrl-C stops everything.
import { EnvReader } from '@consent-gateway/kit/config';
import { connectMongo } from '@consent-gateway/kit/mongo';
import { runService } from '@consent-gateway/kit/run-service';
import { DEFAULT_PORTS, SUBGRAPH_NAMES, type SubgraphName } from '../subgraphs/catalog.ts';
import { startDevDatabase } from './dev-database.ts';
import { ensureDevKeys } from './dev-keys.ts';
import { demoData, defaultAnchor } from './demo-data.ts';
import { isEmpty, seed, subgraphDbs } from './seed.ts';
import { startStack, type Stack } from './stack.ts';

const EXAMPLE = `{
  me {
    displayName
    accounts {
      bank { name }
      balance { minorUnits currency }
      transactions(first: 5) { edges { node { amount { minorUnits currency } merchant { name location { city } } } } }
    }
    conversations { messages(first: 3) { edges { node { body transaction { amount { minorUnits } } } } } }
  }
}`;

await runService(async () => {
  const r = new EnvReader();
  const gatewayPort = r.int('GATEWAY_PORT', 4000, { max: 65535 });
  const ports = Object.fromEntries(
    SUBGRAPH_NAMES.map((n) => [n, r.int(`${n.toUpperCase().replace(/-/g, '_')}_PORT`, DEFAULT_PORTS[n], { max: 65535 })]),
  ) as Record<SubgraphName, number>;
  const prefix = r.string('MONGODB_DB_PREFIX', 'consent_');
  r.done('start');

  const database = await startDevDatabase({ dataDir: process.env.DEV_DATA_DIR ?? '.data/ferretdb' });
  const client = await connectMongo(database.uri);
  let stack: Stack;
  try {
    const all = subgraphDbs(client, prefix);
    if (await isEmpty(all)) {
      console.log('empty database: seeding the demo data…');
      const data = await seed(all, demoData(defaultAnchor()));
      console.log(`seeded ${data.userProfile.users.length} users, ${data.bankAccount.transactions.length} card transactions`);
    }
    stack = await startStack({ client, dbPrefix: prefix, keys: ensureDevKeys(), gatewayPort, subgraphPorts: ports });
  } catch (error) {
    await client.close();
    await database.stop();
    throw error;
  }

  const url = `${stack.gateway.url}/graphql`;
  console.log(`
Gateway:    ${url}   (GET ${stack.gateway.url}/health, /ready)
Explorer:   ${url} in a browser (GraphiQL, offline; paste a token)
Privacy:    ${stack.gateway.url}/privacy   (consents, access log, messages; paste a token)
Subgraphs:  ${SUBGRAPH_NAMES.map((n) => `${n} ${stack.subgraphs[n].url}/graphql`).join('\n            ')}
Database:   ${database.description}

Get a token (alice has a Northwind consent for customer_service; bob has none):
  TOKEN=$(npm run -s token -- --sub alice)
Then query:
  curl -s ${url} -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \\
    -d '{"query":"{ me { displayName accounts { bank { name } balance { minorUnits currency } } } }"}'
Example query (alice sees Northwind, not Contoso; try --sub bob, --client partner-app or --purpose spending_insights):
${EXAMPLE}

Ctrl-C stops everything.`);

  return async () => {
    console.log('\nstopping…');
    await stack.stop();
    await client.close();
    await database.stop();
    console.log('stopped.');
  };
});
