// Decision records on MongoDB (`audit_decisions`): the kit links and hashes them (audit-chain.ts),
// this store keeps them and reads them back: one `insertMany` per write, a unique index on
// (chain, seq) so that no chain can fork, the reviewers' and the access log's queries, erasure's
// pseudonymization, and every record in chain order for verification.
import type { Collection, Db, Document } from 'mongodb';
import type { AuditStore, DecisionQuery, StoredRecord } from './audit.ts';
import { ensureIndexes } from './mongo.ts';

export const AUDIT_COLLECTION = 'audit_decisions';

export function auditCollection(db: Db): Collection<StoredRecord> {
  return db.collection<StoredRecord>(AUDIT_COLLECTION);
}

export async function ensureAuditIndexes(db: Db): Promise<void> {
  await ensureIndexes(auditCollection(db), [
    [{ chain: 1, seq: 1 }, { unique: true }],
    [{ at: -1, _id: 1 }],
    [{ subjectUserId: 1, at: -1 }],
    [{ viewerId: 1, at: -1 }],
    [{ bankId: 1, at: -1 }],
    [{ consentId: 1 }],
    [{ requestId: 1 }],
    [{ subjectRef: 1 }],
    [{ viewerRef: 1 }],
  ]);
}

const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function filterOf(query: DecisionQuery): Document {
  const filter: Document = {};
  const and: Document[] = [];
  for (const field of ['subjectUserId', 'viewerId', 'outcome', 'reason', 'field', 'client', 'purpose', 'requestId', 'operationName', 'operationHash'] as const) {
    if (query[field]) filter[field] = query[field];
  }
  if (query.bankId) filter.bankId = query.bankId;
  else if (query.withBank) filter.bankId = { $ne: null };
  if (query.consentId) filter.consentId = { $regex: `(^|,)${escapeRegex(query.consentId)}(,|$)` };
  if (query.from || query.to) filter.at = { ...(query.from ? { $gte: query.from } : {}), ...(query.to ? { $lte: query.to } : {}) };
  if (query.after) and.push({ $or: [{ at: { $lt: query.after.at } }, { at: query.after.at, _id: { $gt: query.after.id } }] });
  return and.length ? { ...filter, $and: and } : filter;
}

export interface MongoAuditStore extends AuditStore {
  ensureIndexes(): Promise<void>;
}

export function createMongoAuditStore(db: Db): MongoAuditStore {
  const records = auditCollection(db);
  return {
    appendRecords: async (batch) => void (await records.insertMany(batch, { ordered: true })),
    chainHead: async (chain) => {
      const last = await records.findOne({ chain }, { sort: { seq: -1 }, projection: { seq: 1, hash: 1 } });
      return last ? { seq: last.seq, hash: last.hash } : null;
    },
    findRecords: async (query) => (await records.find(filterOf(query), { sort: { at: -1, _id: 1 }, limit: query.limit }).toArray()) as StoredRecord[],
    pseudonymize: async (ref, until) => {
      const viewer = await records.updateMany({ viewerRef: ref, viewerId: { $ne: null }, at: { $lte: until } }, { $set: { viewerId: null } });
      const subject = await records.updateMany({ subjectRef: ref, subjectUserId: { $ne: null }, at: { $lte: until } }, { $set: { subjectUserId: null } });
      return viewer.modifiedCount + subject.modifiedCount;
    },
    allRecords: () => records.find({}, { sort: { chain: 1, seq: 1 } }) as unknown as AsyncIterable<StoredRecord>,
    ensureIndexes: () => ensureAuditIndexes(db),
  };
}
