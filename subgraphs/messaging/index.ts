// The messaging subgraph: conversations between a user and a bank, messages, opt-ins.
import type { KitContext } from '@consent-gateway/kit/context';
import type { SubgraphDefinition } from '@consent-gateway/kit/create-subgraph';
import { subgraphTypeDefs } from '../catalog.ts';
import { permissions } from './permissions.ts';
import { resolvers } from './resolvers.ts';
import { createLoaders, ensureIndexes, type Loaders } from './store.ts';

export interface MessagingContext extends KitContext {
  loaders: Loaders;
}

export const messaging: SubgraphDefinition<MessagingContext> = {
  name: 'messaging',
  typeDefs: subgraphTypeDefs('messaging'),
  resolvers,
  permissions,
  extendContext: (base) => {
    const agentBank = base.identity.roles.includes('bank_agent') ? base.identity.bank : undefined;
    return { ...base, loaders: createLoaders(base.db, agentBank) };
  },
};

export { ensureIndexes };
