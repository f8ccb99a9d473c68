// "Your consents": each consent with its receipt in plain words, and revoking one (after a
// confirmation) with the revokeConsent mutation.
import { describeError, errorsAt } from './graphql.js';
import { $, h, problem, show, time } from './dom.js';
import { permissionInWords, PURPOSES, STATUS_WORDS } from './words.js';

export const CONSENT_FIELDS = `
  id status permissions purposes grantedAt expiresAt revokedAt transactionsFrom transactionsTo
  bank { id name }
  receipt { consentId bankName thirdPartyDisclosure howToRevoke }
  events { type at initiator }`;

const TRANSACTION_PERMISSIONS = ['TRANSACTIONS_BASIC', 'TRANSACTIONS_DETAIL'];

function windowInWords(consent) {
  if (!consent.permissions.some((p) => TRANSACTION_PERMISSIONS.includes(p))) return 'No transactions are included.';
  const { transactionsFrom: from, transactionsTo: to } = consent;
  if (!from && !to) return 'Transactions of any date.';
  if (from && to) return h('span', {}, 'Only transactions from ', time(from, { withTime: false }), ' to ', time(to, { withTime: false }), '.');
  return from
    ? h('span', {}, 'Only transactions from ', time(from, { withTime: false }), ' on.')
    : h('span', {}, 'Only transactions up to ', time(to, { withTime: false }), '.');
}

function untilInWords(consent) {
  if (consent.status === 'REVOKED') return h('span', {}, 'Ended: you revoked it on ', time(consent.revokedAt), '.');
  if (!consent.expiresAt) return 'Until you revoke it.';
  return h('span', {}, consent.status === 'EXPIRED' ? 'Ended on ' : 'Until ', time(consent.expiresAt), '.');
}

const entry = (term, ...description) => [h('dt', {}, term), h('dd', {}, ...description)];

function consentCard(consent, onRevoke) {
  const titleId = `consent-${consent.id}-title`;
  const bankName = consent.bank?.name ?? consent.receipt.bankName;
  const status = STATUS_WORDS[consent.status] ?? consent.status;
  return h(
    'article',
    { class: `consent ${consent.status.toLowerCase()}`, 'aria-labelledby': titleId, 'data-consent-id': consent.id, 'data-status': consent.status },
    h('header', { class: 'consent-head' }, h('h3', { id: titleId }, bankName), h('span', { class: `badge ${consent.status.toLowerCase()}` }, status)),
    h(
      'dl',
      { class: 'receipt' },
      entry('What it allows', h('ul', {}, consent.permissions.map((id) => {
        const words = permissionInWords(id);
        return h('li', {}, h('strong', {}, words.title), words.says ? ` — ${words.says}` : '');
      }))),
      entry('What for', h('ul', {}, consent.purposes.map((id) => {
        const purpose = PURPOSES.find((p) => p.id === id);
        return h('li', {}, h('strong', {}, purpose?.title ?? id), purpose ? ` — ${purpose.says}` : '');
      }))),
      entry('Given', time(consent.grantedAt)),
      entry('Valid', untilInWords(consent)),
      entry('Dates covered', windowInWords(consent)),
      entry('Shared with other companies', consent.receipt.thirdPartyDisclosure ? 'Yes' : 'Never.'),
      entry('How to revoke', consent.receipt.howToRevoke),
    ),
    h(
      'details',
      { class: 'receipt-details' },
      h('summary', {}, 'Receipt and history'),
      h('p', {}, 'Receipt number ', h('code', {}, consent.receipt.consentId)),
      h('ul', {}, consent.events.map((e) => h('li', {}, e.type === 'GRANTED' ? 'Given' : 'Revoked', ' on ', time(e.at), ` by ${e.initiator}`))),
    ),
    consent.status === 'ACTIVE'
      ? h('div', {}, h('button', { type: 'button', class: 'danger', onclick: () => onRevoke(consent, bankName) }, `Revoke access for ${bankName}`))
      : null,
  );
}

/** Renders the consents of a PrivacyCentre response (or why they cannot be shown). */
export function renderConsents(response, onRevoke) {
  const container = $('consents');
  const errors = errorsAt(response.errors, ['me', 'consents']);
  const consents = response.data.me?.consents;
  if (!consents) return show(container, problem('Your consents cannot be shown right now.', errors.map(describeError)));
  if (consents.length === 0) return show(container, h('p', { class: 'empty' }, 'You have not given any bank access to your data.'));
  // Active ones first; the server already orders each group newest first.
  const ordered = [...consents.filter((c) => c.status === 'ACTIVE'), ...consents.filter((c) => c.status !== 'ACTIVE')];
  show(container, errors.length ? problem('Some details are missing:', errors.map(describeError)) : null, ordered.map((c) => consentCard(c, onRevoke)));
}

/** Asks before revoking; resolves true when the person confirmed. */
export function confirmRevoke(bankName) {
  const dialog = $('confirm');
  $('confirm-text').textContent = `${bankName} will no longer be able to show any of the data this consent covers, from now on. To give access again later, you give a new consent.`;
  return new Promise((resolve) => {
    const buttons = [...dialog.querySelectorAll('button')];
    const close = (event) => dialog.close(event.currentTarget.value);
    for (const button of buttons) button.addEventListener('click', close);
    dialog.addEventListener(
      'close',
      () => {
        for (const button of buttons) button.removeEventListener('click', close);
        resolve(dialog.returnValue === 'confirm');
      },
      { once: true },
    );
    dialog.returnValue = '';
    dialog.showModal();
  });
}
