// The messaging subgraph: conversations between a user and a bank, messages, opt-ins.
import type { Db } from 'mongodb';
import type { KitContext } from '@consent-gateway/kit/context';
import type { SubgraphDefinition } from '@consent-gateway/kit/create-subgraph';
import { subgraphTypeDefs } from '../catalog.ts';
import { permissions } from './permissions.ts';
import { resolvers } from './resolvers.ts';
import { createLoaders, ensureIndexes, type Loaders } from './store.ts';

export interface MessagingContext extends KitContext {
  db: Db;
  loaders: Loaders;
}

export const typeDefs = subgraphTypeDefs('messaging');

export function messaging(db: Db): SubgraphDefinition<MessagingContext> {
  return {
    name: 'messaging',
    typeDefs,
    resolvers,
    permissions,
    extendContext: (base) => {
      const agentBank = base.identity.roles.includes('bank_agent') ? base.identity.bank : undefined;
      return { ...base, db, loaders: createLoaders(db, agentBank) };
    },
  };
}

export { ensureIndexes, permissions };
export { dataSubject } from './data-subject.ts';
export { ruleMeanings } from './rule-meanings.ts';
