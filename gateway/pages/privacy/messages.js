// "Messages from banks": one switch per bank (User.messagingOptIns; a bank without an entry has
// never been allowed), changed with optInToBankMessages / optOutOfBankMessages.
import { describeError, errorsAt } from './graphql.js';
import { $, h, problem, show, time } from './dom.js';

export const OPT_IN_FIELDS = 'bank { id } optedIn updatedAt';

export function renderMessaging(response, onChange) {
  const container = $('messages');
  const errors = [...errorsAt(response.errors, ['me', 'messagingOptIns']), ...errorsAt(response.errors, ['banks'])];
  const optIns = response.data.me?.messagingOptIns;
  const banks = response.data.banks;
  if (!optIns || !banks) return show(container, problem('Your message settings cannot be shown right now.', errors.map(describeError)));
  if (banks.length === 0) return show(container, h('p', { class: 'empty' }, 'No banks are connected yet.'));
  show(
    container,
    h(
      'ul',
      { class: 'switches' },
      banks.map((bank) => {
        const optIn = optIns.find((o) => o.bank.id === bank.id);
        const id = `messages-${bank.id}`;
        const on = optIn?.optedIn === true;
        return h(
          'li',
          { class: 'switch' },
          h('input', {
            type: 'checkbox',
            role: 'switch',
            id,
            checked: on,
            'aria-describedby': `${id}-state`,
            'data-bank-id': bank.id,
            onchange: (event) => onChange(bank, event.currentTarget),
          }),
          h('label', { for: id }, `${bank.name} may start chats with me`),
          h('p', { id: `${id}-state`, class: 'says' }, on ? 'Allowed since ' : optIn ? 'Not allowed since ' : 'Not allowed.', optIn ? time(optIn.updatedAt) : null),
        );
      }),
    ),
  );
}
