// One bank subgraph on a port: the kit's bank subgraph over the kit's MongoDB adapter, on the
// bank's own database. What a partner bank on MongoDB writes is this file.
import type { CryptoKey, KeyObject } from 'jose';
import type { Db } from 'mongodb';
import { createBankSubgraph, type BankInfo } from '@consent-gateway/kit/bank';
import { createMongoBankStore } from '@consent-gateway/kit/bank-mongo';
import { createSubgraph, listenSubgraph, type ListeningSubgraph, type RequestLogEntry } from '@consent-gateway/kit/create-subgraph';
import type { Logger } from '@consent-gateway/kit/log';

export interface ServeBankOptions {
  bank: BankInfo;
  db: Db;
  /** The gateway's public key: the only key whose tokens (audience `bank:<id>`) this bank accepts. */
  gatewayKey: CryptoKey | KeyObject;
  /** The bank's audit key (pseudonyms of user ids in its decision records). */
  auditKey: string;
  port: number;
  host?: string;
  exposeErrors?: boolean;
  operatorToken?: string;
  onRequest?: (entry: RequestLogEntry) => void;
  log?: Logger;
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
