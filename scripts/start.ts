// `npm start`: a database (MONGODB_URI, else an embedded one), demo data when it is empty, then
// user-profile, messaging, each bank of the registry (northwind and contoso) and the gateway, each
// as its own process under a supervisor; prints the URLs, how to get a token and an example query.
// Ctrl-C stops the services, then the database.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { DEFAULT_BANK_REGISTRY_FILE, loadBankRegistry } from '../gateway/bank-registry.ts';
import { EnvReader } from '@consent-gateway/kit/config';
import { connectMongo } from '@consent-gateway/kit/mongo';
import { runService } from '@consent-gateway/kit/run-service';
import { bankServiceName, DEFAULT_PORTS, PLATFORM_SUBGRAPHS, portEnvName, type PlatformSubgraph } from '../subgraphs/catalog.ts';
import { bankDatabaseName } from '../subgraphs/registry.ts';
import { keptDevDatabase, startDevDatabase } from './dev-database.ts';
import { ensureDevKeys } from './dev-keys.ts';
import { DEMO_BANKS, demoData, defaultAnchor } from './demo-data.ts';
import { RUNNING_DATABASE_FILE } from './audit-verify.ts';
import { startProcessStack, type ProcessStack } from './process-stack.ts';
import { graphDbs, isEmpty, seed, transactionCount } from './seed.ts';

/** Removes the note of the running database, unless another `npm start` of this checkout wrote its own since. */
function forgetRunningDatabase(): void {
  try {
    if ((JSON.parse(readFileSync(RUNNING_DATABASE_FILE, 'utf8')) as { pid?: number }).pid !== process.pid) return;
  } catch {
    return;
  }
  rmSync(RUNNING_DATABASE_FILE, { force: true });
}

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
  const ports = Object.fromEntries(PLATFORM_SUBGRAPHS.map((n) => [n, r.int(portEnvName(n), DEFAULT_PORTS[n], { max: 65535 })])) as Record<PlatformSubgraph, number>;
  const prefix = r.string('MONGODB_DB_PREFIX', 'consent_');
  const registryFile = r.string('BANK_REGISTRY_FILE', DEFAULT_BANK_REGISTRY_FILE);
  // The services log JSON lines; the supervisor shows them compact unless LOG_FORMAT=json (scripts/log-lines.ts).
  const logFormat = r.oneOf('LOG_FORMAT', ['compact', 'json'] as const, 'compact');
  r.done('start');
  const registry = loadBankRegistry(registryFile);

  // Kept across runs: FerretDB's SQLite files, or its database on the local PostgreSQL.
  const keptIn = keptDevDatabase();
  const database = await startDevDatabase(keptIn);
  // `npm run audit:verify` finds the running database here.
  mkdirSync(dirname(RUNNING_DATABASE_FILE), { recursive: true });
  writeFileSync(RUNNING_DATABASE_FILE, JSON.stringify({ uri: database.uri, pid: process.pid }));
  let stack: ProcessStack;
  try {
    const client = await connectMongo(database.uri);
    try {
      const dbs = graphDbs(client, prefix, [...new Set([...DEMO_BANKS.map((b) => b.id), ...registry.banks.map((b) => b.id)])]);
      if (await isEmpty(dbs)) {
        console.log('empty database: seeding the demo data…');
        const data = await seed(dbs, demoData(defaultAnchor(), { ids: 'random' }));
        console.log(`seeded ${data.userProfile.users.length} users, ${transactionCount(data)} card transactions at ${DEMO_BANKS.map((b) => b.name).join(' and ')}`);
      } else {
        // Data seeded by a version with one shared bank database: say how to start afresh.
        for (const bank of DEMO_BANKS) {
          if ((await dbs.banks[bank.id]!.collection('accounts').estimatedDocumentCount()) === 0) {
            const reset = database.ferretdb?.handler === 'postgresql' ? `drop the PostgreSQL database ${keptIn.postgresDatabase}` : `delete ${keptIn.dataDir}`;
            console.warn(`note: ${bank.name}'s database (${bankDatabaseName(prefix, bank.id)}) is empty while the others are not; to reseed, stop and ${reset} (or run \`npm run seed -- --reset\` against MONGODB_URI)`);
          }
        }
      }
    } finally {
      await client.close();
    }
    stack = await startProcessStack({
      mongoUri: database.uri,
      dbPrefix: prefix,
      keys: ensureDevKeys(),
      gatewayPort,
      ports,
      registry,
      registryFile,
      supervisor: logFormat === 'json' ? { render: (line) => line } : {},
    });
  } catch (error) {
    await database.stop();
    forgetRunningDatabase();
    throw error;
  }
  const url = stack.gatewayUrl;
  const remote = registry.banks.filter((b) => !stack.localBanks.includes(b));
  console.log(`
Gateway:    ${url}   (GET ${stack.urls.gateway}/health, /ready)
Explorer:   ${url} in a browser (GraphiQL, offline; paste a token)
Privacy:    ${stack.urls.gateway}/privacy   (consents, access log, messages; paste a token)
Subgraphs:  ${PLATFORM_SUBGRAPHS.map((n) => `${n.padEnd(14)} ${stack.urls[n]}/graphql`).join('\n            ')}
Banks:      ${stack.localBanks.map((b) => `${b.id.padEnd(14)} ${stack.urls[bankServiceName(b.id)]}/graphql  (${b.name}, database ${bankDatabaseName(prefix, b.id)})`).join('\n            ')}${remote.map((b) => `\n            ${b.id.padEnd(14)} ${b.url}  (elsewhere)`).join('')}
Registry:   ${registryFile}   (edit it to add a bank: the gateway reloads it)
Database:   ${database.description}
Records:    npm run audit:verify   (checks the hash chains of every store's decision records)
Each service is its own process; one that crashes is started again.
Get a token (alice has a Northwind consent for customer_service and a Contoso account without one; bob has none):
  TOKEN=$(npm run -s token -- --sub alice)
Then query:
  curl -s ${url} -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \\
    -d '{"query":"{ me { displayName accounts { bank { name } balance { minorUnits currency } } } }"}'
Example query (alice sees Northwind, not Contoso; try --sub bob, --client partner-app or --purpose spending_insights):
${EXAMPLE}
Ctrl-C stops everything.`);
  return async () => {
    console.log('\nstopping the services…');
    await stack.stop();
    await database.stop();
    forgetRunningDatabase();
    console.log('stopped: every service, then the database.');
  };
});
