// The authorization table of the bank-account subgraph: every field, the rule that opens it, and
// for bank data the CONSENT.md permission it needs. A reviewer reads this file, not the resolvers.
import { allow } from '@consent-gateway/kit/shield';
import type { Permission } from '@consent-gateway/kit/consent-policy';
import type { PermissionMap } from '@consent-gateway/kit/create-subgraph';
import { allowed, denied, isFirstPartyUser, isFirstPartyViewer, isSecurityReviewer, isSelf, protectedRule } from '@consent-gateway/kit/rules';
import { accountBanks, decide, type Scope } from './access.ts';
import type { BankContext } from './index.ts';
import type { AccountParent, MerchantParent, TransactionParent } from './resolvers.ts';

const made = new Map<string, ReturnType<typeof protectedRule>>();

/**
 * A field opened by `permission` under a live consent of the data's owner at the data's bank.
 * One rule instance per name: shield requires a name to mean one rule.
 */
function consentRule<Parent>(name: string, permission: Permission, scopeOf: (parent: Parent) => Scope) {
  const key = `${name}(${permission})`;
  const existing = made.get(key);
  if (existing) return existing;
  const created = protectedRule<BankContext, Parent>(key, async (parent, _args, ctx) => {
    const scope = scopeOf(parent);
    const who = { permission, subjectUserId: scope.ownerId, bankId: scope.bankId };
    const decision = await decide(ctx, scope, permission);
    return decision.outcome === 'ALLOW'
      ? allowed({ ...who, consentId: decision.consentId })
      : denied(decision.reason, { ...who, consentId: decision.consentId });
  });
  made.set(key, created);
  return created;
}

const accountScope = (a: AccountParent): Scope => ({ ownerId: a.userId, bankId: a.bankId });
const transactionScope = (t: TransactionParent): Scope => ({
  ownerId: t.userId,
  bankId: t.bankId,
  row: { postedAt: t.postedAt, direction: t.direction },
});

const account = (p: Permission) => consentRule('accountConsent', p, accountScope);
const transaction = (p: Permission) => consentRule('transactionConsent', p, transactionScope);
const merchant = (p: Permission) => consentRule('merchantConsent', p, (m: MerchantParent) => transactionScope(m.transaction));

/** `User.accounts`: the owner or an agent of a bank they consented to, for this purpose. */
const canListAccounts = protectedRule<BankContext, { id: string }>('canListAccounts', async (user, _args, ctx) => {
  const banks = await accountBanks(ctx, user.id);
  const who = { permission: 'ACCOUNTS_BASIC', subjectUserId: user.id };
  return banks.denial
    ? denied(banks.denial, who)
    : allowed({ ...who, consentId: banks.allowed.map((b) => b.consentId).join(',') });
});

export const permissions: PermissionMap = {
  Query: {
    banks: allow,
    bank: allow,
    // Lookups hand out a reference only; each field of the result has its own consent rule.
    bankAccount: isFirstPartyViewer,
    cardTransaction: isFirstPartyViewer,
    auditEvents: isSecurityReviewer,
  },
  Mutation: {
    grantConsent: isFirstPartyUser,
    revokeConsent: isFirstPartyUser,
  },
  Bank: allow,
  User: {
    id: allow,
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
  // Reached only through the user's own consents, access log, or a reviewer's query.
  Consent: allow,
  ConsentReceipt: allow,
  ConsentEvent: allow,
  AccessLogEntry: allow,
  AuditDecision: allow,
};
