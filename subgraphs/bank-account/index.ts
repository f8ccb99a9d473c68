// The bank-account subgraph: partner banks' accounts, balances, card transactions, merchants,
// and the consents users granted to each bank.
import type { KitContext } from '@consent-gateway/kit/context';
import type { SubgraphDefinition } from '@consent-gateway/kit/create-subgraph';
import { subgraphTypeDefs } from '../catalog.ts';
import { permissions } from './permissions.ts';
import { resolvers } from './resolvers.ts';
import { createLoaders, ensureIndexes, type Loaders } from './store.ts';

export interface BankContext extends KitContext {
  loaders: Loaders;
}

export const bankAccount: SubgraphDefinition<BankContext> = {
  name: 'bank-account',
  typeDefs: subgraphTypeDefs('bank-account'),
  resolvers,
  permissions,
  extendContext: (base) => ({ ...base, loaders: createLoaders(base.db) }),
};

export { ensureIndexes };
