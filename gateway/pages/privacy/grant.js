// "Give a bank access": the grant form. The rules show as hints while the person chooses; the
// gateway checks them again and its answer (BAD_USER_INPUT with its problems) is shown as it is.
import { $, h, show } from './dom.js';
import { grantHints, PERMISSIONS, PRECISE_LOCATION, PURPOSES } from './words.js';

function choice(name, option, extra = {}) {
  const id = `${name}-${option.id.toLowerCase()}`;
  return h(
    'div',
    { class: 'choice' },
    h('input', { type: 'checkbox', id, name, value: option.id, 'aria-describedby': `${id}-says`, ...extra }),
    h('label', { for: id }, option.title),
    h('p', { id: `${id}-says`, class: 'says' }, option.says),
  );
}

const checked = (form, name) => [...form.querySelectorAll(`input[name="${name}"]:checked`)].map((i) => i.value);

/** A date input's value as the start or the end of that day in UTC, or null when empty. */
function dayBound(input, end) {
  if (!input.value) return null;
  return `${input.value}T${end ? '23:59:59.999' : '00:00:00.000'}Z`;
}

export function readGrant(form) {
  return {
    bankId: $('grant-bank').value,
    permissions: checked(form, 'permission'),
    purposes: checked(form, 'purpose'),
    expiresAt: dayBound($('grant-expires'), true),
    transactionsFrom: dayBound($('grant-from'), false),
    transactionsTo: dayBound($('grant-to'), true),
  };
}

function updateHints(form, { quiet = false } = {}) {
  const grant = readGrant(form);
  // Precise location is offered only on top of the coarse one.
  const coarse = grant.permissions.includes('MERCHANT_LOCATION_COARSE');
  const precise = $(`permission-${PRECISE_LOCATION.id.toLowerCase()}`);
  precise.disabled = !coarse;
  if (!coarse) precise.checked = false;
  // A form nobody has touched yet gets no hints: nothing is wrong with it yet.
  const hints = quiet ? [] : grantHints(grant);
  show($('grant-hints'), hints.length ? h('ul', {}, hints.map((text) => h('li', {}, text))) : null);
}

/** Builds the form once; `onSubmit(grant)` does the request. */
export function setUpGrantForm(onSubmit) {
  const form = $('grant');
  show($('grant-permission-list'), PERMISSIONS.map((p) => choice('permission', p)));
  show($('grant-precise-list'), choice('permission', PRECISE_LOCATION, { disabled: true }));
  show($('grant-purposes'), PURPOSES.map((p) => choice('purpose', p)));
  form.addEventListener('change', () => updateHints(form));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const button = form.querySelector('button[type="submit"]');
    button.disabled = true;
    show($('grant-error'));
    try {
      if (await onSubmit(readGrant(form))) {
        form.reset();
        updateHints(form, { quiet: true });
      }
    } finally {
      button.disabled = false;
    }
  });
  updateHints(form, { quiet: true });
}

export function setBanks(banks) {
  const select = $('grant-bank');
  const chosen = select.value;
  show(select, h('option', { value: '' }, 'Choose a bank'), banks.map((b) => h('option', { value: b.id }, b.name)));
  if (banks.some((b) => b.id === chosen)) select.value = chosen;
}

export function showGrantError(title, lines) {
  show($('grant-error'), h('strong', {}, title), lines.length ? h('ul', {}, lines.map((l) => h('li', {}, l))) : null);
}
