// Every subgraph of this graph by name: its definition and its index set-up.
import type { Db } from 'mongodb';
import type { SubgraphName } from './catalog.ts';
import type { SubgraphDefinition } from '@consent-gateway/kit/create-subgraph';
import type { KitContext } from '@consent-gateway/kit/context';
import * as bankAccount from './bank-account/index.ts';
import * as messaging from './messaging/index.ts';
import * as userProfile from './user-profile/index.ts';

export interface SubgraphModule {
  definition: SubgraphDefinition<KitContext & any>;
  ensureIndexes(db: Db): Promise<void>;
}

export const SUBGRAPHS: Record<SubgraphName, SubgraphModule> = {
  'user-profile': { definition: userProfile.userProfile, ensureIndexes: userProfile.ensureIndexes },
  'bank-account': { definition: bankAccount.bankAccount, ensureIndexes: bankAccount.ensureIndexes },
  messaging: { definition: messaging.messaging, ensureIndexes: messaging.ensureIndexes },
};

/** Each subgraph has its own database: `<prefix><name>`, e.g. `consent_bank_account`. */
export function databaseName(prefix: string, name: SubgraphName): string {
  return `${prefix}${name.replace(/-/g, '_')}`;
}
