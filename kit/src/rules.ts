// The graphql-shield rule library: named, reusable rules. A protected rule records its decision
// (allow or deny, with reason and consent) in the request's audit buffer before answering.
import { rule, type Rule } from './shield.ts';
import { getNamedType, type GraphQLError, type GraphQLObjectType, type GraphQLResolveInfo } from 'graphql';
import type { DecisionKind } from './audit.ts';
import type { KitContext } from './context.ts';
import { firstPartyUserDenial, reviewerDenial, selfDenial } from './consent-policy.ts';
import { forbidden, type Reason } from './reasons.ts';

export type Verdict =
  | { outcome: 'ALLOW'; consentId?: string; permission?: string; subjectUserId?: string; bankId?: string }
  | { outcome: 'DENY'; reason: Reason; consentId?: string; permission?: string; subjectUserId?: string; bankId?: string };

/** What a rule runs for one field instance, answering `Result` (now or later). */
type FieldFunction<Ctx extends KitContext, Parent, Result> = (parent: Parent, args: Record<string, unknown>, ctx: Ctx, info: GraphQLResolveInfo) => Result | Promise<Result>;

export type Check<Ctx extends KitContext, Parent = any> = FieldFunction<Ctx, Parent, Verdict>;

const coordinates = new WeakMap<GraphQLObjectType, Map<string, string>>();

/**
 * `Type.field` of the field being resolved, made once per field of the schema. (graphql-js hands
 * every instance of one field of one type in a request the same `fieldNodes`, which the audit
 * buffer uses to find the field's record without asking this.)
 */
export function coordinateOf(info: GraphQLResolveInfo): string {
  let fields = coordinates.get(info.parentType);
  if (!fields) coordinates.set(info.parentType, (fields = new Map()));
  let coordinate = fields.get(info.fieldName);
  if (!coordinate) fields.set(info.fieldName, (coordinate = `${info.parentType.name}.${info.fieldName}`));
  return coordinate;
}

// One error per reason: graphql-js locates a copy at each field's path, so they can be shared.
const denials = new Map<Reason, GraphQLError>();
function denial(reason: Reason): GraphQLError {
  let error = denials.get(reason);
  if (!error) denials.set(reason, (error = forbidden(reason)));
  return error;
}

/** A judge's answer: what was decided, as recorded (the rule's name included). */
export type Judge<Ctx extends KitContext, Parent = any> = FieldFunction<Ctx, Parent, DecisionKind>;

/** Records the decision (a judge's, handed in again for each equal decision; or a check's, made afresh) and answers shield. */
function answer(ctx: KitContext, decision: DecisionKind, info: GraphQLResolveInfo, shared: boolean): true | GraphQLError {
  if (shared) ctx.decisions.tally(decision, info.fieldNodes, info, coordinateOf);
  else ctx.decisions.record({ ...decision, field: coordinateOf(info) });
  return decision.outcome === 'ALLOW' ? true : denial(decision.reason!);
}

/** What a protected rule evaluates for a field instance: `true`, or the denial to answer with. */
export type Evaluate = FieldFunction<KitContext, any, true | GraphQLError>;

const evaluations = new WeakMap<object, Evaluate>();

/**
 * The function a protected rule evaluates, to be called directly (synchronously when the judge
 * answers synchronously) by the kit's field wrapper (permission-middleware.ts); undefined for
 * every other rule. Shield's rule object holds the very same function.
 */
export function directEvaluation(shieldRule: unknown): Evaluate | undefined {
  return typeof shieldRule === 'object' && shieldRule !== null ? evaluations.get(shieldRule) : undefined;
}

function shieldRule<Ctx extends KitContext, Parent>(name: string, judge: Judge<Ctx, Parent>, shared: boolean) {
  const evaluate = (parent: Parent, args: Record<string, unknown>, ctx: Ctx, info: GraphQLResolveInfo) => {
    const decision = judge(parent, args, ctx, info);
    return decision instanceof Promise ? decision.then((d) => answer(ctx, d, info, shared)) : answer(ctx, decision, info, shared);
  };
  const made = rule(name, { cache: 'no_cache' })(evaluate);
  evaluations.set(made, evaluate as Evaluate);
  return made;
}

/**
 * The shield rule under every protected rule: it judges each field instance (no shield cache: a
 * decision may depend on the row), records the decision in the request's audit buffer, and
 * denies with FORBIDDEN + reason code. The judge must answer with the same object for the same
 * decision (consent rules do: kit/src/bank/access.ts); answering synchronously when it can, a
 * field costs little more than a map lookup.
 */
export function judgedRule<Ctx extends KitContext, Parent = any>(name: string, judge: Judge<Ctx, Parent>): Rule {
  return shieldRule(name, judge, true);
}

/** A protected rule from a check that returns a verdict; the rule's name goes with it into the record. */
export function protectedRule<Ctx extends KitContext, Parent = any>(name: string, check: Check<Ctx, Parent>): Rule {
  const judge: Judge<Ctx, Parent> = (parent, args, ctx, info) => {
    const verdict = check(parent, args, ctx, info);
    return verdict instanceof Promise ? verdict.then((v) => ({ rule: name, ...v })) : { rule: name, ...verdict };
  };
  return shieldRule(name, judge, false);
}

export const allowed = (extra: Partial<Extract<Verdict, { outcome: 'ALLOW' }>> = {}): Verdict => ({ outcome: 'ALLOW', ...extra });
export const denied = (reason: Reason, extra: Partial<Omit<Extract<Verdict, { outcome: 'DENY' }>, 'outcome' | 'reason'>> = {}): Verdict => ({
  outcome: 'DENY',
  reason,
  ...extra,
});

/**
 * The person a field about a `User` concerns, for its decision record: the User the field is on,
 * or the one a root field returning a User names (`user(id:)`), else the viewer (`me`).
 */
function userConcerned(parent: unknown, args: Record<string, unknown>, ctx: KitContext, info: GraphQLResolveInfo): string | undefined {
  if (info.parentType.name === 'User') {
    const id = (parent as { id?: unknown } | null)?.id;
    return typeof id === 'string' ? id : undefined;
  }
  if (getNamedType(info.returnType).name !== 'User') return undefined;
  return typeof args.id === 'string' ? args.id : ctx.identity.sub;
}

/** Any signed-in viewer, whatever the client; the record names whose profile it was (a person's access log lists it). */
export const isAuthenticated = protectedRule<KitContext>('isAuthenticated', (parent, args, ctx, info) => {
  const subjectUserId = userConcerned(parent, args, ctx, info);
  return ctx.identity.sub ? allowed({ subjectUserId }) : denied('NOT_AUTHENTICATED', { subjectUserId });
});

/** Any signed-in viewer in a first-party app: who could ever be shown bank data. */
export const isFirstPartyViewer = protectedRule<KitContext>('isFirstPartyViewer', (_p, _a, ctx) => {
  if (!ctx.identity.sub) return denied('NOT_AUTHENTICATED');
  return ctx.identity.clientType === 'first-party' ? allowed() : denied('THIRD_PARTY_CLIENT');
});

export { selfDenial };

/** The signed-in user, in a first-party app, looking at their own record (`ownerOf(parent)`). */
export function isSelfBy<Parent>(name: string, ownerOf: (parent: Parent) => string): Rule {
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
  const reason = firstPartyUserDenial(ctx.identity);
  return reason ? denied(reason) : allowed({ subjectUserId: ctx.identity.sub });
});

/**
 * An @inaccessible field that only the gateway's own calls reach (never a client's operation; a
 * subgraph answers nothing without the gateway's token): open, and not recorded, since what it
 * does for the token's viewer is the field's own (recordDecisionsWithoutBank records decisions).
 */
export const gatewayOnly: Rule = rule('gatewayOnly', { cache: 'no_cache' })(() => true);

/** Security reviewers, in a first-party app (consent-policy.ts, reviewerDenial). */
export const isSecurityReviewer = protectedRule<KitContext>('isSecurityReviewer', (_p, _a, ctx) => {
  const reason = reviewerDenial(ctx.identity);
  return reason ? denied(reason) : allowed();
});
