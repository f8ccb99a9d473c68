// The platform's subgraphs by name: their definition (over their own database) and index set-up.
import type { Db } from 'mongodb';
import type { PlatformSubgraph } from './catalog.ts';
import type { PermissionMap, SubgraphDefinition } from '@consent-gateway/kit/create-subgraph';
import type { KitContext } from '@consent-gateway/kit/context';
import type { DocumentNode } from 'graphql';
import * as messaging from './messaging/index.ts';
import * as userProfile from './user-profile/index.ts';

export interface SubgraphModule {
  definition(db: Db): SubgraphDefinition<KitContext & any>;
  ensureIndexes(db: Db): Promise<void>;
  typeDefs: DocumentNode;
  permissions: PermissionMap;
}

export const SUBGRAPHS: Record<PlatformSubgraph, SubgraphModule> = {
  'user-profile': { definition: userProfile.userProfile, ensureIndexes: userProfile.ensureIndexes, typeDefs: userProfile.typeDefs, permissions: userProfile.permissions },
  messaging: { definition: messaging.messaging, ensureIndexes: messaging.ensureIndexes, typeDefs: messaging.typeDefs, permissions: messaging.permissions },
};

/** Each subgraph has its own database: `<prefix><name>`, e.g. `consent_user_profile`. */
export function databaseName(prefix: string, name: PlatformSubgraph): string {
  return `${prefix}${name.replace(/-/g, '_')}`;
}

/** Each bank has its own database too: `<prefix>bank_<id>`, e.g. `consent_bank_northwind`. */
export function bankDatabaseName(prefix: string, bankId: string): string {
  return `${prefix}bank_${bankId}`;
}
