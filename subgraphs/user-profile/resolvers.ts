import type { GraphQLFieldResolver, GraphQLResolveInfo } from 'graphql';
import type { Resolvers } from '@consent-gateway/kit/create-subgraph';
import { isBankUserField, WITHOUT_BANK_RULE, withoutBankRelationship } from '@consent-gateway/kit/bank-policy';
import { isBankId } from '@consent-gateway/kit/ids';
import { badInput } from '@consent-gateway/kit/reasons';
import { selectedUnder } from '@consent-gateway/kit/selection';
import type { ProfileContext } from './index.ts';
import { linkBanks } from './store.ts';

type UserRef = { id: string };

export const resolvers: Resolvers<ProfileContext> = {
  Query: {
    me: (_root, _args, ctx, info) => (ctx.identity.sub ? profile(ctx, ctx.identity.sub, info) : null),
    user: (_root, args: { id: string }, ctx, info) => profile(ctx, args.id, info),
  },
  Mutation: {
    linkUserToBank: async (_root, args: { bankId: string }, ctx) => {
      if (!isBankId(args.bankId)) throw badInput(`"${args.bankId}" is not a bank id`);
      await linkBanks(ctx.db, ctx.identity.sub!, [args.bankId]);
      return true;
    },
    recordDecisionsWithoutBank: (_root, args: { userIds: string[]; fields: string[] }, ctx) => {
      const fields = [...new Set(args.fields)];
      const unknown = fields.filter((f) => !isBankUserField(f));
      if (unknown.length) throw badInput(`not a field banks contribute to User: ${unknown.join(', ')}`);
      // Decided again here, for the viewer of the gateway's token: the gateway says what it
      // answered, never what the decision was.
      for (const userId of new Set(args.userIds)) {
        for (const field of fields.filter(isBankUserField)) {
          const { reason } = withoutBankRelationship(ctx.identity, userId, field);
          ctx.decisions.record({ rule: WITHOUT_BANK_RULE, outcome: reason ? 'DENY' : 'ALLOW', reason, field: `User.${field}`, subjectUserId: userId });
        }
      }
      return true;
    },
  },
  User: {
    // @apollo/subgraph calls it (reference, context, info); its resolver map types it as a field resolver.
    __resolveReference: ((ref: UserRef, ctx: ProfileContext, info: GraphQLResolveInfo) => profile(ctx, ref.id, info)) as unknown as GraphQLFieldResolver<UserRef, ProfileContext>,
    displayName: (user: UserRef & { displayName: string }) => user.displayName,
    email: async (user: UserRef, _args, ctx) => (await ctx.loaders.contact.load(user.id))?.email ?? null,
    phone: async (user: UserRef, _args, ctx) => (await ctx.loaders.contact.load(user.id))?.phone ?? null,
    bankIds: async (user: UserRef, _args, ctx) => [...((await ctx.loaders.bankIds.load(user.id))?.bankIds ?? [])].sort(),
  },
};


/**
 * A user's profile (null when there is none). When the same selection asks for the bank directory
 * (the gateway's routing), it is read in the same command: its rule (isAuthenticated) is the one
 * the profile's root field already passed.
 */
async function profile(ctx: ProfileContext, id: string, info: GraphQLResolveInfo) {
  const doc = await ctx.loaders.profile.load(id, selectedUnder(info, []).has('bankIds'));
  return doc?.displayName !== undefined ? { id: doc.id, displayName: doc.displayName, avatarUrl: doc.avatarUrl ?? null } : null;
}
