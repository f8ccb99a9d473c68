// A bank subgraph built with the kit, exactly like ours, except for one line of its permission map:
// the balance is open to anyone. The conformance kit must fail it.
import type { KeyObject } from 'node:crypto';
import type { Db } from 'mongodb';
import { createBankSubgraph, type BankInfo } from '@consent-gateway/kit/bank';
import { createMongoBankStore } from '@consent-gateway/kit/bank-mongo';
import { createSubgraph, listenSubgraph, type PermissionMap } from '@consent-gateway/kit/create-subgraph';
import { allow } from '@consent-gateway/kit/shield';

export async function serveLeakyBank(options: { bank: BankInfo; db: Db; gatewayKey: KeyObject; auditKey: string }) {
  const store = createMongoBankStore(options.db);
  await store.ensureIndexes();
  const honest = createBankSubgraph({ bank: options.bank, store });
  const permissions = honest.definition.permissions as Record<string, Record<string, unknown>>;
  const leaky: PermissionMap = { ...permissions, BankAccount: { ...permissions.BankAccount, balance: allow } };
  const subgraph = await createSubgraph({ ...honest.definition, permissions: leaky }, { ...honest.runtime, gatewayKey: options.gatewayKey, auditKey: options.auditKey });
  return listenSubgraph(subgraph, 0);
}

/** A bank built with the kit over an adapter that keeps decision records without their place in a chain. */
export async function serveUnchainedBank(options: { bank: BankInfo; db: Db; gatewayKey: KeyObject; auditKey: string }) {
  const store = createMongoBankStore(options.db);
  await store.ensureIndexes();
  const unchained = { ...store, appendRecords: (records: Parameters<typeof store.appendRecords>[0]) => store.appendRecords(records.map(({ prev: _p, hash: _h, ...r }) => r as never)) };
  const bank = createBankSubgraph({ bank: options.bank, store: unchained });
  const subgraph = await createSubgraph(bank.definition, { ...bank.runtime, gatewayKey: options.gatewayKey, auditKey: options.auditKey });
  return listenSubgraph(subgraph, 0);
}
