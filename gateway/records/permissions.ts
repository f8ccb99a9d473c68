// The authorization table of the `records` subgraph the gateway answers itself. The gateway judges
// first, so that nobody but a reviewer (or the person themself) can make it call any store; every
// store judges the same request again with the same rule and records the decision in its own
// records (kit/src/records-routes.ts).
import { dataSubjectDenial, reviewerDenial } from '@consent-gateway/kit/consent-policy';
import type { PermissionMap } from '@consent-gateway/kit/create-subgraph';
import type { Identity } from '@consent-gateway/kit/identity';
import { forbidden, type Reason } from '@consent-gateway/kit/reasons';
import { allow, rule } from '@consent-gateway/kit/shield';

const judged = (name: string, denial: (identity: Identity) => Reason | undefined) =>
  rule(name, { cache: 'contextual' })((_parent: unknown, _args: unknown, ctx: { identity: Identity }) => {
    const reason = denial(ctx.identity);
    return reason ? forbidden(reason) : true;
  });

/** Security reviewers, and nobody else. */
const isSecurityReviewer = judged('isSecurityReviewer', reviewerDenial);
/** The signed-in user, for themself, in a first-party app. */
const isFirstPartyUser = judged('isFirstPartyUser', dataSubjectDenial);

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
