// The judge of the conformance search: for every value a bank returned, may this viewer see it
// under the consents the checks themselves granted? The kit's consent policy (decideAccess) is
// the oracle; the consents are the checks' own record of what they granted and revoked, not what
// the bank says, so a bank that forgets a revoke or widens a grant is caught.
import { decideAccess, selfDenial, type ConsentRecord, type Permission } from '../consent-policy.ts';
import { isAgentOf, isUser } from '../identity.ts';
import type { Viewer } from './caller.ts';

export interface Row {
  owner: string;
  accountId: string;
  postedAt: string;
  direction: 'CREDIT' | 'DEBIT';
}

/** What the test customers own at the bank, read once under a probe consent (then revoked). */
export interface Truth {
  accounts: Map<string, string>;
  transactions: Map<string, Row>;
}

/** The consents the checks granted, as granted, with the revokes they made. */
export class ConsentBook {
  private readonly consents: ConsentRecord[] = [];
  add(consent: ConsentRecord): void {
    this.consents.push(consent);
  }
  revoke(id: string, at: string): void {
    const c = this.consents.find((x) => x._id === id);
    if (c) c.revokedAt = at;
  }
  active(userId: string): ConsentRecord[] {
    return this.consents.filter((c) => c.userId === userId && !c.revokedAt);
  }
  all(): readonly ConsentRecord[] {
    return this.consents;
  }
  /** Who granted consent `id`, if the checks granted it. */
  ownerOf(id: string): string | undefined {
    return this.consents.find((c) => c._id === id)?.userId;
  }
}

/** A listed consent, as the checks select it (OWN_LISTINGS); anything may be missing. */
interface ListedConsent {
  id?: string;
  bank?: { id?: string } | null;
  receipt?: { userId?: string; bankId?: string } | null;
}
/** A listed access-log entry, as the checks select it. */
interface ListedAccess {
  requestId?: string;
  bank?: { id?: string } | null;
}

/**
 * What the checks select of a user's own listings: enough to tell whose entries they are (the
 * consent's receipt, the bank, the request id of each read).
 */
export const OWN_LISTINGS = 'consents { id bank { id } receipt { userId bankId } } accessLog { requestId bank { id } }';

/**
 * How far the bank's clock may be behind the checker's: an expiry is judged this much earlier than
 * the request was sent, so that a consent the bank still (rightly) held active is no finding.
 */
export const CLOCK_TOLERANCE_MS = 2_000;

const BASIC_ACCOUNT_FIELDS = ['id', 'bank', 'maskedNumber', 'currency'];
const BASIC_TRANSACTION_FIELDS = ['id', 'amount', 'postedAt', 'direction'];

export class Judge {
  /** How many protected values were revealed (and rightly so): a run that reveals nothing proves nothing. */
  revealed = 0;
  readonly findings: string[] = [];
  private readonly seen = new Set<string>();

  /**
   * When the request being judged was sent (set by the search before each request): a consent that
   * expired after that may still have opened a field. Unset, the judge uses its own clock.
   */
  sentAt: Date | undefined;

  constructor(
    private readonly bankId: string,
    private readonly truth: Truth,
    private readonly book: ConsentBook,
    /** The customer a request of the checks was about, by request id (caller.subjectOf). */
    private readonly subjectOf: (requestId: string) => string | undefined = () => undefined,
  ) {}

  private finding(key: string, message: string): void {
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.findings.push(message);
  }

  /** A value that is there must be allowed; `what` names it for the report. */
  private check(value: unknown, viewer: Viewer, owner: string, permission: Permission, what: string, row?: Row): void {
    if (value === null || value === undefined) return;
    const asOf = new Date((this.sentAt ?? new Date()).getTime() - CLOCK_TOLERANCE_MS);
    const decision = decideAccess({ viewer, ownerId: owner, bankId: this.bankId, permission, row }, this.book.all(), asOf);
    if (decision.outcome === 'ALLOW') return void this.revealed++;
    this.finding(`${what}|${viewer.label}|${decision.reason}`, `${what} (owner ${owner}) resolved for ${viewer.label}, although no consent allows it (the policy says ${decision.reason})`);
  }

  /** A lookup by id hands out a reference to the owner and this bank's agents only. */
  reference(value: unknown, viewer: Viewer, owner: string, what: string): void {
    if (value === null || value === undefined) return;
    if (isUser(viewer, owner) || isAgentOf(viewer, this.bankId)) return;
    this.finding(`ref|${what}|${viewer.label}`, `${what} of ${owner} was handed out to ${viewer.label}: someone else's id must answer like a missing one`);
  }

  account(value: any, viewer: Viewer, accountId: string, owner: string): void {
    if (!value) return;
    const what = (field: string) => `BankAccount.${field} of ${accountId}`;
    for (const field of BASIC_ACCOUNT_FIELDS) this.check(value[field], viewer, owner, 'ACCOUNTS_BASIC', what(field));
    this.check(value.accountNumber, viewer, owner, 'ACCOUNTS_DETAIL', what('accountNumber'));
    this.check(value.balance, viewer, owner, 'BALANCES', what('balance'));
    this.check(value.transactions, viewer, owner, 'TRANSACTIONS_BASIC', what('transactions'));
    for (const edge of value.transactions?.edges ?? []) {
      const node = edge?.node;
      if (!node) continue;
      const row = node.id ? this.truth.transactions.get(node.id) : undefined;
      if (row && row.accountId === accountId) this.transaction(node, viewer, node.id);
      else if (Object.values(node).some((v) => v !== null)) {
        this.finding(`foreign|${accountId}`, `${what('transactions')} listed a transaction that is not this account's (${node.id ?? 'no id'})`);
      }
    }
  }

  transaction(value: any, viewer: Viewer, transactionId: string): void {
    if (!value) return;
    const row = this.truth.transactions.get(transactionId)!;
    const what = (field: string) => `CardTransaction.${field} of ${transactionId}`;
    for (const field of BASIC_TRANSACTION_FIELDS) this.check(value[field], viewer, row.owner, 'TRANSACTIONS_BASIC', what(field), row);
    this.check(value.description, viewer, row.owner, 'TRANSACTIONS_DETAIL', what('description'), row);
    const merchant = value.merchant;
    this.check(merchant, viewer, row.owner, 'TRANSACTIONS_DETAIL', what('merchant'), row);
    if (!merchant) return;
    this.check(merchant.name, viewer, row.owner, 'TRANSACTIONS_DETAIL', 'Merchant.name', row);
    this.check(merchant.category, viewer, row.owner, 'TRANSACTIONS_DETAIL', 'Merchant.category', row);
    this.check(merchant.location, viewer, row.owner, 'MERCHANT_LOCATION_COARSE', 'Merchant.location', row);
    for (const field of ['city', 'country']) this.check(merchant.location?.[field], viewer, row.owner, 'MERCHANT_LOCATION_COARSE', `MerchantLocation.${field}`, row);
    for (const field of ['latitude', 'longitude']) this.check(merchant.location?.[field], viewer, row.owner, 'MERCHANT_LOCATION_PRECISE', `MerchantLocation.${field}`, row);
  }

  /** A User's bank fields: accounts under ACCOUNTS_BASIC, consents and access log for the user alone. */
  user(value: any, viewer: Viewer, user: string): void {
    if (!value) return;
    this.check(value.accounts, viewer, user, 'ACCOUNTS_BASIC', `User.accounts of ${user}`);
    for (const account of value.accounts ?? []) {
      if (!account) continue;
      if (this.truth.accounts.get(account.id) !== user) {
        this.finding(`foreign-account|${user}`, `User.accounts of ${user} listed an account that is not theirs (${account.id ?? 'no id'})`);
        continue;
      }
      this.account(account, viewer, account.id, user);
    }
    for (const field of ['consents', 'accessLog']) {
      if (value[field] == null) continue;
      const reason = selfDenial(viewer, user);
      if (reason) this.finding(`${field}|${viewer.label}`, `User.${field} of ${user} resolved for ${viewer.label} (the policy says ${reason}: the user alone)`);
      else this.revealed++;
    }
    // Whose entries the lists hold: the user's own at this bank, never another customer's.
    for (const consent of (value.consents ?? []) as Array<ListedConsent | null>) this.listedConsent(consent, user);
    for (const entry of (value.accessLog ?? []) as Array<ListedAccess | null>) this.listedAccess(entry, user);
  }

  private listedConsent(consent: ListedConsent | null, user: string): void {
    if (!consent) return;
    const id = consent.id ?? 'no id';
    const granter = consent.id ? this.book.ownerOf(consent.id) : undefined;
    if (granter !== undefined && granter !== user) {
      this.finding(`foreign-consent|${user}|${granter}`, `User.consents of ${user} listed a consent that ${granter} granted (${id}): another customer's receipt`);
    }
    const receiptUser = consent.receipt?.userId;
    if (receiptUser != null && receiptUser !== user && receiptUser !== granter) {
      this.finding(`foreign-receipt|${user}`, `User.consents of ${user} listed a consent whose receipt names ${receiptUser} (${id}): another customer's receipt`);
    }
    const bank = consent.receipt?.bankId ?? consent.bank?.id;
    if (bank != null && bank !== this.bankId) this.finding(`foreign-bank-consent|${user}`, `User.consents of ${user} listed a consent at ${bank} (${id}), not at this bank`);
  }

  private listedAccess(entry: ListedAccess | null, user: string): void {
    if (!entry) return;
    const subject = entry.requestId ? this.subjectOf(entry.requestId) : undefined;
    if (subject !== undefined && subject !== user) {
      this.finding(`foreign-access|${user}|${subject}`, `User.accessLog of ${user} listed a read of ${subject}'s data (request ${entry.requestId}): another customer's access log`);
    }
    const bank = entry.bank?.id;
    if (bank != null && bank !== this.bankId) this.finding(`foreign-bank-access|${user}`, `User.accessLog of ${user} listed a read at ${bank}, not at this bank`);
  }
}
