// user-profile data: `users` (public profile and private contact fields, read by separate batched
// loaders, so a denied email is never read) and `bank_relationships`, the directory of which banks
// a user has a relationship with: bank ids only, never bank data.
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
/** One per user who ever granted a consent: the banks they granted one to. */
export interface BankRelationshipDoc {
  _id: string;
  bankIds: string[];
}

export const users = (db: Db) => db.collection<UserDoc>('users');
export const bankRelationships = (db: Db) => db.collection<BankRelationshipDoc>('bank_relationships');

export async function ensureIndexes(db: Db): Promise<void> {
  // Every lookup is by _id; a display-name index serves the directory search of a later issue.
  await users(db).createIndex({ displayName: 1 });
}

/** Adds banks to a user's relationships ($addToSet: idempotent, safe under concurrent grants). */
export async function linkBanks(db: Db, userId: string, bankIds: string[]): Promise<void> {
  await bankRelationships(db).updateOne({ _id: userId }, { $addToSet: { bankIds: { $each: bankIds } } }, { upsert: true });
}

export function createLoaders(db: Db) {
  return {
    profile: new DataLoader((ids: readonly string[]) => loadByKeys(users(db), '_id', ids, { displayName: 1, avatarUrl: 1 })),
    contact: new DataLoader((ids: readonly string[]) => loadByKeys(users(db), '_id', ids, { email: 1, phone: 1 })),
    bankIds: new DataLoader((ids: readonly string[]) => loadByKeys(bankRelationships(db), '_id', ids)),
  };
}
export type Loaders = ReturnType<typeof createLoaders>;
