// One bank subgraph on a port: the kit's bank subgraph over the kit's MongoDB adapter, on the
// bank's own database. What a partner bank on MongoDB writes is this file.
import type { Db } from 'mongodb';
import { createBankSubgraph, type BankInfo } from '@consent-gateway/kit/bank';
import { createMongoBankStore } from '@consent-gateway/kit/bank-mongo';
import { createSubgraph, listenSubgraph, type ListeningSubgraph, type RequestLogEntry } from '@consent-gateway/kit/create-subgraph';
import type { ServerOptions } from '@consent-gateway/kit/subgraph-process';

/** The gateway's key is the only one whose tokens (audience `bank:<id>`) this bank accepts. */
export interface ServeBankOptions extends ServerOptions {
  bank: BankInfo;
  db: Db;
  onRequest?: (entry: RequestLogEntry) => void;
}

export async function serveBank(options: ServeBankOptions): Promise<ListeningSubgraph> {
  const store = createMongoBankStore(options.db);
  await store.ensureIndexes();
  const bank = createBankSubgraph({ bank: options.bank, store });
  const subgraph = await createSubgraph(bank.definition, {
    ...bank.runtime,
    gatewayKey: options.gatewayKey,
    auditKey: options.auditKey,
    exposeErrors: options.exposeErrors,
    operatorToken: options.operatorToken,
    onRequest: options.onRequest,
    log: options.log,
  });
  return listenSubgraph(subgraph, options.port, options.host);
}
