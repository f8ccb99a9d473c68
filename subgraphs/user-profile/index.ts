// The user-profile subgraph: the `User` entity's profile fields.
import type { KitContext } from '@consent-gateway/kit/context';
import type { SubgraphDefinition } from '@consent-gateway/kit/create-subgraph';
import { subgraphTypeDefs } from '../catalog.ts';
import { permissions } from './permissions.ts';
import { resolvers } from './resolvers.ts';
import { createLoaders, ensureIndexes, type Loaders } from './store.ts';

export interface ProfileContext extends KitContext {
  loaders: Loaders;
}

export const userProfile: SubgraphDefinition<ProfileContext> = {
  name: 'user-profile',
  typeDefs: subgraphTypeDefs('user-profile'),
  resolvers,
  permissions,
  extendContext: (base) => ({ ...base, loaders: createLoaders(base.db) }),
};

export { ensureIndexes };
