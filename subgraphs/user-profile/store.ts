// user-profile data: `users`, one document per user: the public profile, the private contact
// fields and the directory of which banks the user has a relationship with (bank ids only, never
// bank data). Each field is read only when its rule passed, by one field loader (a denied email is
// never read), and the reads of one tick are one command: the directory the gateway asks with the
// profile comes in the same read as the profile.
import type { Db, Document } from 'mongodb';
import { FieldLoader } from '@consent-gateway/kit/field-loader';
import { loadByKeys } from '@consent-gateway/kit/mongo';

export interface UserDoc {
  _id: string;
  /** Absent on a document that only holds the directory of a user without a profile. */
  displayName?: string;
  avatarUrl?: string | null;
  email?: string | null;
  phone?: string | null;
  /** The banks the user ever granted a consent to. */
  bankIds?: string[];
}
/** One per user who ever granted a consent: the banks they granted one to (the demo data's directory). */
export interface BankRelationshipDoc {
  _id: string;
  bankIds: string[];
}

type UserRow = Omit<UserDoc, '_id'> & { id: string };
type UserField = Exclude<keyof UserRow, 'id'>;

export const users = (db: Db) => db.collection<UserDoc>('users');

export async function ensureIndexes(db: Db): Promise<void> {
  // Every lookup is by _id; a display-name index serves the directory search of a later issue.
  await users(db).createIndex({ displayName: 1 });
  // Before 0.2 the directory had a collection of its own: move it into the users' documents.
  const old = db.collection<BankRelationshipDoc>('bank_relationships');
  const entries = await old.find({}).toArray();
  for (const entry of entries) await linkBanks(db, entry._id, entry.bankIds);
  if (entries.length) await old.drop().catch(() => undefined); // another replica may have dropped it first
}

/**
 * Adds banks to a user's relationships ($addToSet: idempotent, safe under concurrent grants). Two
 * upserts of a user without a document race to insert it, and the loser fails on the duplicate
 * _id: then the document exists, and the same update, tried again, adds to it.
 */
export async function linkBanks(db: Db, userId: string, bankIds: string[]): Promise<void> {
  const link = () => users(db).updateOne({ _id: userId }, { $addToSet: { bankIds: { $each: bankIds } } }, { upsert: true });
  try {
    await link();
  } catch (error) {
    if ((error as { code?: unknown }).code !== 11000) throw error;
    await link();
  }
}

export function createLoaders(db: Db) {
  const rows = new FieldLoader<UserRow, UserField>(async (ids, fields) =>
    (await loadByKeys(users(db), '_id', ids, Object.fromEntries(fields.map((f) => [f, 1])) as Document)).map((doc) => {
      if (!doc) return null;
      const { _id, ...rest } = doc;
      return { id: _id, ...rest } as UserRow;
    }),
  );
  return {
    /** Public profile fields, and the directory too when the same request asks for it (`withBankIds`). */
    profile: { load: (id: string, withBankIds = false) => rows.load(id, withBankIds ? (['displayName', 'avatarUrl', 'bankIds'] as const) : (['displayName', 'avatarUrl'] as const)) },
    contact: { load: (id: string) => rows.load(id, ['email', 'phone'] as const) },
    bankIds: { load: (id: string) => rows.load(id, ['bankIds'] as const) },
  };
}
export type Loaders = ReturnType<typeof createLoaders>;
