// The authorization table of every bank subgraph: every field, the rule that opens it, and for bank
// data the permission of docs/consent-policy.md it needs. A reviewer reads this file, not the
// resolvers; schema/authorization.md is generated from it.
import { allow, deny } from '../shield.ts';
import type { Permission, RowScope } from '../consent-policy.ts';
import type { PermissionMap } from '../create-subgraph.ts';
import { isFirstPartyUser, isFirstPartyViewer, isSelf, judgedRule } from '../rules.ts';
import type { AccountParent, BankContext, TransactionParent } from './context.ts';
import type { MerchantParent } from './resolvers.ts';

const made = new Map<string, ReturnType<typeof judgedRule>>();

/**
 * A field opened by `permission` under a live consent of the data's owner at this bank, judged by
 * the request's decisions (access.ts: once per owner, permission and row; the resolvers ask the
 * same). One rule instance per name: shield requires a name to mean one rule.
 */
function consentRule<Parent>(name: string, permission: Permission, ownerOf: (parent: Parent) => string, rowOf?: (parent: Parent) => RowScope) {
  const existing = made.get(name);
  if (existing) return existing;
  const created = judgedRule<BankContext, Parent>(name, (parent, _args, ctx) => ctx.access.judge(name, ownerOf(parent), permission, rowOf?.(parent)));
  made.set(name, created);
  return created;
}

// A transaction parent is its own row scope (it carries `postedAt` and `direction`).
const account = (p: Permission) => consentRule(`accountConsent(${p})`, p, (a: AccountParent) => a.userId);
const transaction = (p: Permission) => consentRule(`transactionConsent(${p})`, p, (t: TransactionParent) => t.userId, (t) => t);
const merchant = (p: Permission) => consentRule(`merchantConsent(${p})`, p, (m: MerchantParent) => m.transaction.userId, (m) => m.transaction);

/** `User.accounts`: the owner, or an agent of this bank, under a consent to this bank for this purpose. */
const canListAccounts = consentRule('canListAccounts', 'ACCOUNTS_BASIC', (user: { id: string }) => user.id);

export const bankPermissions: PermissionMap = {
  Query: {
    banks: allow,
    bank: allow,
    // Lookups hand out a reference only (to the owner and this bank's agents; null for anyone
    // else, as for a missing id); each field of the result has its own consent rule.
    bankAccount: isFirstPartyViewer,
    cardTransaction: isFirstPartyViewer,
  },
  Mutation: {
    grantConsent: isFirstPartyUser,
    revokeConsent: isFirstPartyUser,
  },
  Bank: allow,
  User: {
    id: allow,
    // Provided by user-profile for the gateway's routing; the gateway strips it, a bank never serves it.
    bankIds: deny,
    accounts: canListAccounts,
    consents: isSelf,
    accessLog: isSelf,
  },
  BankAccount: {
    id: account('ACCOUNTS_BASIC'),
    bank: account('ACCOUNTS_BASIC'),
    maskedNumber: account('ACCOUNTS_BASIC'),
    currency: account('ACCOUNTS_BASIC'),
    accountNumber: account('ACCOUNTS_DETAIL'),
    balance: account('BALANCES'),
    transactions: account('TRANSACTIONS_BASIC'),
  },
  CardTransaction: {
    id: transaction('TRANSACTIONS_BASIC'),
    amount: transaction('TRANSACTIONS_BASIC'),
    postedAt: transaction('TRANSACTIONS_BASIC'),
    direction: transaction('TRANSACTIONS_BASIC'),
    description: transaction('TRANSACTIONS_DETAIL'),
    merchant: transaction('TRANSACTIONS_DETAIL'),
  },
  Merchant: {
    name: merchant('TRANSACTIONS_DETAIL'),
    category: merchant('TRANSACTIONS_DETAIL'),
    location: merchant('MERCHANT_LOCATION_COARSE'),
  },
  MerchantLocation: {
    city: merchant('MERCHANT_LOCATION_COARSE'),
    country: merchant('MERCHANT_LOCATION_COARSE'),
    latitude: merchant('MERCHANT_LOCATION_PRECISE'),
    longitude: merchant('MERCHANT_LOCATION_PRECISE'),
  },
  // Reached only through a field above that already passed its rule.
  Money: allow,
  CardTransactionConnection: allow,
  CardTransactionEdge: allow,
  PageInfo: allow,
  // Reached only through the user's own consents and access log.
  Consent: allow,
  ConsentReceipt: allow,
  ConsentEvent: allow,
  AccessLogEntry: allow,
};
