// "Erase my data" (Mutation.eraseMyData): the section says what goes, what stays without the
// person's name, and that it cannot be undone; the button opens a second step where the person
// types ERASE. The answer is shown service by service in words. A step that failed is asked again
// with "Try again" (every step can be repeated: docs/consent-policy.md, "Data-subject rights").
import { $, announce, h, problem, show } from './dom.js';
import { describeError, graphql, GraphQLErrors } from './graphql.js';
import { erasureStepInWords, serviceInWords } from './words.js';

const ERASE = 'mutation EraseMyData { eraseMyData { requestedAt complete steps { service status counts } } }';
const CONFIRM_WORD = 'ERASE';

function openConfirmation(open) {
  $('erase-confirm').hidden = !open;
  $('erase-start').setAttribute('aria-expanded', String(open));
  $('erase-word').value = '';
  show($('erase-word-problem'));
  $('erase-word').removeAttribute('aria-invalid');
  if (open) $('erase-word').focus();
}

/** Services in the order people read them: the app's own first, then the banks. */
const order = (step) => (step.service === 'user-profile' ? 0 : step.service === 'messaging' ? 1 : 2);

function showReport(report, onDone, onFailure) {
  const steps = [...report.steps].sort((a, b) => order(a) - order(b) || serviceInWords(a.service).localeCompare(serviceInWords(b.service)));
  const failed = steps.filter((s) => s.status !== 'DONE');
  show(
    $('erase-result'),
    h(
      'div',
      { class: report.complete ? 'notice done' : 'problem', role: report.complete ? null : 'alert', tabindex: '-1', id: 'erase-report' },
      h('p', {}, h('strong', {}, report.complete ? 'Your data has been erased.' : 'Your data is only partly erased.')),
      report.complete
        ? h('p', {}, 'Everything listed under “Deleted” is gone, at the app and at every bank. What is left is kept without your name, as explained above.')
        : h('p', {}, `${failed.map((s) => serviceInWords(s.service)).join(', ')} could not be reached. Nothing is lost by trying again: what is done stays done.`),
      h('ul', {}, steps.map((step) => h('li', { 'data-service': step.service, 'data-status': step.status }, erasureStepInWords(step)))),
      report.complete ? null : h('div', {}, h('button', { type: 'button', class: 'danger', onclick: () => erase(onDone, onFailure) }, 'Try again')),
    ),
  );
  $('erase-report').focus();
  announce(report.complete ? 'Your data has been erased.' : 'Your data is only partly erased: some services could not be reached. You can try again.');
}

async function erase(onDone, onFailure) {
  show($('erase-result'), h('p', {}, 'Erasing your data at the app and at every bank…'));
  let response;
  try {
    response = await graphql(ERASE);
  } catch (error) {
    show($('erase-result'));
    if (error instanceof GraphQLErrors) {
      show($('erase-result'), problem('Nothing was erased.', error.lines));
      return announce('Nothing was erased.');
    }
    return onFailure(error);
  }
  const report = response.data.eraseMyData;
  if (!report) {
    show($('erase-result'), problem('Nothing was erased.', response.errors.map(describeError)));
    return announce('Nothing was erased.');
  }
  showReport(report, onDone, onFailure);
  await onDone(report);
}

/** `onDone(report)` runs after an erasure (the page reloads what is left); `onFailure` for a lost sign-in. */
export function setUpErasure(onDone, onFailure) {
  $('erase-start').addEventListener('click', () => openConfirmation($('erase-confirm').hidden));
  $('erase-cancel').addEventListener('click', () => {
    openConfirmation(false);
    $('erase-start').focus();
    announce('Nothing was erased.');
  });
  $('erase-confirm').addEventListener('submit', async (event) => {
    event.preventDefault();
    if ($('erase-word').value.trim().toUpperCase() !== CONFIRM_WORD) {
      show($('erase-word-problem'), h('p', {}, `Type ${CONFIRM_WORD} to confirm. Nothing has been erased.`));
      $('erase-word').setAttribute('aria-invalid', 'true');
      return $('erase-word').focus();
    }
    const button = $('erase-confirm').querySelector('button[type="submit"]');
    button.disabled = true;
    try {
      openConfirmation(false);
      await erase(onDone, onFailure);
    } finally {
      button.disabled = false;
    }
  });
}

/** Forgets what the section showed (signing out). */
export function resetErasure() {
  openConfirmation(false);
  show($('erase-result'));
}
