import type { Resolvers } from '@consent-gateway/kit/create-subgraph';
import type { ProfileContext } from './index.ts';

type UserRef = { id: string };

export const resolvers: Resolvers<ProfileContext> = {
  Query: {
    me: (_root, _args, ctx) => (ctx.identity.sub ? profile(ctx, ctx.identity.sub) : null),
    user: (_root, args: { id: string }, ctx) => profile(ctx, args.id),
  },
  User: {
    __resolveReference: (ref: UserRef, ctx: ProfileContext) => profile(ctx, ref.id),
    displayName: (user: UserRef & { displayName: string }) => user.displayName,
    email: async (user: UserRef, _args, ctx) => (await ctx.loaders.contact.load(user.id))?.email ?? null,
    phone: async (user: UserRef, _args, ctx) => (await ctx.loaders.contact.load(user.id))?.phone ?? null,
  },
};

async function profile(ctx: ProfileContext, id: string) {
  const doc = await ctx.loaders.profile.load(id);
  return doc ? { id: doc._id, displayName: doc.displayName, avatarUrl: doc.avatarUrl ?? null } : null;
}
