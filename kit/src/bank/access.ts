// Per-request access decisions on a bank's data. The rules and the resolvers that must know which
// consent opened a field (to clamp a window, to filter credits/debits) ask the same function, so
// they can never disagree. Consents are loaded once per owner per request and never cached longer.
import { decideAccess, viewerDenial, type Decision, type Permission, type RowScope } from '../consent-policy.ts';
import { isAgentOf, isUser } from '../identity.ts';
import type { BankContext } from './context.ts';

/** Whose data a field belongs to, and the transaction row when there is one (the bank is this one). */
export interface Scope {
  ownerId: string;
  row?: RowScope;
}

export async function decide(ctx: BankContext, scope: Scope, permission: Permission): Promise<Decision> {
  const viewerReason = viewerDenial(ctx.identity, scope.ownerId, ctx.bank.id);
  if (viewerReason) return { outcome: 'DENY', reason: viewerReason };
  const consents = await ctx.loaders.consentsByUser.load(scope.ownerId);
  return decideAccess({ viewer: ctx.identity, permission, ownerId: scope.ownerId, bankId: ctx.bank.id, row: scope.row }, consents, ctx.now);
}

/**
 * Whether a lookup by id hands out a reference to this owner's object: to the owner and to this
 * bank's agents only. Anyone else gets null, exactly like an id that does not exist, so ids are
 * no existence oracle; every field of a reference still has its own consent rule.
 */
export function mayReference(ctx: BankContext, ownerId: string): boolean {
  return isUser(ctx.identity, ownerId) || isAgentOf(ctx.identity, ctx.bank.id);
}
