// What the bank side answers, stated once for the banks and for the gateway's bank router: the
// router answers by itself when a user has no bank to ask, and merges several banks' denials, and
// must say exactly what a bank would have said. Pure; docs/consent-policy.md states it in words.
import { selfDenial, viewerDenial } from '../consent-policy.ts';
import type { Identity } from '../identity.ts';
import type { Reason } from '../reasons.ts';

/** The one bank subgraph of the supergraph: every bank implements it; the gateway routes it. */
export const BANK_SUBGRAPH = 'bank-account';

/** The `User` fields banks contribute (each bank for its own data). */
export const BANK_USER_FIELDS = ['accounts', 'consents', 'accessLog'] as const;
export type BankUserField = (typeof BANK_USER_FIELDS)[number];
export const isBankUserField = (name: string): name is BankUserField => (BANK_USER_FIELDS as readonly string[]).includes(name);

/** When several banks deny a field, the reason to show: the one closest to being allowed. */
export const REASON_ORDER: readonly Reason[] = ['PURPOSE_NOT_ALLOWED', 'CONSENT_EXPIRED', 'CONSENT_REQUIRED'];

export function mostUsefulReason(reasons: readonly Reason[]): Reason | undefined {
  return REASON_ORDER.find((r) => reasons.includes(r)) ?? reasons[0];
}

/** The bank whose data an agent may see: their own; undefined for anyone else. */
export function agentBank(viewer: Identity): string | undefined {
  return viewer.roles.includes('bank_agent') ? viewer.bank : undefined;
}

/** The rule name of the decisions `withoutBankRelationship` makes, in decision records. */
export const WITHOUT_BANK_RULE = 'withoutBankRelationship';

/**
 * A `User` field when no bank holds anything of that user for this viewer (no relationship with
 * any bank, or an agent whose bank is not registered): exactly what a bank without any consent
 * of the user would answer. `value` is the field's value; `reason` a FORBIDDEN denial.
 */
export function withoutBankRelationship(viewer: Identity, userId: string, field: BankUserField): { value: [] | null; reason?: Reason } {
  if (field === 'accounts') return { value: null, reason: viewerDenial(viewer, userId, agentBank(viewer) ?? '') ?? 'CONSENT_REQUIRED' };
  const reason = selfDenial(viewer, userId);
  return reason ? { value: null, reason } : { value: [] };
}

/** A revoke of a consent that is not the caller's, or does not exist (the same answer). */
export function noConsentOfYours(id: string): string {
  return `no consent "${id}" of yours`;
}

/** A grant for a bank that is not this one, or not registered at the gateway. */
export function unknownBank(bankId: string): string {
  return `unknown bank "${bankId}"`;
}
