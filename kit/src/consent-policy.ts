// The consent model (docs/consent-policy.md) as pure functions: which consent (if any) opens a field
// for a viewer, and whether a grant is valid. No I/O here, so every rule is testable on its own.
import { isAgentOf, isUser, type Identity, type Purpose } from './identity.ts';
import type { Reason } from './reasons.ts';

export const PERMISSIONS = [
  'ACCOUNTS_BASIC',
  'ACCOUNTS_DETAIL',
  'BALANCES',
  'TRANSACTIONS_BASIC',
  'TRANSACTIONS_DETAIL',
  'TRANSACTIONS_CREDITS',
  'TRANSACTIONS_DEBITS',
  'MERCHANT_LOCATION_COARSE',
  'MERCHANT_LOCATION_PRECISE',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

export interface ConsentRecord {
  _id: string;
  userId: string;
  bankId: string;
  permissions: Permission[];
  purposes: Purpose[];
  grantedAt: string;
  expiresAt?: string | null;
  revokedAt?: string | null;
  transactionsFrom?: string | null;
  transactionsTo?: string | null;
}

export type ConsentStatus = 'ACTIVE' | 'EXPIRED' | 'REVOKED';

/** Derived from the clock at each request, never stored: no job has to expire anything. */
export function consentStatus(consent: ConsentRecord, now: Date): ConsentStatus {
  if (consent.revokedAt) return 'REVOKED';
  if (consent.expiresAt && Date.parse(consent.expiresAt) <= now.getTime()) return 'EXPIRED';
  return 'ACTIVE';
}

/** Detail permissions imply their basic ones. */
export function effectivePermissions(granted: readonly Permission[]): Set<Permission> {
  const set = new Set(granted);
  if (set.has('ACCOUNTS_DETAIL')) set.add('ACCOUNTS_BASIC');
  if (set.has('TRANSACTIONS_DETAIL')) set.add('TRANSACTIONS_BASIC');
  return set;
}

/** A single card-transaction row that a field belongs to: the window and direction rules apply to it. */
export interface RowScope {
  postedAt: string;
  direction: 'CREDIT' | 'DEBIT';
}

export interface AccessRequest {
  viewer: Identity;
  ownerId: string;
  bankId: string;
  permission: Permission;
  row?: RowScope;
}

export type Decision =
  | { outcome: 'ALLOW'; consentId: string; consent: ConsentRecord }
  | { outcome: 'DENY'; reason: Reason; consentId?: string };

/** Why the viewer, whatever the consents say, may or may not look at this owner's data at this bank. */
export function viewerDenial(viewer: Identity, ownerId: string, bankId: string): Reason | undefined {
  if (!viewer.sub) return 'NOT_AUTHENTICATED';
  if (viewer.clientType !== 'first-party') return 'THIRD_PARTY_CLIENT';
  if (isUser(viewer, ownerId)) return viewer.purpose ? undefined : 'PURPOSE_NOT_ALLOWED';
  if (isAgentOf(viewer, bankId)) return viewer.purpose === 'customer_service' ? undefined : 'PURPOSE_NOT_ALLOWED';
  return 'NOT_OWNER';
}

/** The reason a viewer is not the given user acting for themself in a first-party app. */
export function selfDenial(viewer: Identity, userId: string): Reason | undefined {
  if (!viewer.sub) return 'NOT_AUTHENTICATED';
  if (viewer.clientType !== 'first-party') return 'THIRD_PARTY_CLIENT';
  if (!isUser(viewer, userId)) return 'NOT_OWNER';
  return undefined;
}

/** The reason a viewer may not read decision records: security reviewers alone may (and see no data). */
export function reviewerDenial(viewer: Identity): Reason | undefined {
  if (!viewer.sub) return 'NOT_AUTHENTICATED';
  return viewer.roles.includes('security_reviewer') ? undefined : 'NOT_OWNER';
}

/** The reason a viewer may not export or erase their own data: only the user themself, first-party, may. */
export function dataSubjectDenial(viewer: Identity): Reason | undefined {
  return viewer.sub ? selfDenial(viewer, viewer.sub) : 'NOT_AUTHENTICATED';
}

export function withinWindow(consent: ConsentRecord, postedAt: string): boolean {
  const t = Date.parse(postedAt);
  if (consent.transactionsFrom && t < Date.parse(consent.transactionsFrom)) return false;
  if (consent.transactionsTo && t > Date.parse(consent.transactionsTo)) return false;
  return true;
}

function directionAllowed(consent: ConsentRecord, direction: RowScope['direction']): boolean {
  return consent.permissions.includes(direction === 'CREDIT' ? 'TRANSACTIONS_CREDITS' : 'TRANSACTIONS_DEBITS');
}

/** Widest window first (open ends count as widest), then the most recent grant: deterministic. */
function preference(a: ConsentRecord, b: ConsentRecord): number {
  const from = (c: ConsentRecord) => (c.transactionsFrom ? Date.parse(c.transactionsFrom) : -Infinity);
  const to = (c: ConsentRecord) => (c.transactionsTo ? Date.parse(c.transactionsTo) : Infinity);
  return from(a) - from(b) || to(b) - to(a) || b.grantedAt.localeCompare(a.grantedAt);
}

/**
 * The decision for one protected field. `consents` are the owner's consents (any bank); each
 * consent is judged alone, so permissions of two consents with different purposes never combine.
 */
export function decideAccess(request: AccessRequest, consents: readonly ConsentRecord[], now: Date): Decision {
  const { viewer, ownerId, bankId, permission, row } = request;
  const viewerReason = viewerDenial(viewer, ownerId, bankId);
  if (viewerReason) return { outcome: 'DENY', reason: viewerReason };

  const atBank = consents.filter((c) => c.userId === ownerId && c.bankId === bankId);
  const covering = atBank.filter((c) => effectivePermissions(c.permissions).has(permission));
  const active = covering.filter((c) => consentStatus(c, now) === 'ACTIVE');
  const forPurpose = active.filter((c) => c.purposes.includes(viewer.purpose as Purpose));
  if (forPurpose.length === 0) {
    if (active.length > 0) return { outcome: 'DENY', reason: 'PURPOSE_NOT_ALLOWED' };
    const expired = covering.find((c) => consentStatus(c, now) === 'EXPIRED');
    if (expired) return { outcome: 'DENY', reason: 'CONSENT_EXPIRED', consentId: expired._id };
    return { outcome: 'DENY', reason: 'CONSENT_REQUIRED' };
  }
  let candidates = forPurpose;
  if (row) {
    const rightDirection = forPurpose.filter((c) => directionAllowed(c, row.direction));
    if (rightDirection.length === 0) return { outcome: 'DENY', reason: 'CONSENT_REQUIRED' };
    candidates = rightDirection.filter((c) => withinWindow(c, row.postedAt));
    if (candidates.length === 0) return { outcome: 'DENY', reason: 'OUT_OF_WINDOW', consentId: rightDirection[0]!._id };
  }
  const chosen = [...candidates].sort(preference)[0]!;
  return { outcome: 'ALLOW', consentId: chosen._id, consent: chosen };
}

export interface GrantInput {
  bankId: string;
  permissions: string[];
  purposes: string[];
  expiresAt?: string | null;
  transactionsFrom?: string | null;
  transactionsTo?: string | null;
}

/** Every reason a grant is invalid (empty when it is valid). Nothing is stored for an invalid grant. */
export function grantProblems(input: GrantInput, now: Date, isKnownPurpose: (p: string) => boolean): string[] {
  const problems: string[] = [];
  const perms = new Set(input.permissions);
  const unknown = input.permissions.filter((p) => !(PERMISSIONS as readonly string[]).includes(p));
  if (perms.size === 0) problems.push('permissions must not be empty');
  if (unknown.length) problems.push(`unknown permission(s): ${unknown.join(', ')}`);
  if (perms.size > 0 && !perms.has('ACCOUNTS_BASIC') && !perms.has('ACCOUNTS_DETAIL')) {
    problems.push('every consent needs ACCOUNTS_BASIC or ACCOUNTS_DETAIL');
  }
  const transactions = perms.has('TRANSACTIONS_BASIC') || perms.has('TRANSACTIONS_DETAIL');
  const directions = perms.has('TRANSACTIONS_CREDITS') || perms.has('TRANSACTIONS_DEBITS');
  if (transactions && !directions) problems.push('transaction permissions need TRANSACTIONS_CREDITS and/or TRANSACTIONS_DEBITS');
  if (directions && !transactions) problems.push('TRANSACTIONS_CREDITS / TRANSACTIONS_DEBITS need TRANSACTIONS_BASIC or TRANSACTIONS_DETAIL');
  if (perms.has('MERCHANT_LOCATION_COARSE') && !perms.has('TRANSACTIONS_DETAIL')) {
    problems.push('MERCHANT_LOCATION_COARSE needs TRANSACTIONS_DETAIL');
  }
  if (perms.has('MERCHANT_LOCATION_PRECISE') && !perms.has('MERCHANT_LOCATION_COARSE')) {
    problems.push('MERCHANT_LOCATION_PRECISE needs MERCHANT_LOCATION_COARSE');
  }
  if (input.purposes.length === 0) problems.push('purposes must not be empty');
  const badPurposes = input.purposes.filter((p) => !isKnownPurpose(p));
  if (badPurposes.length) problems.push(`unknown purpose(s): ${badPurposes.join(', ')}`);
  const dates: Array<[string, string | null | undefined]> = [
    ['expiresAt', input.expiresAt],
    ['transactionsFrom', input.transactionsFrom],
    ['transactionsTo', input.transactionsTo],
  ];
  for (const [name, value] of dates) {
    if (value != null && Number.isNaN(Date.parse(value))) problems.push(`${name} is not a date-time`);
  }
  if (input.expiresAt && Date.parse(input.expiresAt) <= now.getTime()) problems.push('expiresAt is in the past');
  if (input.transactionsFrom && input.transactionsTo && Date.parse(input.transactionsTo) < Date.parse(input.transactionsFrom)) {
    problems.push('transactionsTo is before transactionsFrom');
  }
  return problems;
}
