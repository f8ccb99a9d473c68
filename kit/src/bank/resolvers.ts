// Thin resolvers: each sensitive field reads its own data through a batched loader, after its
// rule (permissions.ts) passed. Parents carry only what the rules need to decide. A bank answers
// for itself only: ids of other banks resolve to null without reading anything.
import type { GraphQLResolveInfo } from 'graphql';
import type { Resolvers } from '../create-subgraph.ts';
import { bankOfId } from '../ids.ts';
import { DateTime } from '../scalars.ts';
import { selectedUnder } from '../selection.ts';
import { decide, mayReference } from './access.ts';
import { auditResolvers } from './audit-queries.ts';
import { consentMutations, consentResolvers } from './consents.ts';
import type { AccountParent, BankContext, TransactionParent } from './context.ts';
import { pageDetailAsked, ownTransaction, transactionPage } from './transactions.ts';

export interface MerchantParent {
  merchantId: string;
  transaction: TransactionParent;
}

/** A lookup by id: this bank's object, handed out as a reference to its owner or this bank's agents. */
async function reference<T extends { userId: string }>(ctx: BankContext, id: string, load: (id: string) => Promise<T | null>): Promise<T | null> {
  if (bankOfId(id) !== ctx.bank.id) return null;
  const doc = await load(id);
  return doc && mayReference(ctx, doc.userId) ? doc : null;
}
const account = (ctx: BankContext, id: string) => reference(ctx, id, (k) => ctx.loaders.account.load(k));
/** A user's own lookups read the row with what their consent opens (transactions.ts); others, its envelope first. */
const transaction = (ctx: BankContext, id: string, info: GraphQLResolveInfo) =>
  reference(ctx, id, (k) => (ctx.loaders.ownTransactions ? ownTransaction(ctx, k, info) : ctx.loaders.transactionEnvelope.load(k)));
const thisBank = (ctx: BankContext, id: string) => (id === ctx.bank.id ? ctx.bank : null);

export const bankResolvers: Resolvers<BankContext> = {
  DateTime,
  Purpose: { CUSTOMER_SERVICE: 'customer_service', ACCOUNT_OVERVIEW: 'account_overview', SPENDING_INSIGHTS: 'spending_insights', FRAUD_PREVENTION: 'fraud_prevention' },
  Query: {
    banks: (_root, _args, ctx) => [ctx.bank],
    bank: (_root, args: { id: string }, ctx) => thisBank(ctx, args.id),
    bankAccount: (_root, args: { id: string }, ctx) => account(ctx, args.id),
    cardTransaction: (_root, args: { id: string }, ctx, info) => transaction(ctx, args.id, info),
  },
  Mutation: consentMutations,
  Bank: {
    __resolveReference: (ref: { id: string }, ctx: BankContext) => thisBank(ctx, ref.id),
  },
  User: {
    // Extending an entity owned elsewhere: the reference is all we need, nothing is read.
    __resolveReference: (ref: { id: string }) => ({ id: ref.id }),
    // Its rule passed: the viewer may list this user's accounts at this bank. Their balances are
    // read with the list when asked and opened (the rule of `balance` asks the same decision).
    accounts: async (user: { id: string }, _args, ctx, info) => {
      const withBalance = selectedUnder(info, []).has('balance') && (await decide(ctx, { ownerId: user.id }, 'BALANCES')).outcome === 'ALLOW';
      return (withBalance ? ctx.loaders.accountsWithBalanceOf : ctx.loaders.accountsOf).load(user.id);
    },
    ...consentResolvers.User,
    ...auditResolvers.User,
  },
  BankAccount: {
    __resolveReference: (ref: { id: string }, ctx: BankContext) => account(ctx, ref.id),
    bank: (_a: AccountParent, _args, ctx) => ctx.bank,
    accountNumber: async (a: AccountParent, _args, ctx) => (await ctx.loaders.accountNumber.load(a.id))?.accountNumber ?? null,
    balance: async (a: AccountParent, _args, ctx) => {
      const row = await ctx.loaders.accountBalance.load(a.id);
      return row ? { minorUnits: row.balanceMinor, currency: row.currency } : null;
    },
    transactions: async (a: AccountParent, args, ctx, info) => {
      // The same decision as the field's rule: it names the consent whose window and
      // credit/debit permissions narrow the query.
      const decision = await decide(ctx, { ownerId: a.userId }, 'TRANSACTIONS_BASIC');
      if (decision.outcome !== 'ALLOW') throw new Error('transactions resolved without a passing rule');
      return transactionPage(ctx, a.id, decision.consent, args, pageDetailAsked(info));
    },
  },
  CardTransaction: {
    // @apollo/subgraph calls it as (reference, context, info); the map's type knows field resolvers only.
    __resolveReference: (ref: { id: string }, ctx: BankContext, info: unknown) => transaction(ctx, ref.id, info as GraphQLResolveInfo),
    amount: async (t: TransactionParent, _args, ctx) => {
      if (t.amountMinor !== undefined) return { minorUnits: t.amountMinor, currency: t.currency };
      const row = await ctx.loaders.transactionAmount.load(t.id);
      return row ? { minorUnits: row.amountMinor, currency: row.currency } : null;
    },
    description: async (t: TransactionParent, _args, ctx) => (await ctx.loaders.transactionField(t.id, 'description'))?.description ?? null,
    merchant: async (t: TransactionParent, _args, ctx): Promise<MerchantParent | null> => {
      const row = await ctx.loaders.transactionField(t.id, 'merchantId');
      return row?.merchantId ? { merchantId: row.merchantId, transaction: t } : null;
    },
  },
  // Name, category, city and country are the transaction's own (as the card network reported
  // them); coordinates, the merchant's, read by merchant id.
  Merchant: {
    name: async (m: MerchantParent, _args, ctx) => (await ctx.loaders.transactionField(m.transaction.id, 'merchantName'))?.merchantName ?? 'Unknown merchant',
    category: async (m: MerchantParent, _args, ctx) => (await ctx.loaders.transactionField(m.transaction.id, 'merchantCategory'))?.merchantCategory ?? null,
    // Nothing is read here: city/country and coordinates are read by their own fields, each
    // under its own permission, so a coarse-only consent never reads coordinates.
    location: (m: MerchantParent) => m,
  },
  MerchantLocation: {
    city: async (m: MerchantParent, _args, ctx) => (await ctx.loaders.transactionField(m.transaction.id, 'merchantCity'))?.merchantCity ?? null,
    country: async (m: MerchantParent, _args, ctx) => (await ctx.loaders.transactionField(m.transaction.id, 'merchantCountry'))?.merchantCountry ?? null,
    latitude: async (m: MerchantParent, _args, ctx) => (await ctx.loaders.locationPrecise.load(m.merchantId))?.latitude ?? null,
    longitude: async (m: MerchantParent, _args, ctx) => (await ctx.loaders.locationPrecise.load(m.merchantId))?.longitude ?? null,
  },
  ...consentResolvers.types,
  ...auditResolvers.types,
};
