// A user's own access log at this bank, read from the bank's decision records. (The security
// reviewers read decision records through the kit's records routes, across every subgraph and
// bank at once: see records-routes.ts and gateway/records/.)
import { accessLogOf } from '../audit.ts';
import { badInput } from '../reasons.ts';
import type { BankContext } from './context.ts';

function limit(first: number | null | undefined, max: number): number {
  const n = first ?? 50;
  if (!Number.isInteger(n) || n < 1 || n > max) throw badInput(`first must be between 1 and ${max}`);
  return n;
}

export const auditResolvers = {
  User: {
    /** One entry per request in which someone was allowed to read the user's data at this bank. */
    accessLog: async (user: { id: string }, args: { first?: number }, ctx: BankContext) => {
      const n = limit(args.first, 200);
      const records = await ctx.store.findRecords({ subjectUserId: user.id, outcome: 'ALLOW', withBank: true, limit: n * 25 });
      // Reads of the user's bank data, judged under a consent (each names its permission): every
      // record here names this bank, the user's own look at their consents or this log included.
      // The subject and the bank are checked again (defence in depth): an adapter whose
      // findRecords ignores a filter lists no one else's reads.
      const own = records.filter((r) => r.permission !== null && r.subjectUserId === user.id && r.bankId === ctx.bank.id);
      return accessLogOf(own).slice(0, n);
    },
  },
  types: {
    AccessLogEntry: {
      bank: (e: { bankId: string }, _args: unknown, ctx: BankContext) => (e.bankId === ctx.bank.id ? ctx.bank : null),
    },
  },
};
