// "Your consents": each consent with its receipt in plain words. Revoking is one click (the
// revokeConsent mutation) with the result shown at once in the consent itself; the remedy is
// "Grant again with the same terms", a new consent (a revoked one never comes back).
import { describeError, errorsAt } from './graphql.js';
import { $, h, problem, reasons, show, time } from './dom.js';
import { howToRevokeHere, permissionInWords, PRECISE_LOCATION, PURPOSES, STATUS_WORDS } from './words.js';

export const CONSENT_FIELDS = `
  id status permissions purposes grantedAt expiresAt revokedAt transactionsFrom transactionsTo
  bank { id name }
  receipt { consentId bankName thirdPartyDisclosure }
  events { type at initiator }`;

const TRANSACTION_PERMISSIONS = ['TRANSACTIONS_BASIC', 'TRANSACTIONS_DETAIL'];

function windowInWords(consent) {
  if (!consent.permissions.some((p) => TRANSACTION_PERMISSIONS.includes(p))) return 'No transactions are included.';
  const { transactionsFrom: from, transactionsTo: to } = consent;
  if (!from && !to) return 'Transactions of any date.';
  if (from && to) return h('span', {}, 'Only transactions from ', time(from, { day: 'start' }), ' to ', time(to, { day: 'end' }), '.');
  return from
    ? h('span', {}, 'Only transactions from ', time(from, { day: 'start' }), ' on.')
    : h('span', {}, 'Only transactions up to ', time(to, { day: 'end' }), '.');
}

function untilInWords(consent) {
  if (consent.status === 'REVOKED') return h('span', {}, 'Ended: you revoked it on ', time(consent.revokedAt), '.');
  if (!consent.expiresAt) return 'Until you revoke it.';
  if (consent.status === 'EXPIRED') return h('span', {}, 'Ended on ', time(consent.expiresAt, { day: 'end' }), '.');
  return h('span', {}, 'Until the end of ', time(consent.expiresAt, { day: 'end' }), ', or until you revoke it.');
}

const entry = (term, ...description) => [h('dt', {}, term), h('dd', {}, ...description)];

/** Whether "the same terms" can still be granted as they were: an end date, if any, still ahead. */
export const sameTermsPossible = (consent, now = Date.now()) => !consent.expiresAt || Date.parse(consent.expiresAt) > now;

/** The terms of a consent as a new grant. */
export const sameTerms = (consent) => ({
  bankId: consent.bank.id,
  permissions: consent.permissions,
  purposes: consent.purposes,
  expiresAt: consent.expiresAt,
  transactionsFrom: consent.transactionsFrom,
  transactionsTo: consent.transactionsTo,
});

const termsKey = (c) => JSON.stringify([c.bank?.id, [...c.permissions].sort(), [...c.purposes].sort(), c.expiresAt, c.transactionsFrom, c.transactionsTo]);

function remedy(consent, bankName, actions, consents) {
  if (consent.status === 'ACTIVE') return null;
  // Already given again: a second one with the same terms would add nothing.
  if (consents.some((c) => c.status === 'ACTIVE' && termsKey(c) === termsKey(consent))) return null;
  if (sameTermsPossible(consent)) {
    return h('button', { type: 'button', class: 'secondary', 'data-action': 'grant-again', onclick: (event) => actions.grantAgain(consent, bankName, event.currentTarget) }, 'Grant again with the same terms');
  }
  // Its end date has passed: the same terms would end at once, so the person picks a new one.
  return h('button', { type: 'button', class: 'secondary', 'data-action': 'fill-form', onclick: () => actions.fillForm(consent) }, 'Give access again with these terms…');
}

function notice(note, action) {
  if (!note) return null;
  return h(
    'div',
    { class: `notice ${note.kind}`, tabindex: '-1', 'data-notice': note.kind },
    h('p', {}, h('strong', {}, note.title)),
    note.text ? h('p', {}, note.text) : null,
    action ? h('p', {}, action) : null,
  );
}

function consentCard(consent, me, actions, note, consents) {
  const titleId = `consent-${consent.id}-title`;
  const bankName = consent.bank?.name ?? consent.receipt.bankName;
  const status = STATUS_WORDS[consent.status] ?? 'Unknown';
  const precise = consent.permissions.includes(PRECISE_LOCATION.id);
  const active = consent.status === 'ACTIVE';
  // Just revoked: the remedy goes with the result, at the top, where the person looks.
  const fix = remedy(consent, bankName, actions, consents);
  const fixInNotice = note?.kind === 'revoked' && fix;
  return h(
    'article',
    { class: `consent ${consent.status.toLowerCase()}`, 'aria-labelledby': titleId, 'data-consent-id': consent.id, 'data-status': consent.status },
    h('header', { class: 'consent-head' }, h('h3', { id: titleId }, bankName), h('span', { class: `badge ${consent.status.toLowerCase()}` }, status)),
    notice(note, fixInNotice ? fix : null),
    h(
      'dl',
      { class: 'receipt' },
      entry(active ? 'What it allows' : 'What it allowed', h('ul', {}, consent.permissions.filter((id) => id !== PRECISE_LOCATION.id).map((id) => {
        const words = permissionInWords(id);
        return h('li', {}, h('strong', {}, words.title), words.says ? ` — ${words.says}` : '');
      }))),
      entry(
        h('span', {}, 'Exact shop locations ', h('span', { class: 'tag' }, 'separate opt-in')),
        precise
          ? h('span', { class: 'precise-on' }, h('strong', {}, 'Included'), ` — you turned this on separately: ${PRECISE_LOCATION.says.charAt(0).toLowerCase()}${PRECISE_LOCATION.says.slice(1)}`)
          : 'Not included.',
      ),
      entry('What for', h('ul', {}, consent.purposes.map((id) => {
        const purpose = PURPOSES.find((p) => p.id === id);
        return h('li', {}, h('strong', {}, purpose?.title ?? 'Another purpose'), purpose ? ` — ${purpose.says}` : '');
      }))),
      entry('Given', time(consent.grantedAt)),
      entry('Valid', untilInWords(consent)),
      entry('Dates covered', windowInWords(consent)),
      entry('Shared with other companies', consent.receipt.thirdPartyDisclosure ? 'Yes' : 'Never.'),
      // Only a consent still in force can be revoked: no instructions on an ended one.
      active ? entry('How to revoke', howToRevokeHere(bankName)) : null,
    ),
    h(
      'details',
      { class: 'receipt-details' },
      h('summary', {}, 'Receipt and history'),
      h('p', {}, 'Receipt number ', h('code', {}, consent.receipt.consentId)),
      h('ul', {}, consent.events.map((e) => h('li', {}, e.type === 'GRANTED' ? 'Given' : 'Revoked', ' on ', time(e.at), e.initiator === me ? ' by you' : ` by ${e.initiator}`))),
    ),
    h('div', { class: 'card-problem' }),
    active
      ? h('div', {}, h('button', { type: 'button', class: 'danger', 'data-action': 'revoke', onclick: (event) => actions.revoke(consent, bankName, event.currentTarget) }, `Revoke access for ${bankName}`))
      : h('div', {}, fixInNotice ? null : fix),
  );
}

/**
 * Renders the consents of a PrivacyCentre response (or why they cannot be shown). `note` puts a
 * result in one consent ({ id, kind, title, text, focus }), shown first, so that it is seen at once
 * (and, with `focus`, taking the keyboard focus there).
 */
export function renderConsents(response, actions, note) {
  const container = $('consents');
  const errors = errorsAt(response.errors, ['me', 'consents']);
  const consents = response.data.me?.consents;
  if (!consents) return show(container, problem('Your consents cannot be shown right now.', errors.map(describeError)));
  if (consents.length === 0) {
    // A bank that did not answer may hold some: "none" only when every bank answered.
    if (errors.length) return show(container, problem('Some banks did not answer:', errors.map(describeError)), h('p', { class: 'empty' }, 'None from the banks that answered.'));
    return show(container, h('p', { class: 'empty' }, 'You have not given any bank access to your data.'));
  }
  // The one just changed first, then active ones; the server already orders each group newest first.
  const first = consents.filter((c) => c.id === note?.id);
  const rest = consents.filter((c) => c.id !== note?.id);
  const ordered = [...first, ...rest.filter((c) => c.status === 'ACTIVE'), ...rest.filter((c) => c.status !== 'ACTIVE')];
  const me = response.data.me.id;
  show(
    container,
    errors.length ? problem('Some details are missing:', errors.map(describeError)) : null,
    ordered.map((c) => consentCard(c, me, actions, c.id === note?.id ? note : null, consents)),
  );
  if (note?.focus) container.querySelector('[data-notice]')?.focus();
}

const cardProblem = (title, lines) => h('div', { class: 'problem', role: 'alert', tabindex: '-1' }, h('strong', {}, title), lines.length ? h('ul', {}, reasons(lines)) : null);

/** A failed action, shown in the consent it concerns. */
export function showCardProblem(button, title, lines) {
  const slot = button.closest('article')?.querySelector('.card-problem');
  if (slot) show(slot, cardProblem(title, lines));
}

/**
 * The same, in the consent `consentId` as the list shows it now (after the list was read again);
 * false when the list does not show it.
 */
export function showConsentProblem(consentId, title, lines) {
  const card = [...$('consents').querySelectorAll('article[data-consent-id]')].find((a) => a.dataset.consentId === consentId);
  const slot = card?.querySelector('.card-problem');
  if (!slot) return false;
  show(slot, cardProblem(title, lines));
  slot.firstChild.focus();
  return true;
}
