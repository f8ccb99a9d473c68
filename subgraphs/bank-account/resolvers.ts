// Thin resolvers: each sensitive field reads its own data through a batched loader, after its
// rule (permissions.ts) passed. Parents carry only what the rules need to decide.
import type { Resolvers } from '@consent-gateway/kit/create-subgraph';
import { DateTime } from '@consent-gateway/kit/scalars';
import { accountBanks, decide } from './access.ts';
import { bankById } from './banks.ts';
import { consentMutations, consentResolvers } from './consents.ts';
import { auditResolvers } from './audit-queries.ts';
import type { BankContext } from './index.ts';
import type { AccountDoc, TransactionDoc } from './store.ts';
import { transactionPage } from './transactions.ts';

export type AccountParent = Pick<AccountDoc, '_id' | 'userId' | 'bankId' | 'maskedNumber' | 'currency'>;
/** The envelope is always there; amount fields only when the page query read them. */
export type TransactionParent = Pick<TransactionDoc, '_id' | 'userId' | 'bankId' | 'postedAt' | 'direction' | 'accountId'> &
  Partial<Pick<TransactionDoc, 'amountMinor' | 'currency'>>;
export interface MerchantParent {
  merchantId: string;
  transaction: TransactionParent;
}

export const resolvers: Resolvers<BankContext> = {
  DateTime,
  Purpose: { CUSTOMER_SERVICE: 'customer_service', ACCOUNT_OVERVIEW: 'account_overview', SPENDING_INSIGHTS: 'spending_insights', FRAUD_PREVENTION: 'fraud_prevention' },
  Query: {
    banks: async (_root, _args, ctx) => (await ctx.db.collection('banks').find({}, { sort: { _id: 1 } }).toArray()).map((b) => ({ id: b._id, name: b.name })),
    bank: (_root, args: { id: string }, ctx) => bankById(ctx, args.id),
    bankAccount: (_root, args: { id: string }, ctx) => ctx.loaders.account.load(args.id),
    cardTransaction: (_root, args: { id: string }, ctx) => ctx.loaders.transactionEnvelope.load(args.id),
    ...auditResolvers.Query,
  },
  Mutation: consentMutations,
  Bank: {
    __resolveReference: (ref: { id: string }, ctx: BankContext) => bankById(ctx, ref.id),
  },
  User: {
    // Extending an entity owned elsewhere: the reference is all we need, nothing is read.
    __resolveReference: (ref: { id: string }) => ({ id: ref.id }),
    accounts: async (user: { id: string }, _args, ctx) => {
      const { allowed } = await accountBanks(ctx, user.id);
      if (allowed.length === 0) return [];
      return ctx.loaders.accountsOf.load({ userId: user.id, bankIds: allowed.map((b) => b.bankId) });
    },
    ...consentResolvers.User,
    ...auditResolvers.User,
  },
  BankAccount: {
    __resolveReference: (ref: { id: string }, ctx: BankContext) => ctx.loaders.account.load(ref.id),
    id: (a: AccountParent) => a._id,
    bank: (a: AccountParent, _args, ctx) => bankById(ctx, a.bankId),
    accountNumber: async (a: AccountParent, _args, ctx) => (await ctx.loaders.accountNumber.load(a._id))?.accountNumber ?? null,
    balance: async (a: AccountParent, _args, ctx) => {
      const doc = await ctx.loaders.accountBalance.load(a._id);
      return doc ? { minorUnits: doc.balanceMinor, currency: doc.currency } : null;
    },
    transactions: async (a: AccountParent, args, ctx) => {
      // The same decision as the field's rule: it names the consent whose window and
      // credit/debit permissions narrow the query.
      const decision = await decide(ctx, { ownerId: a.userId, bankId: a.bankId }, 'TRANSACTIONS_BASIC');
      if (decision.outcome !== 'ALLOW') throw new Error('transactions resolved without a passing rule');
      return transactionPage(ctx, a._id, decision.consent, args);
    },
  },
  CardTransaction: {
    __resolveReference: (ref: { id: string }, ctx: BankContext) => ctx.loaders.transactionEnvelope.load(ref.id),
    id: (t: TransactionParent) => t._id,
    amount: async (t: TransactionParent, _args, ctx) => {
      if (t.amountMinor !== undefined) return { minorUnits: t.amountMinor, currency: t.currency };
      const doc = await ctx.loaders.transactionAmount.load(t._id);
      return doc ? { minorUnits: doc.amountMinor, currency: doc.currency } : null;
    },
    description: async (t: TransactionParent, _args, ctx) => (await ctx.loaders.transactionDetail.load(t._id))?.description ?? null,
    merchant: async (t: TransactionParent, _args, ctx): Promise<MerchantParent | null> => {
      const detail = await ctx.loaders.transactionDetail.load(t._id);
      return detail?.merchantId ? { merchantId: detail.merchantId, transaction: t } : null;
    },
  },
  Merchant: {
    name: async (m: MerchantParent, _args, ctx) => (await ctx.loaders.merchant.load(m.merchantId))?.name ?? 'Unknown merchant',
    category: async (m: MerchantParent, _args, ctx) => (await ctx.loaders.merchant.load(m.merchantId))?.category ?? null,
    // Nothing is read here: city/country and coordinates are read by their own fields, each
    // under its own permission, so a coarse-only consent never reads coordinates.
    location: (m: MerchantParent) => m,
  },
  MerchantLocation: {
    city: async (m: MerchantParent, _args, ctx) => (await ctx.loaders.locationCoarse.load(m.merchantId))?.city ?? null,
    country: async (m: MerchantParent, _args, ctx) => (await ctx.loaders.locationCoarse.load(m.merchantId))?.country ?? null,
    latitude: async (m: MerchantParent, _args, ctx) => (await ctx.loaders.locationPrecise.load(m.merchantId))?.latitude ?? null,
    longitude: async (m: MerchantParent, _args, ctx) => (await ctx.loaders.locationPrecise.load(m.merchantId))?.longitude ?? null,
  },
  ...consentResolvers.types,
  ...auditResolvers.types,
};
