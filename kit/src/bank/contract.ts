// The bank subgraph contract (kit/schema/bank-account.graphql, shipped in this package): what
// every bank subgraph serves, and what the conformance kit compares a bank's SDL with.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse, type DocumentNode } from 'graphql';

export const BANK_CONTRACT_FILE = fileURLToPath(new URL('../../schema/bank-account.graphql', import.meta.url));

export function bankContractSdl(): string {
  return readFileSync(BANK_CONTRACT_FILE, 'utf8');
}

export function bankContractTypeDefs(): DocumentNode {
  return parse(bankContractSdl());
}
