// createBankSubgraph: a partner bank's subgraph is the kit + the contract + a data adapter for the
// bank's own store. Everything that makes it safe (the consent rules, deny by default, the audit,
// reading sensitive data only after its rule passed) comes from here, the same for every bank:
//
//   const bank = createBankSubgraph({ bank: { id: 'northwind', name: 'Northwind Bank' }, store });
//   const subgraph = await createSubgraph(bank.definition, { ...bank.runtime, gatewayKey, auditKey });
//   await listen(subgraph.handler, 4002);
import { ConfigError } from '../config.ts';
import type { SubgraphDefinition, SubgraphRuntime } from '../create-subgraph.ts';
import { isUser } from '../identity.ts';
import { isBankId } from '../ids.ts';
import { bankAudience } from '../internal-token.ts';
import { AccessDecisions } from './access.ts';
import { createLoaders, type BankContext, type BankInfo } from './context.ts';
import { bankContractTypeDefs } from './contract.ts';
import { bankDataSubject } from './data-subject.ts';
import { bankPermissions } from './permissions.ts';
import { BANK_SUBGRAPH } from './policy.ts';
import { bankResolvers } from './resolvers.ts';
import type { BankStore } from './store.ts';

export interface BankSubgraphOptions {
  /** This bank: its id (as in its objects' ids and the gateway's registry) and display name. */
  bank: BankInfo;
  /** The data adapter over the bank's own store. */
  store: BankStore;
}

export interface BankSubgraph {
  definition: SubgraphDefinition<BankContext>;
  /** The store-backed part of createSubgraph's runtime: the decision records, export and erasure, the readiness probe. */
  runtime: Pick<SubgraphRuntime, 'audit' | 'dataSubject' | 'ready'>;
}

export function createBankSubgraph({ bank, store }: BankSubgraphOptions): BankSubgraph {
  if (!isBankId(bank.id)) throw new ConfigError(`bank id "${bank.id}" must match ^[a-z][a-z0-9-]{1,39}$`);
  if (!bank.name?.trim()) throw new ConfigError(`bank "${bank.id}" needs a name`);
  const info = Object.freeze({ id: bank.id, name: bank.name.trim() });
  return {
    definition: {
      name: BANK_SUBGRAPH,
      // The gateway mints a token per bank call for this bank alone.
      audience: bankAudience(info.id),
      info: { bank: info.id },
      typeDefs: bankContractTypeDefs(),
      resolvers: bankResolvers,
      permissions: bankPermissions,
      extendContext: (base) => {
        const loaders = createLoaders(store, isUser(base.identity) ? base.identity.sub : undefined);
        return { ...base, bank: info, store, loaders, access: new AccessDecisions({ identity: base.identity, now: base.now, bank: info, loaders }) };
      },
    },
    runtime: { audit: store, dataSubject: bankDataSubject(info, store), ready: () => store.ping() },
  };
}

export { bankPermissions } from './permissions.ts';
export { bankContractSdl, bankContractTypeDefs, BANK_CONTRACT_FILE } from './contract.ts';
export { HOW_TO_REVOKE } from './consents.ts';
export type { BankContext, BankInfo } from './context.ts';
export type * from './store.ts';
