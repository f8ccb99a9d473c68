// The decision audit on MongoDB: one `insertMany` per request into `audit_decisions`, and the
// queries that read it back (a user's access log, the security reviewers' search).
import type { Collection, Db, Document } from 'mongodb';
import type { AuditRecord, AuditSink, DecisionQuery } from './audit.ts';
import { ensureIndexes } from './mongo.ts';

export const AUDIT_COLLECTION = 'audit_decisions';

export function auditCollection(db: Db): Collection<AuditRecord> {
  return db.collection<AuditRecord>(AUDIT_COLLECTION);
}

export async function ensureAuditIndexes(db: Db): Promise<void> {
  await ensureIndexes(auditCollection(db), [[{ subjectUserId: 1, at: -1 }], [{ bankId: 1, at: -1 }], [{ consentId: 1 }], [{ requestId: 1 }], [{ at: -1 }]]);
}

export function mongoAuditSink(db: Db): AuditSink {
  return { recordDecisions: async (records) => void (await auditCollection(db).insertMany(records, { ordered: false })) };
}

function filterOf(query: DecisionQuery): Document {
  const filter: Document = {};
  if (query.subjectUserId) filter.subjectUserId = query.subjectUserId;
  if (query.bankId) filter.bankId = query.bankId;
  else if (query.withBank) filter.bankId = { $ne: null };
  if (query.consentId) filter.consentId = { $regex: `(^|,)${query.consentId.replace(/[^\w:-]/g, '')}(,|$)` };
  if (query.outcome) filter.outcome = query.outcome;
  if (query.from || query.to) filter.at = { ...(query.from ? { $gte: query.from } : {}), ...(query.to ? { $lte: query.to } : {}) };
  return filter;
}

export async function findDecisions(db: Db, query: DecisionQuery): Promise<AuditRecord[]> {
  return (await auditCollection(db).find(filterOf(query), { sort: { at: -1, _id: 1 }, limit: query.limit }).toArray()) as AuditRecord[];
}
