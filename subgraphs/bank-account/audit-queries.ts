// Reading the decision records: a user's own access log, and the security reviewers' query.
import type { Document } from 'mongodb';
import { auditCollection, type AuditRecord } from '@consent-gateway/kit/audit';
import { badInput } from '@consent-gateway/kit/reasons';
import type { BankContext } from './index.ts';
import { bankById } from './banks.ts';

interface AuditFilter {
  userId?: string | null;
  bankId?: string | null;
  consentId?: string | null;
  outcome?: 'ALLOW' | 'DENY' | null;
  from?: string | null;
  to?: string | null;
}

const MAX_AUDIT_PAGE = 500;

function auditQuery(filter: AuditFilter = {}): Document {
  const query: Document = {};
  if (filter.userId) query.subjectUserId = filter.userId;
  if (filter.bankId) query.bankId = filter.bankId;
  // A listing decision names every consent it used, comma-separated.
  if (filter.consentId) query.consentId = { $regex: `(^|,)${filter.consentId.replace(/[^\w-]/g, '')}(,|$)` };
  if (filter.outcome) query.outcome = filter.outcome;
  if (filter.from || filter.to) query.at = { ...(filter.from ? { $gte: filter.from } : {}), ...(filter.to ? { $lte: filter.to } : {}) };
  return query;
}

function limit(first: number | null | undefined, max: number): number {
  const n = first ?? 50;
  if (!Number.isInteger(n) || n < 1 || n > max) throw badInput(`first must be between 1 and ${max}`);
  return n;
}

export const auditResolvers = {
  Query: {
    auditEvents: async (_root: unknown, args: { filter?: AuditFilter; first?: number }, ctx: BankContext) => {
      const docs = await auditCollection(ctx.db)
        .find(auditQuery(args.filter ?? {}), { sort: { at: -1, _id: 1 }, limit: limit(args.first, MAX_AUDIT_PAGE) })
        .toArray();
      return docs.map((d) => ({ ...d, id: d._id }));
    },
  },
  User: {
    /** One entry per request and bank in which someone was allowed to read the user's bank data. */
    accessLog: async (user: { id: string }, args: { first?: number }, ctx: BankContext) => {
      const n = limit(args.first, 200);
      const docs = await auditCollection(ctx.db)
        .find({ subjectUserId: user.id, outcome: 'ALLOW', bankId: { $ne: null } }, { sort: { at: -1 }, limit: n * 25 })
        .toArray();
      const entries = new Map<string, { at: string; requestId: string; viewerKind: string; viewerId: string | null; bankId: string; purpose: string | null; fields: Set<string> }>();
      for (const d of docs as AuditRecord[]) {
        const key = `${d.requestId}|${d.bankId}`;
        const entry = entries.get(key) ?? { at: d.at, requestId: d.requestId, viewerKind: d.viewerKind, viewerId: d.viewerId, bankId: d.bankId!, purpose: d.purpose, fields: new Set<string>() };
        entry.fields.add(d.field);
        entries.set(key, entry);
      }
      return [...entries.values()].slice(0, n).map((e) => ({ ...e, fields: [...e.fields].sort() }));
    },
  },
  types: {
    AccessLogEntry: {
      bank: (e: { bankId: string }, _args: unknown, ctx: BankContext) => bankById(ctx, e.bankId),
    },
  },
};
