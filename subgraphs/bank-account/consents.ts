// Granting and revoking consents (the user alone: see permissions.ts), and how a consent reads.
// A grant never changes afterwards; a revoke is one atomic update that also appends its event.
import { randomUUID } from 'node:crypto';
import { GraphQLError } from 'graphql';
import { consentStatus, grantProblems, type GrantInput, type Permission } from '@consent-gateway/kit/consent-policy';
import { isPurpose, type Purpose } from '@consent-gateway/kit/identity';
import { badInput } from '@consent-gateway/kit/reasons';
import type { BankContext } from './index.ts';
import { bankById } from './banks.ts';
import { collections, HOW_TO_REVOKE, type ConsentDoc } from './store.ts';


function toConsent(doc: ConsentDoc) {
  return { ...doc, id: doc._id };
}

async function grantConsent(_root: unknown, { input }: { input: GrantInput }, ctx: BankContext) {
  const userId = ctx.identity.sub!;
  const problems = grantProblems(input, ctx.now, isPurpose);
  const bank = await bankById(ctx, input.bankId);
  if (!bank) problems.push(`unknown bank "${input.bankId}"`);
  if (problems.length) throw badInput(`invalid consent: ${problems.join('; ')}`, { problems });
  const at = ctx.now.toISOString();
  const iso = (v?: string | null) => (v ? new Date(v).toISOString() : null);
  const _id = `cns_${randomUUID()}`;
  const doc: ConsentDoc = {
    _id,
    userId,
    bankId: input.bankId,
    permissions: [...new Set(input.permissions)] as Permission[],
    purposes: [...new Set(input.purposes)] as Purpose[],
    grantedAt: at,
    expiresAt: iso(input.expiresAt),
    revokedAt: null,
    transactionsFrom: iso(input.transactionsFrom),
    transactionsTo: iso(input.transactionsTo),
    events: [{ type: 'GRANTED', at, initiator: userId }],
    receipt: {
      consentId: _id,
      userId,
      bankId: input.bankId,
      bankName: bank!.name,
      permissions: [...new Set(input.permissions)],
      purposes: [...new Set(input.purposes)],
      grantedAt: at,
      expiresAt: iso(input.expiresAt),
      transactionsFrom: iso(input.transactionsFrom),
      transactionsTo: iso(input.transactionsTo),
      thirdPartyDisclosure: false,
      howToRevoke: HOW_TO_REVOKE,
    },
  };
  await collections(ctx.db).consents.insertOne(doc);
  return toConsent(doc);
}

async function revokeConsent(_root: unknown, { id }: { id: string }, ctx: BankContext) {
  const userId = ctx.identity.sub!;
  const consents = collections(ctx.db).consents;
  const at = ctx.now.toISOString();
  // Scoped to the caller: another user's consent id is indistinguishable from a missing one.
  await consents.updateOne({ _id: id, userId, revokedAt: null }, { $set: { revokedAt: at }, $push: { events: { type: 'REVOKED', at, initiator: userId } } });
  const doc = await consents.findOne({ _id: id, userId });
  if (!doc) throw new GraphQLError(`no consent "${id}" of yours`, { extensions: { code: 'NOT_FOUND' } });
  return toConsent(doc);
}

export const consentMutations = { grantConsent, revokeConsent };

export const consentResolvers = {
  User: {
    consents: async (user: { id: string }, _args: unknown, ctx: BankContext) => {
      const docs = await ctx.loaders.consentsByUser.load(user.id);
      return [...docs].sort((a, b) => b.grantedAt.localeCompare(a.grantedAt)).map((d) => toConsent(d as ConsentDoc));
    },
  },
  types: {
    Consent: {
      bank: (c: ConsentDoc, _args: unknown, ctx: BankContext) => bankById(ctx, c.bankId),
      status: (c: ConsentDoc, _args: unknown, ctx: BankContext) => consentStatus(c, ctx.now),
    },
  },
};
