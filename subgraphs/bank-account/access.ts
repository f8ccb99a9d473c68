// Per-request access decisions for bank data. The rules and the resolvers that must know which
// consent opened a field (to clamp a window, to filter credits/debits) ask the same function, so
// they can never disagree. Consents are loaded once per owner per request and never cached longer.
import { decideAccess, viewerDenial, type Decision, type Permission, type RowScope } from '@consent-gateway/kit/consent-policy';
import type { Reason } from '@consent-gateway/kit/reasons';
import type { BankContext } from './index.ts';

/** Whose data at which bank a field belongs to, and the transaction row when there is one. */
export interface Scope {
  ownerId: string;
  bankId: string;
  row?: RowScope;
}

export async function decide(ctx: BankContext, scope: Scope, permission: Permission): Promise<Decision> {
  const viewerReason = viewerDenial(ctx.identity, scope.ownerId, scope.bankId);
  if (viewerReason) return { outcome: 'DENY', reason: viewerReason };
  const consents = await ctx.loaders.consentsByUser.load(scope.ownerId);
  return decideAccess({ viewer: ctx.identity, permission, ...scope }, consents, ctx.now);
}

/** When several banks deny, the most useful reason to show: the one closest to being allowed. */
const REASON_ORDER: Reason[] = ['PURPOSE_NOT_ALLOWED', 'CONSENT_EXPIRED', 'CONSENT_REQUIRED'];

export interface AccountBanks {
  allowed: Array<{ bankId: string; consentId: string }>;
  denial?: Reason;
}

/** The banks whose accounts `User.accounts` may list for this viewer (for an agent: their bank only). */
export async function accountBanks(ctx: BankContext, ownerId: string): Promise<AccountBanks> {
  const agentBank = ctx.identity.roles.includes('bank_agent') ? ctx.identity.bank : undefined;
  const viewerReason = viewerDenial(ctx.identity, ownerId, agentBank ?? '');
  if (viewerReason) return { allowed: [], denial: viewerReason };
  const consents = await ctx.loaders.consentsByUser.load(ownerId);
  const banks = agentBank ? [agentBank] : [...new Set(consents.map((c) => c.bankId))].sort();
  const allowed: AccountBanks['allowed'] = [];
  const reasons: Reason[] = [];
  for (const bankId of banks) {
    const decision = decideAccess({ viewer: ctx.identity, ownerId, bankId, permission: 'ACCOUNTS_BASIC' }, consents, ctx.now);
    if (decision.outcome === 'ALLOW') allowed.push({ bankId, consentId: decision.consentId });
    else reasons.push(decision.reason);
  }
  if (allowed.length) return { allowed };
  return { allowed, denial: REASON_ORDER.find((r) => reasons.includes(r)) ?? reasons[0] ?? 'CONSENT_REQUIRED' };
}
