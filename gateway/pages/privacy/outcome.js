// What became of a change whose answer never came back. When a bank or the chat service does not
// answer in time (or the connection fails), the change may still have been made: the service
// can finish it after the gateway gave up waiting. So the page never says "not saved" then; it
// reads the person's data again and tells what it holds now. These functions decide that from
// the page's overview (app.js, PrivacyCentre): `saved`/`revoked`/`changed` when the change is
// there, `absent`/`active`/`unchanged` when the service answered and it is not, `unknown` when
// the service's part is still missing.
import { errorsAt } from './graphql.js';

/** Whether the overview lacks `bankId`'s consents: the list could not be read, or that bank did not answer. */
export function consentsMissingFor(response, bankId) {
  const consents = response?.data?.me?.consents;
  if (!Array.isArray(consents)) return true;
  return errorsAt(response.errors ?? [], ['me', 'consents']).some((e) => !e.extensions?.bank || e.extensions.bank === bankId);
}

const same = (a, b) => (a ? Date.parse(a) : null) === (b ? Date.parse(b) : null);
const sameSet = (a = [], b = []) => a.length === b.length && a.every((x) => b.includes(x));

/** Whether `consent` has the terms of the grant `input` (GrantConsentInput). */
export const hasTermsOf = (consent, input) =>
  consent.bank?.id === input.bankId &&
  sameSet(consent.permissions, input.permissions) &&
  sameSet(consent.purposes, input.purposes) &&
  same(consent.expiresAt, input.expiresAt) &&
  same(consent.transactionsFrom, input.transactionsFrom) &&
  same(consent.transactionsTo, input.transactionsTo);

/** Clocks of the browser and of a bank differ: a consent given this long before the request still counts as its own. */
const CLOCK_SKEW_MS = 5 * 60_000;

/**
 * A grant sent at `sentAt` (ms) that got no answer. `known`: the ids of the consents the page
 * showed before it (a consent among them is not the new one, even with the same terms).
 */
export function grantOutcome(response, input, known, sentAt) {
  const consent = response?.data?.me?.consents?.find(
    (c) => c.status === 'ACTIVE' && !known.has(c.id) && hasTermsOf(c, input) && !(Date.parse(c.grantedAt) < sentAt - CLOCK_SKEW_MS),
  );
  if (consent) return { state: 'saved', consent };
  return { state: consentsMissingFor(response, input.bankId) ? 'unknown' : 'absent' };
}

/**
 * A revoke of `consentId` at `bankId` that got no answer: `revoked` (no longer in force: revoked,
 * or ended meanwhile), `active`, `unknown`, or `gone` (the bank answered and no longer lists it).
 */
export function revokeOutcome(response, consentId, bankId) {
  const consent = response?.data?.me?.consents?.find((c) => c.id === consentId);
  if (!consent) return { state: consentsMissingFor(response, bankId) ? 'unknown' : 'gone' };
  return { state: consent.status === 'ACTIVE' ? 'active' : 'revoked', consent };
}

/** An opt-in (`wanted` true) or opt-out of messages from `bankId` that got no answer: `changed`, `unchanged` or `unknown`. */
export function optInOutcome(response, bankId, wanted) {
  const optIns = response?.data?.me?.messagingOptIns;
  if (!Array.isArray(optIns) || errorsAt(response.errors ?? [], ['me', 'messagingOptIns']).length) return { state: 'unknown' };
  const on = optIns.find((o) => o.bank?.id === bankId)?.optedIn === true;
  return { state: on === wanted ? 'changed' : 'unchanged', on };
}
