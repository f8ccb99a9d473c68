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

/**
 * The reason a viewer may not read decision records: security reviewers alone may (and see no
 * data), and only in a first-party app, like every other rule about people's data: a reviewer
 * signed in to someone else's app hands that app nothing.
 */
export function reviewerDenial(viewer: Identity): Reason | undefined {
  if (!viewer.sub) return 'NOT_AUTHENTICATED';
  if (viewer.clientType !== 'first-party') return 'THIRD_PARTY_CLIENT';
  return viewer.roles.includes('security_reviewer') ? undefined : 'NOT_OWNER';
}

/**
 * The reason a viewer is not a signed-in user acting for themself in a first-party app: who alone
 * may grant, revoke, export or erase (rules.ts isFirstPartyUser; the records routes).
 */
export function firstPartyUserDenial(viewer: Identity): Reason | undefined {
  return viewer.sub ? selfDenial(viewer, viewer.sub) : 'NOT_AUTHENTICATED';
}


export function withinWindow(consent: ConsentRecord, postedAt: string): boolean {
  const t = Date.parse(postedAt);
  if (consent.transactionsFrom && t < Date.parse(consent.transactionsFrom)) return false;
  if (consent.transactionsTo && t > Date.parse(consent.transactionsTo)) return false;
  return true;
}

/** Widest window first (open ends count as widest), then the most recent grant: deterministic. */
function preference(a: ConsentRecord, b: ConsentRecord): number {
  const from = (c: ConsentRecord) => (c.transactionsFrom ? Date.parse(c.transactionsFrom) : -Infinity);
  const to = (c: ConsentRecord) => (c.transactionsTo ? Date.parse(c.transactionsTo) : Infinity);
  return from(a) - from(b) || to(b) - to(a) || b.grantedAt.localeCompare(a.grantedAt);
}

/** A consent that may open the field, with what a row's decision checks read once. */
interface Candidate {
  consent: ConsentRecord;
  allow: Extract<Decision, { outcome: 'ALLOW' }>;
  credit: boolean;
  debit: boolean;
  /** Bounds of the transaction window in ms (NaN compares false, as in withinWindow); null is open. */
  from: number | null;
  to: number | null;
}

/**
 * Everything of a decision that does not depend on the row: the viewer, the owner, the bank, the
 * permission and the owner's consents at this instant. Either a denial that holds for every row,
 * or the consents that may open the field (in the order given, and in order of preference).
 * `decideRow` finishes the decision for one row; `decideAccess` is the two together. Splitting it
 * lets a request judge each (owner, permission) once and each row in a few comparisons.
 */
export type ConsentBasis =
  | { outcome: 'DENY'; denial: Extract<Decision, { outcome: 'DENY' }> }
  | {
      outcome: 'ALLOW';
      given: Candidate[];
      preferred: Candidate[];
      /** A row of each direction outside every window: its denial. */
      outside: Record<RowScope['direction'], Decision>;
      /** Whether a row's date can change the decision (some consent has a transaction window). */
      dated: boolean;
    };

export function consentBasis(request: Omit<AccessRequest, 'row'>, consents: readonly ConsentRecord[], now: Date): ConsentBasis {
  const { viewer, ownerId, bankId, permission } = request;
  const deny = (reason: Reason, consentId?: string): ConsentBasis => ({ outcome: 'DENY', denial: { outcome: 'DENY', reason, ...(consentId ? { consentId } : {}) } });
  const viewerReason = viewerDenial(viewer, ownerId, bankId);
  if (viewerReason) return deny(viewerReason);

  const atBank = consents.filter((c) => c.userId === ownerId && c.bankId === bankId);
  const covering = atBank.filter((c) => effectivePermissions(c.permissions).has(permission));
  const active = covering.filter((c) => consentStatus(c, now) === 'ACTIVE');
  const forPurpose = active.filter((c) => c.purposes.includes(viewer.purpose as Purpose));
  if (forPurpose.length === 0) {
    if (active.length > 0) return deny('PURPOSE_NOT_ALLOWED');
    const expired = covering.find((c) => consentStatus(c, now) === 'EXPIRED');
    if (expired) return deny('CONSENT_EXPIRED', expired._id);
    return deny('CONSENT_REQUIRED');
  }
  const bound = (value: string | null | undefined) => (value ? Date.parse(value) : null);
  const given: Candidate[] = forPurpose.map((consent) => ({
    consent,
    allow: { outcome: 'ALLOW', consentId: consent._id, consent },
    credit: consent.permissions.includes('TRANSACTIONS_CREDITS'),
    debit: consent.permissions.includes('TRANSACTIONS_DEBITS'),
    from: bound(consent.transactionsFrom),
    to: bound(consent.transactionsTo),
  }));
  const preferred = [...given].sort((a, b) => preference(a.consent, b.consent));
  // A row outside every window names the first consent (in the order given) of its direction.
  const outOfWindow = (direction: RowScope['direction']): Decision => {
    const first = given.find((c) => (direction === 'CREDIT' ? c.credit : c.debit));
    return first ? { outcome: 'DENY', reason: 'OUT_OF_WINDOW', consentId: first.consent._id } : { outcome: 'DENY', reason: 'CONSENT_REQUIRED' };
  };
  const dated = given.some((c) => c.from !== null || c.to !== null);
  return { outcome: 'ALLOW', given, preferred, outside: { CREDIT: outOfWindow('CREDIT'), DEBIT: outOfWindow('DEBIT') }, dated };
}

/**
 * The decision for one protected field from its basis: without a row, the preferred consent; for
 * a row, the preferred consent that covers its direction and date. The decisions handed out are
 * the basis's own objects, so equal decisions of one basis are the same object. `time` is the
 * row's date already parsed, when the caller has it.
 */
export function decideRow(basis: ConsentBasis, row?: RowScope, time?: number): Decision {
  if (basis.outcome === 'DENY') return basis.denial;
  if (!row) return basis.preferred[0]!.allow;
  const credit = row.direction === 'CREDIT';
  const t = basis.dated ? (time ?? Date.parse(row.postedAt)) : NaN;
  for (const c of basis.preferred) {
    if (!(credit ? c.credit : c.debit)) continue;
    if (c.from !== null && t < c.from) continue;
    if (c.to !== null && t > c.to) continue;
    return c.allow;
  }
  // No consent of this direction at all: not granted; some, but none whose window holds the row.
  return basis.outside[row.direction];
}

/**
 * The decision for one protected field. `consents` are the owner's consents (any bank); each
 * consent is judged alone, so permissions of two consents with different purposes never combine.
 */
export function decideAccess(request: AccessRequest, consents: readonly ConsentRecord[], now: Date): Decision {
  return decideRow(consentBasis(request, consents, now), request.row);
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

/**
 * How many consents one user may hold at one bank: `live` (ACTIVE) at once, and `total` ever,
 * revoked and expired included (every read of that user's data at the bank loads them all, so a
 * grant/revoke loop must end too). No real person reaches either: a person grants a few per bank.
 */
export const CONSENT_LIMITS = { live: 20, total: 200 } as const;

/** The terms a grant fixes: sets of permissions and purposes, the expiry and the window (ISO or null). */
export interface ConsentTerms {
  permissions: readonly string[];
  purposes: readonly string[];
  expiresAt?: string | null;
  transactionsFrom?: string | null;
  transactionsTo?: string | null;
}

const sameSet = (a: readonly string[], b: readonly string[]) => {
  const left = new Set(a);
  const right = new Set(b);
  return left.size === right.size && [...left].every((x) => right.has(x));
};
const sameInstant = (a?: string | null, b?: string | null) => (a ? (b ? Date.parse(a) === Date.parse(b) : false) : !b);

/** Two consents with exactly the same terms (order and repeats in the lists do not matter). */
export function sameTerms(a: ConsentTerms, b: ConsentTerms): boolean {
  return (
    sameSet(a.permissions, b.permissions) &&
    sameSet(a.purposes, b.purposes) &&
    sameInstant(a.expiresAt, b.expiresAt) &&
    sameInstant(a.transactionsFrom, b.transactionsFrom) &&
    sameInstant(a.transactionsTo, b.transactionsTo)
  );
}

/** Why a valid grant may not be stored given the consents the user already holds at the bank. */
export type HeldConsentsRefusal =
  | { kind: 'duplicate'; consentId: string; message: string }
  | { kind: 'live' | 'total'; limit: number; message: string };

/**
 * The refusal of a valid grant because of what the user already holds at this bank (all their
 * consents there, any status), or undefined: an ACTIVE consent with exactly the same terms (a
 * second one would open nothing more), CONSENT_LIMITS.live active ones, or CONSENT_LIMITS.total in all.
 */
export function heldConsentsRefusal(grant: ConsentTerms, held: readonly ConsentRecord[], bankName: string, now: Date, limits: { live: number; total: number } = CONSENT_LIMITS): HeldConsentsRefusal | undefined {
  const live = held.filter((c) => consentStatus(c, now) === 'ACTIVE');
  const same = live.find((c) => sameTerms(c, grant));
  if (same) {
    return { kind: 'duplicate', consentId: same._id, message: `you already have an active consent at ${bankName} with exactly these terms (${same._id}); it stays in force, so nothing new was granted` };
  }
  if (live.length >= limits.live) {
    return { kind: 'live', limit: limits.live, message: `you have ${live.length} active consents at ${bankName}, the most one person may hold there at once (${limits.live}): revoke ones you no longer use, then grant again` };
  }
  if (held.length >= limits.total) {
    return { kind: 'total', limit: limits.total, message: `you have granted ${held.length} consents at ${bankName}, revoked and expired ones included, the most one person may hold there (${limits.total}): no more can be granted; ask ${bankName} to remove old ones` };
  }
  return undefined;
}
