import type { Resolvers } from '@consent-gateway/kit/create-subgraph';
import { isBankId } from '@consent-gateway/kit/ids';
import { badInput } from '@consent-gateway/kit/reasons';
import type { ProfileContext } from './index.ts';
import { linkBanks } from './store.ts';

type UserRef = { id: string };

export const resolvers: Resolvers<ProfileContext> = {
  Query: {
    me: (_root, _args, ctx) => (ctx.identity.sub ? profile(ctx, ctx.identity.sub) : null),
    user: (_root, args: { id: string }, ctx) => profile(ctx, args.id),
  },
  Mutation: {
    linkUserToBank: async (_root, args: { bankId: string }, ctx) => {
      if (!isBankId(args.bankId)) throw badInput(`"${args.bankId}" is not a bank id`);
      await linkBanks(ctx.db, ctx.identity.sub!, [args.bankId]);
      return true;
    },
  },
  User: {
    __resolveReference: (ref: UserRef, ctx: ProfileContext) => profile(ctx, ref.id),
    displayName: (user: UserRef & { displayName: string }) => user.displayName,
    email: async (user: UserRef, _args, ctx) => (await ctx.loaders.contact.load(user.id))?.email ?? null,
    phone: async (user: UserRef, _args, ctx) => (await ctx.loaders.contact.load(user.id))?.phone ?? null,
    bankIds: async (user: UserRef, _args, ctx) => [...((await ctx.loaders.bankIds.load(user.id))?.bankIds ?? [])].sort(),
  },
};

async function profile(ctx: ProfileContext, id: string) {
  const doc = await ctx.loaders.profile.load(id);
  return doc ? { id: doc._id, displayName: doc.displayName, avatarUrl: doc.avatarUrl ?? null } : null;
}
