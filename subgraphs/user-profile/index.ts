// The user-profile subgraph: the `User` entity's profile fields, and the bank directory.
import type { Db } from 'mongodb';
import type { KitContext } from '@consent-gateway/kit/context';
import type { SubgraphDefinition } from '@consent-gateway/kit/create-subgraph';
import { subgraphTypeDefs } from '../catalog.ts';
import { permissions } from './permissions.ts';
import { resolvers } from './resolvers.ts';
import { createLoaders, ensureIndexes, type Loaders } from './store.ts';

export interface ProfileContext extends KitContext {
  db: Db;
  loaders: Loaders;
}

export const typeDefs = subgraphTypeDefs('user-profile');

export function userProfile(db: Db): SubgraphDefinition<ProfileContext> {
  return {
    name: 'user-profile',
    typeDefs,
    resolvers,
    permissions,
    extendContext: (base) => ({ ...base, db, loaders: createLoaders(db) }),
  };
}

export { ensureIndexes, permissions };
export { dataSubject } from './data-subject.ts';
