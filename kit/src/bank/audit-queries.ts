// Reading the decision records: a user's own access log, and the security reviewers' query.
import type { AuditRecord, DecisionQuery } from '../audit.ts';
import { badInput } from '../reasons.ts';
import type { BankContext } from './context.ts';

type AuditFilter = Omit<DecisionQuery, 'limit' | 'withBank' | 'subjectUserId'> & { userId?: string | null };

const MAX_AUDIT_PAGE = 500;

function limit(first: number | null | undefined, max: number): number {
  const n = first ?? 50;
  if (!Number.isInteger(n) || n < 1 || n > max) throw badInput(`first must be between 1 and ${max}`);
  return n;
}

export const auditResolvers = {
  Query: {
    auditEvents: async (_root: unknown, args: { filter?: AuditFilter; first?: number }, ctx: BankContext) => {
      const { userId, ...filter } = args.filter ?? {};
      const docs = await ctx.store.decisions({ ...filter, subjectUserId: userId, limit: limit(args.first, MAX_AUDIT_PAGE) });
      return docs.map((d) => ({ ...d, id: d._id }));
    },
  },
  User: {
    /** One entry per request in which someone was allowed to read the user's data at this bank. */
    accessLog: async (user: { id: string }, args: { first?: number }, ctx: BankContext) => {
      const n = limit(args.first, 200);
      const docs = await ctx.store.decisions({ subjectUserId: user.id, outcome: 'ALLOW', withBank: true, limit: n * 25 });
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
      bank: (e: { bankId: string }, _args: unknown, ctx: BankContext) => (e.bankId === ctx.bank.id ? ctx.bank : null),
    },
  },
};
