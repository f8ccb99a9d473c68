// The authorization table of every bank subgraph: every field, the rule that opens it, and for bank
// data the permission of docs/consent-policy.md it needs. A reviewer reads this file, not the
// resolvers; schema/authorization.md is generated from it.
import { allow, deny } from '../shield.ts';
import type { Permission } from '../consent-policy.ts';
import type { PermissionMap } from '../create-subgraph.ts';
import { allowed, denied, isFirstPartyUser, isFirstPartyViewer, isSelf, protectedRule } from '../rules.ts';
import { decide, type Scope } from './access.ts';
import type { AccountParent, BankContext, TransactionParent } from './context.ts';
import type { MerchantParent } from './resolvers.ts';

const made = new Map<string, ReturnType<typeof protectedRule>>();

/**
 * A field opened by `permission` under a live consent of the data's owner at this bank.
 * One rule instance per name: shield requires a name to mean one rule.
 */
function consentRule<Parent>(name: string, permission: Permission, scopeOf: (parent: Parent) => Scope) {
  const key = `${name}(${permission})`;
  const existing = made.get(key);
  if (existing) return existing;
  const created = protectedRule<BankContext, Parent>(key, async (parent, _args, ctx) => {
    const scope = scopeOf(parent);
    const who = { permission, subjectUserId: scope.ownerId, bankId: ctx.bank.id };
    const decision = await decide(ctx, scope, permission);
    return decision.outcome === 'ALLOW'
      ? allowed({ ...who, consentId: decision.consentId })
      : denied(decision.reason, { ...who, consentId: decision.consentId });
  });
  made.set(key, created);
  return created;
}

const accountScope = (a: AccountParent): Scope => ({ ownerId: a.userId });
const transactionScope = (t: TransactionParent): Scope => ({ ownerId: t.userId, row: { postedAt: t.postedAt, direction: t.direction } });

const account = (p: Permission) => consentRule('accountConsent', p, accountScope);
const transaction = (p: Permission) => consentRule('transactionConsent', p, transactionScope);
const merchant = (p: Permission) => consentRule('merchantConsent', p, (m: MerchantParent) => transactionScope(m.transaction));

/** `User.accounts`: the owner, or an agent of this bank, under a consent to this bank for this purpose. */
const canListAccounts = protectedRule<BankContext, { id: string }>('canListAccounts', async (user, _args, ctx) => {
  const decision = await decide(ctx, { ownerId: user.id }, 'ACCOUNTS_BASIC');
  const who = { permission: 'ACCOUNTS_BASIC', subjectUserId: user.id, bankId: ctx.bank.id, consentId: decision.consentId };
  return decision.outcome === 'ALLOW' ? allowed(who) : denied(decision.reason, who);
});

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
