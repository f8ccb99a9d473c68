// The platform's subgraphs by name: their definition (over their own database) and index set-up.
import type { Db } from 'mongodb';
import type { PlatformSubgraph } from './catalog.ts';
import type { PermissionMap, SubgraphDefinition } from '@consent-gateway/kit/create-subgraph';
import type { KitContext } from '@consent-gateway/kit/context';
import type { DataSubjectAdapter } from '@consent-gateway/kit/records-routes';
import type { RuleMeanings } from '@consent-gateway/kit/rule-meanings';
import type { DocumentNode } from 'graphql';
import * as messaging from './messaging/index.ts';
import * as userProfile from './user-profile/index.ts';

export interface SubgraphModule {
  definition(db: Db): SubgraphDefinition<KitContext & any>;
  ensureIndexes(db: Db): Promise<void>;
  /** What the subgraph holds about a person: their export and erasure. */
  dataSubject(db: Db): DataSubjectAdapter;
  typeDefs: DocumentNode;
  permissions: PermissionMap;
  /** The meanings of the rules this subgraph defines itself (the kit's are in the kit). */
  ruleMeanings?: RuleMeanings;
}

export const SUBGRAPHS: Record<PlatformSubgraph, SubgraphModule> = {
  'user-profile': { ...userProfile, definition: userProfile.userProfile },
  messaging: { ...messaging, definition: messaging.messaging },
};

/** Each subgraph has its own database: `<prefix><name>`, e.g. `consent_user_profile`. */
export function databaseName(prefix: string, name: PlatformSubgraph): string {
  return `${prefix}${name.replace(/-/g, '_')}`;
}

/** Each bank has its own database too: `<prefix>bank_<id>`, e.g. `consent_bank_northwind`. */
export function bankDatabaseName(prefix: string, bankId: string): string {
  return `${prefix}bank_${bankId}`;
}
