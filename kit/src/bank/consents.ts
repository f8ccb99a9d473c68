// Granting and revoking consents (the user alone: see permissions.ts), and how a consent reads.
// A grant never changes afterwards; a revoke is one atomic update that also appends its event.
import { GraphQLError, type GraphQLResolveInfo } from 'graphql';
import { consentStatus, grantProblems, heldConsentsRefusal, type GrantInput, type Permission } from '../consent-policy.ts';
import { isPurpose, type Purpose } from '../identity.ts';
import { newBankScopedId } from '../ids.ts';
import { badInput } from '../reasons.ts';
import type { BankContext } from './context.ts';
import { noConsentOfYours, unknownBank } from './policy.ts';
import type { StoredConsent } from './store.ts';

export const HOW_TO_REVOKE = 'Revoke at any time in the privacy centre (/privacy: "Revoke" next to the consent) or with the revokeConsent mutation; it takes effect at once.';

const toConsent = (doc: StoredConsent) => ({ ...doc, id: doc._id });

/** The field's coordinate (`Mutation.grantConsent`), whose decision record names the consent. */
const coordinate = (info: GraphQLResolveInfo) => `${info.parentType.name}.${info.fieldName}`;

/**
 * Grants of one user at this bank, one at a time in this process: the check of what they hold and
 * the insert it allows are not interleaved with another grant of theirs (the caps hold against
 * concurrent grants; across replicas, each replica's grants are serialized on their own).
 */
const grantsInFlight = new Map<string, Promise<unknown>>();
async function oneGrantAtATime<T>(key: string, run: () => Promise<T>): Promise<T> {
  const before = grantsInFlight.get(key) ?? Promise.resolve();
  const mine = before.catch(() => undefined).then(run);
  const settled = mine.catch(() => undefined);
  grantsInFlight.set(key, settled);
  try {
    return await mine;
  } finally {
    if (grantsInFlight.get(key) === settled) grantsInFlight.delete(key);
  }
}

async function grantConsent(_root: unknown, { input }: { input: GrantInput }, ctx: BankContext, info: GraphQLResolveInfo) {
  const userId = ctx.identity.sub!;
  const problems = grantProblems(input, ctx.now, isPurpose);
  // A bank grants consents to itself only; the gateway refuses unregistered banks before this.
  if (input.bankId !== ctx.bank.id) problems.push(unknownBank(input.bankId));
  if (problems.length) throw badInput(`invalid consent: ${problems.join('; ')}`, { problems });
  const iso = (v?: string | null) => (v ? new Date(v).toISOString() : null);
  const permissions = [...new Set(input.permissions)] as Permission[];
  const purposes = [...new Set(input.purposes)] as Purpose[];
  const window = { expiresAt: iso(input.expiresAt), transactionsFrom: iso(input.transactionsFrom), transactionsTo: iso(input.transactionsTo) };
  return oneGrantAtATime(`${ctx.bank.id}\u0000${userId}`, async () => {
    // What the user holds here, read fresh (not the request's loader, which a grant earlier in the
    // same request would leave stale): a duplicate of a live consent, or one past the caps, is
    // refused and nothing is stored (docs/consent-policy.md, "Lifecycle").
    const [read = []] = await ctx.store.consentsOfUsers([userId]);
    const refusal = heldConsentsRefusal({ permissions, purposes, ...window }, ownConsents(read, userId, ctx.bank.id), ctx.bank.name, ctx.now);
    // The message names the consent or the limit: the gateway passes `problems` and `reason` on.
    if (refusal) throw badInput(`consent not granted: ${refusal.message}`, { problems: [refusal.message], reason: refusal.kind === 'duplicate' ? 'CONSENT_DUPLICATE' : 'CONSENT_LIMIT' });
    return insertGrant(ctx, info, userId, permissions, purposes, window);
  });
}

async function insertGrant(
  ctx: BankContext,
  info: GraphQLResolveInfo,
  userId: string,
  permissions: Permission[],
  purposes: Purpose[],
  window: { expiresAt: string | null; transactionsFrom: string | null; transactionsTo: string | null },
) {
  const at = ctx.now.toISOString();
  const _id = newBankScopedId(ctx.bank.id, 'cns');
  const doc: StoredConsent = {
    _id,
    userId,
    bankId: ctx.bank.id,
    permissions,
    purposes,
    grantedAt: at,
    revokedAt: null,
    ...window,
    events: [{ type: 'GRANTED', at, initiator: userId }],
    receipt: {
      consentId: _id,
      userId,
      bankId: ctx.bank.id,
      bankName: ctx.bank.name,
      permissions,
      purposes,
      grantedAt: at,
      ...window,
      thirdPartyDisclosure: false,
      howToRevoke: HOW_TO_REVOKE,
    },
  };
  await ctx.store.insertConsent(doc);
  // The grant's decision record names the consent it created: a reviewer finds it by that id.
  ctx.decisions.noteConsent(coordinate(info), _id);
  return toConsent(doc);
}

async function revokeConsent(_root: unknown, { id }: { id: string }, ctx: BankContext, info: GraphQLResolveInfo) {
  const userId = ctx.identity.sub!;
  // Scoped to the caller: another user's consent id is indistinguishable from a missing one.
  const doc = await ctx.store.revokeConsent({ id, userId, at: ctx.now.toISOString() });
  if (!doc) throw new GraphQLError(noConsentOfYours(id), { extensions: { code: 'NOT_FOUND' } });
  ctx.decisions.noteConsent(coordinate(info), doc._id);
  return toConsent(doc);
}

export const consentMutations = { grantConsent, revokeConsent };

/**
 * Of the consents an adapter returned for `userId`, those of that user at this bank. Defence in
 * depth: an adapter whose consentsOfUsers forgets its user filter must not list (or export)
 * another customer's receipts, or another bank's, to this one.
 */
export const ownConsents = <C extends { userId: string; bankId: string }>(docs: readonly C[], userId: string, bankId: string): C[] =>
  docs.filter((d) => d.userId === userId && d.bankId === bankId);

export const consentResolvers = {
  User: {
    consents: async (user: { id: string }, _args: unknown, ctx: BankContext) => {
      const docs = await ctx.loaders.consentsByUser.load(user.id);
      return ownConsents(docs, user.id, ctx.bank.id)
        .sort((a, b) => b.grantedAt.localeCompare(a.grantedAt))
        .map(toConsent);
    },
  },
  types: {
    Consent: {
      bank: (_c: StoredConsent, _args: unknown, ctx: BankContext) => ctx.bank,
      status: (c: StoredConsent, _args: unknown, ctx: BankContext) => consentStatus(c, ctx.now),
    },
  },
};
