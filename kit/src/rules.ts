// The graphql-shield rule library: named, reusable rules. A protected rule records its decision
// (allow or deny, with reason and consent) in the request's audit buffer before answering.
import { rule } from './shield.ts';
import type { GraphQLResolveInfo } from 'graphql';
import type { KitContext } from './context.ts';
import { selfDenial } from './consent-policy.ts';
import { forbidden, type Reason } from './reasons.ts';

export type Verdict =
  | { outcome: 'ALLOW'; consentId?: string; permission?: string; subjectUserId?: string; bankId?: string }
  | { outcome: 'DENY'; reason: Reason; consentId?: string; permission?: string; subjectUserId?: string; bankId?: string };

export type Check<Ctx extends KitContext, Parent = any> = (
  parent: Parent,
  args: Record<string, unknown>,
  ctx: Ctx,
  info: GraphQLResolveInfo,
) => Verdict | Promise<Verdict>;

/**
 * A shield rule that judges each field instance (no caching across parents: a decision may
 * depend on the row), records the verdict, and denies with FORBIDDEN + reason code.
 */
export function protectedRule<Ctx extends KitContext, Parent = any>(name: string, check: Check<Ctx, Parent>) {
  return rule(name, { cache: 'no_cache' })(async (parent: Parent, args: Record<string, unknown>, ctx: Ctx, info: GraphQLResolveInfo) => {
    const verdict = await check(parent, args, ctx, info);
    ctx.decisions.record({
      rule: name,
      outcome: verdict.outcome,
      reason: verdict.outcome === 'DENY' ? verdict.reason : undefined,
      permission: verdict.permission,
      consentId: verdict.consentId,
      field: `${info.parentType.name}.${info.fieldName}`,
      subjectUserId: verdict.subjectUserId,
      bankId: verdict.bankId,
    });
    return verdict.outcome === 'ALLOW' ? true : forbidden(verdict.reason);
  });
}

export const allowed = (extra: Partial<Extract<Verdict, { outcome: 'ALLOW' }>> = {}): Verdict => ({ outcome: 'ALLOW', ...extra });
export const denied = (reason: Reason, extra: Partial<Omit<Extract<Verdict, { outcome: 'DENY' }>, 'outcome' | 'reason'>> = {}): Verdict => ({
  outcome: 'DENY',
  reason,
  ...extra,
});

/** Any signed-in viewer, whatever the client. */
export const isAuthenticated = protectedRule<KitContext>('isAuthenticated', (_p, _a, ctx) =>
  ctx.identity.sub ? allowed() : denied('NOT_AUTHENTICATED'),
);

/** Any signed-in viewer in a first-party app: who could ever be shown bank data. */
export const isFirstPartyViewer = protectedRule<KitContext>('isFirstPartyViewer', (_p, _a, ctx) => {
  if (!ctx.identity.sub) return denied('NOT_AUTHENTICATED');
  return ctx.identity.clientType === 'first-party' ? allowed() : denied('THIRD_PARTY_CLIENT');
});

export { selfDenial };

/** The signed-in user, in a first-party app, looking at their own record (`ownerOf(parent)`). */
export function isSelfBy<Parent>(name: string, ownerOf: (parent: Parent) => string) {
  return protectedRule<KitContext, Parent>(name, (parent, _a, ctx) => {
    const owner = ownerOf(parent);
    const reason = selfDenial(ctx.identity, owner);
    return reason ? denied(reason, { subjectUserId: owner }) : allowed({ subjectUserId: owner });
  });
}

/** On `User` fields: the user themself. */
export const isSelf = isSelfBy<{ id: string }>('isSelf', (user) => user.id);

/** A signed-in user (role `user`) in a first-party app: who may change their own grants and opt-ins. */
export const isFirstPartyUser = protectedRule<KitContext>('isFirstPartyUser', (_p, _a, ctx) => {
  const reason = ctx.identity.sub ? selfDenial(ctx.identity, ctx.identity.sub) : 'NOT_AUTHENTICATED';
  return reason ? denied(reason) : allowed({ subjectUserId: ctx.identity.sub });
});

export const isSecurityReviewer = protectedRule<KitContext>('isSecurityReviewer', (_p, _a, ctx) => {
  if (!ctx.identity.sub) return denied('NOT_AUTHENTICATED');
  return ctx.identity.roles.includes('security_reviewer') ? allowed() : denied('NOT_OWNER');
});
