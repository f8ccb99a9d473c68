// A person's export and erasure in user-profile: their profile with contact details, and the
// directory entry of the banks they have a relationship with. Erasure deletes both.
import type { Db } from 'mongodb';
import type { DataSubjectAdapter } from '@consent-gateway/kit/records-routes';
import { bankRelationships, users } from './store.ts';

export function dataSubject(db: Db): DataSubjectAdapter {
  return {
    async exportSubject(userId) {
      const [profile, directory] = await Promise.all([users(db).findOne({ _id: userId }), bankRelationships(db).findOne({ _id: userId })]);
      return {
        profile: profile && { id: profile._id, displayName: profile.displayName, avatarUrl: profile.avatarUrl ?? null, email: profile.email ?? null, phone: profile.phone ?? null },
        bankDirectory: [...(directory?.bankIds ?? [])].sort(),
      };
    },
    async eraseSubject({ userId }) {
      const profiles = await users(db).deleteOne({ _id: userId });
      const directory = await bankRelationships(db).deleteOne({ _id: userId });
      return { profilesDeleted: profiles.deletedCount, directoryEntriesDeleted: directory.deletedCount };
    },
  };
}
