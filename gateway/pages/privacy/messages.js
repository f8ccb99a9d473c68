// "Messages from banks": one switch per bank (User.messagingOptIns; a bank without an entry has
// never been allowed), changed with optInToBankMessages / optOutOfBankMessages.
import { describeError, errorsAt } from './graphql.js';
import { $, h, problem, show, time } from './dom.js';

export const OPT_IN_FIELDS = 'bank { id } optedIn updatedAt';

function switchFor(bank, onChange) {
  const id = `messages-${bank.id}`;
  return h(
    'li',
    { class: 'switch' },
    h('input', { type: 'checkbox', role: 'switch', id, 'aria-describedby': `${id}-state`, 'data-bank-id': bank.id, onchange: (event) => onChange(bank, event.currentTarget) }),
    h('label', { for: id }, `${bank.name} may start chats with me`),
    h('p', { id: `${id}-state`, class: 'says' }),
  );
}

export function renderMessaging(response, onChange) {
  const container = $('messages');
  const errors = [...errorsAt(response.errors, ['me', 'messagingOptIns']), ...errorsAt(response.errors, ['banks'])];
  const optIns = response.data.me?.messagingOptIns;
  const banks = response.data.banks;
  if (!optIns || !banks) return show(container, problem('Your message settings cannot be shown right now.', errors.map(describeError)));
  if (banks.length === 0) return show(container, h('p', { class: 'empty' }, 'No banks are connected yet.'));
  // The switches stay the same elements across refreshes, so that the keyboard focus stays on the one just used.
  const shown = [...container.querySelectorAll('input[role="switch"]')].map((input) => input.dataset.bankId);
  if (shown.join() !== banks.map((b) => b.id).join()) show(container, h('ul', { class: 'switches' }, banks.map((bank) => switchFor(bank, onChange))));
  for (const bank of banks) {
    const optIn = optIns.find((o) => o.bank.id === bank.id);
    const input = $(`messages-${bank.id}`);
    input.checked = optIn?.optedIn === true;
    input.removeAttribute('aria-busy');
    show($(`messages-${bank.id}-state`), optIn ? [optIn.optedIn ? 'Allowed since ' : 'Not allowed since ', time(optIn.updatedAt)] : 'Not allowed.');
  }
}
