// user-profile data: one `users` collection. Public profile and private contact fields are read
// by separate batched loaders, so a denied email is never read.
import DataLoader from 'dataloader';
import type { Db } from 'mongodb';
import { loadByKeys } from '@consent-gateway/kit/mongo';

export interface UserDoc {
  _id: string;
  displayName: string;
  avatarUrl?: string | null;
  email?: string | null;
  phone?: string | null;
}

export const users = (db: Db) => db.collection<UserDoc>('users');

export async function ensureIndexes(db: Db): Promise<void> {
  // Every lookup is by _id; a display-name index serves the directory search of a later issue.
  await users(db).createIndex({ displayName: 1 });
}

export function createLoaders(db: Db) {
  return {
    profile: new DataLoader((ids: readonly string[]) => loadByKeys(users(db), '_id', ids, { displayName: 1, avatarUrl: 1 })),
    contact: new DataLoader((ids: readonly string[]) => loadByKeys(users(db), '_id', ids, { email: 1, phone: 1 })),
  };
}
export type Loaders = ReturnType<typeof createLoaders>;
