// One bank's subgraph process: `BANK_ID=northwind BANK_NAME="Northwind Bank" PORT=4002
// MONGODB_URI=... GATEWAY_PUBLIC_KEY_FILE=... tsx subgraphs/bank/main.ts`. Each bank runs its
// own, with its own database; the gateway learns its URL from the bank registry.
import { runSubgraphProcess } from '@consent-gateway/kit/subgraph-process';
import { loadBankConfig } from './config.ts';
import { serveBank } from './serve.ts';

await runSubgraphProcess(`bank-${process.env.BANK_ID ?? 'unknown'}`, () => loadBankConfig(), async (config, client, options) => {
  const server = await serveBank({ ...options, bank: config.bank, db: client.db(config.database) });
  return { server, ready: `bank ${config.bank.id} (${config.bank.name}) ready at ${server.url}/graphql`, fields: { database: config.database } };
});
