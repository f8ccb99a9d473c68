// Who may read what in user-profile. Profiles are for signed-in viewers; contact fields for
// their owner alone.
import { isAuthenticated, isSelf } from '@consent-gateway/kit/rules';
import type { PermissionMap } from '@consent-gateway/kit/create-subgraph';

export const permissions: PermissionMap = {
  Query: {
    me: isAuthenticated,
    user: isAuthenticated,
  },
  User: {
    id: isAuthenticated,
    displayName: isAuthenticated,
    avatarUrl: isAuthenticated,
    email: isSelf,
    phone: isSelf,
  },
};
