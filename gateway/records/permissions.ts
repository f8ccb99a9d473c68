// The authorization table of the `records` subgraph the gateway answers itself. The gateway judges
// first, so that nobody but a reviewer (or the person themself) can make it ask the stores for
// anything; every store judges an allowed request again with the same rule and records the
// decision in its own records (kit/src/records-routes.ts). A refusal is recorded too, like every
// decision (docs/consent-policy.md, "Records"): the store that keeps the gateway's own decisions
// (user-profile) decides it again with the same rule and records it, reading nothing, and the
// refusal goes out once it is written.
import type { GraphQLResolveInfo } from 'graphql';
import { firstPartyUserDenial, reviewerDenial } from '@consent-gateway/kit/consent-policy';
import type { PermissionMap } from '@consent-gateway/kit/create-subgraph';
import type { Identity } from '@consent-gateway/kit/identity';
import { forbidden, type Reason } from '@consent-gateway/kit/reasons';
import { allow, rule } from '@consent-gateway/kit/shield';
import type { RecordsContext } from './context.ts';

const judged = (name: string, denial: (identity: Identity) => Reason | undefined) =>
  rule(name, { cache: 'contextual' })(async (_parent: unknown, _args: unknown, ctx: RecordsContext, info: GraphQLResolveInfo) => {
    const reason = denial(ctx.identity);
    if (!reason) return true;
    await ctx.stores.recordRefusal(`${info.parentType.name}.${info.fieldName}`, ctx);
    return forbidden(reason);
  });

/** Security reviewers, and nobody else. */
const isSecurityReviewer = judged('isSecurityReviewer', reviewerDenial);
/** The signed-in user, for themself, in a first-party app. */
const isFirstPartyUser = judged('isFirstPartyUser', firstPartyUserDenial);

export const permissions: PermissionMap = {
  Query: {
    auditEvents: isSecurityReviewer,
    myData: isFirstPartyUser,
  },
  Mutation: {
    eraseMyData: isFirstPartyUser,
  },
  // Reached only through a field above that already passed its rule.
  AuditEventConnection: allow,
  AuditEventEdge: allow,
  AuditDecision: allow,
  PageInfo: allow,
  DataExport: allow,
  ErasureReport: allow,
  ErasureStep: allow,
};
