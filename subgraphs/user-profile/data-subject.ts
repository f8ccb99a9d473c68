// A person's export and erasure in user-profile: their profile with contact details, and the
// directory of the banks they have a relationship with (kept in the same document). Erasure
// deletes the document, so both go.
import type { Db } from 'mongodb';
import type { DataSubjectAdapter } from '@consent-gateway/kit/records-routes';
import { users } from './store.ts';

export function dataSubject(db: Db): DataSubjectAdapter {
  return {
    async exportSubject(userId) {
      const doc = await users(db).findOne({ _id: userId });
      // A document with no display name holds only the directory of a user without a profile.
      return {
        profile: doc?.displayName === undefined ? null : { id: doc._id, displayName: doc.displayName, avatarUrl: doc.avatarUrl ?? null, email: doc.email ?? null, phone: doc.phone ?? null },
        bankDirectory: [...(doc?.bankIds ?? [])].sort(),
      };
    },
    async eraseSubject({ userId }) {
      const doc = await users(db).findOne({ _id: userId }, { projection: { displayName: 1, bankIds: 1 } });
      const deleted = (await users(db).deleteOne({ _id: userId })).deletedCount;
      return { profilesDeleted: deleted && doc?.displayName !== undefined ? 1 : 0, directoryEntriesDeleted: deleted && doc?.bankIds?.length ? 1 : 0 };
    },
  };
}
