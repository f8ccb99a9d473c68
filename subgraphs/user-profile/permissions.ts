// Who may read what in user-profile. Profiles are for signed-in viewers; contact fields for
// their owner alone; the bank directory is for the gateway's routing and the user's own grants.
import { gatewayOnly, isAuthenticated, isFirstPartyUser, isSelf } from '@consent-gateway/kit/rules';
import type { PermissionMap } from '@consent-gateway/kit/create-subgraph';

export const permissions: PermissionMap = {
  Query: {
    me: isAuthenticated,
    user: isAuthenticated,
  },
  Mutation: {
    // The gateway links a bank before it forwards the user's own grant (the user alone may grant).
    linkUserToBank: isFirstPartyUser,
    // The resolver makes the decisions itself, for the token's viewer; it returns nothing of anyone.
    recordDecisionsWithoutBank: gatewayOnly,
  },
  User: {
    id: isAuthenticated,
    displayName: isAuthenticated,
    avatarUrl: isAuthenticated,
    email: isSelf,
    phone: isSelf,
    // Not in the API (@inaccessible): only the gateway's query planner asks, to route the User
    // fields banks contribute; it never reaches a client or a bank.
    bankIds: isAuthenticated,
  },
};
