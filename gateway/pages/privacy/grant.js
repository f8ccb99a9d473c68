// "Give a bank access": the grant form. The page checks every rule itself before anything is
// sent, and lists every problem at once, in words, next to the part of the form it concerns (and
// all of them above the button). The gateway checks the rules again; when it still refuses, its
// reasons are put into the same words at the same places.
import { $, h, show } from './dom.js';
import { grantProblems, PERMISSIONS, PRECISE_LOCATION, PURPOSES, serverProblemInWords } from './words.js';

/** The parts of the form a problem can belong to: the element to mark and to focus. */
const FIELDS = {
  bank: { box: 'grant-bank-field', focus: () => $('grant-bank') },
  permissions: { box: 'grant-permissions', focus: () => $('grant-permissions').querySelector('input:not(:disabled)') },
  precise: { box: 'grant-precise', focus: () => $('grant-precise').querySelector('input') },
  purposes: { box: 'grant-purposes-group', focus: () => $('grant-purposes').querySelector('input') },
  expires: { box: 'grant-expires-field', focus: () => $('grant-expires') },
  window: { box: 'grant-window', focus: () => $('grant-from') },
};
const problemSlot = (field) => $(`grant-${field}-problem`);

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

/** A date input's value as the start or the end of that day in the person's time zone (ISO, UTC), or null. */
function dayBound(input, end) {
  if (!input.value) return null;
  const [y, m, d] = input.value.split('-').map(Number);
  const date = end ? new Date(y, m - 1, d, 23, 59, 59, 999) : new Date(y, m - 1, d, 0, 0, 0, 0);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/** A day in the person's time zone as a date input's value (yyyy-mm-dd). */
const dayValue = (iso) => {
  const d = new Date(iso);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
};

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

/** Shows `problems` ({ field, text }) next to their fields and, all together, above the button. */
function showProblems(problems, title) {
  for (const [field, { box }] of Object.entries(FIELDS)) {
    const mine = problems.filter((p) => p.field === field);
    show(problemSlot(field), mine.length ? h('ul', {}, mine.map((p) => h('li', {}, p.text))) : null);
    $(box).classList.toggle('invalid', mine.length > 0);
    const control = field === 'bank' ? $('grant-bank') : field === 'expires' ? $('grant-expires') : $(box);
    if (mine.length) control.setAttribute('aria-invalid', 'true');
    else control.removeAttribute('aria-invalid');
  }
  if (!problems.length) return show($('grant-problems'));
  show(
    $('grant-problems'),
    h('strong', {}, title),
    h(
      'ul',
      {},
      problems.map((p) =>
        h('li', {}, p.field ? h('a', { href: `#${FIELDS[p.field].box}`, onclick: (event) => (event.preventDefault(), FIELDS[p.field].focus()?.focus()) }, p.text) : p.text),
      ),
    ),
  );
}

let attempted = false;

function update(form) {
  const grant = readGrant(form);
  // Precise location is offered only on top of the coarse one.
  const coarse = grant.permissions.includes('MERCHANT_LOCATION_COARSE');
  const precise = $(`permission-${PRECISE_LOCATION.id.toLowerCase()}`);
  precise.disabled = !coarse;
  if (!coarse) precise.checked = false;
  // Until the person tries to send the form, only choices that do not go together are pointed
  // out, not what is still to be chosen.
  const problems = grantProblems(readGrant(form)).filter((p) => attempted || !p.missing);
  showProblems(problems, problems.length === 1 ? 'One thing to fix before the bank can be given access:' : `${problems.length} things to fix before the bank can be given access:`);
  return problems;
}

/** The gateway refused the grant: its reasons in the page's words, at their fields. */
export function showGrantRefusal(bankName, serverProblems, otherLines = []) {
  const problems = [...serverProblems.map(serverProblemInWords), ...otherLines.map((l) => ({ field: null, text: l.text ?? l }))];
  showProblems(problems, `${bankName || 'The bank'} was not given access:`);
  $('grant-problems').focus();
  return problems;
}

/**
 * What became of a grant that got no answer (app.js): not a problem with the choices, so no field
 * is marked; said above the button, where the person is, with `action` (a button) if any.
 */
export function showGrantOutcome(title, lines, action = null) {
  showProblems([], '');
  show($('grant-problems'), h('strong', {}, title), lines.map((line) => h('p', {}, line)), action);
  $('grant-problems').focus();
}

/** Builds the form once; `onSubmit(grant)` does the request and resolves true when it went through. */
export function setUpGrantForm(onSubmit) {
  const form = $('grant');
  show($('grant-permission-list'), PERMISSIONS.map((p) => choice('permission', p)));
  show($('grant-precise-list'), choice('permission', PRECISE_LOCATION, { disabled: true }));
  show($('grant-purposes'), PURPOSES.map((p) => choice('purpose', p)));
  form.addEventListener('change', () => update(form));
  form.addEventListener('input', () => update(form));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    attempted = true;
    if (update(form).length) return $('grant-problems').focus();
    const button = form.querySelector('button[type="submit"]');
    button.disabled = true;
    try {
      if (await onSubmit(readGrant(form))) resetGrantForm();
    } finally {
      button.disabled = false;
    }
  });
  update(form);
}

export function resetGrantForm() {
  const form = $('grant');
  form.reset();
  attempted = false;
  update(form);
}

/** Fills the form with a consent's terms (not its end date, which has passed) and takes the person there. */
export function fillGrantForm(consent) {
  const form = $('grant');
  form.reset();
  attempted = false;
  $('grant-bank').value = consent.bank?.id ?? '';
  for (const input of form.querySelectorAll('input[name="permission"]')) input.checked = consent.permissions.includes(input.value);
  for (const input of form.querySelectorAll('input[name="purpose"]')) input.checked = consent.purposes.includes(input.value);
  $('grant-from').value = consent.transactionsFrom ? dayValue(consent.transactionsFrom) : '';
  $('grant-to').value = consent.transactionsTo ? dayValue(consent.transactionsTo) : '';
  update(form);
  $('grant-title').scrollIntoView({ block: 'start' });
  $('grant-bank').focus();
}

export function setBanks(banks) {
  const select = $('grant-bank');
  const chosen = select.value;
  // The empty choice is a prompt, not a bank: the page never sends it (see grantProblems).
  show(select, h('option', { value: '' }, 'Choose a bank…'), banks.map((b) => h('option', { value: b.id }, b.name)));
  if (banks.some((b) => b.id === chosen)) select.value = chosen;
}
