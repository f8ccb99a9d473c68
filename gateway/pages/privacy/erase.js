// "Erase my data" (Mutation.eraseMyData): the section says what goes, what stays without the
// person's name, and that it cannot be undone; the button opens a second step where the person
// types ERASE. The answer is shown service by service in words. A step that failed is asked again
// with "Try again" (every step can be repeated: docs/consent-policy.md, "Data-subject rights").
import { $, announce, h, problem, quiet, show } from './dom.js';
import { describeError, graphql, GraphQLErrors, NoAnswer, unanswered } from './graphql.js';
import { erasureStepInWords, noAnswerInWords, serviceInWords } from './words.js';

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
const sortedSteps = (report) => [...report.steps].sort((a, b) => order(a) - order(b) || serviceInWords(a.service).localeCompare(serviceInWords(b.service)));
const stepList = (steps) => h('ul', {}, steps.map((step) => h('li', { 'data-service': step.service, 'data-status': step.status }, erasureStepInWords(step))));

/** A partial erasure: the person is still signed in, to finish it with "Try again". */
function showPartial(report, handlers) {
  const steps = sortedSteps(report);
  const failed = steps.filter((s) => s.status !== 'DONE');
  show(
    $('erase-result'),
    h(
      'div',
      { class: 'problem', role: 'alert', tabindex: '-1', id: 'erase-report' },
      h('p', {}, h('strong', {}, 'Your data is only partly erased.')),
      h('p', {}, `${failed.map((s) => serviceInWords(s.service)).join(', ')} could not be reached. Nothing is lost by trying again: what is done stays done.`),
      stepList(steps),
      h('div', {}, h('button', { type: 'button', class: 'danger', onclick: () => erase(handlers) }, 'Try again')),
    ),
  );
  $('erase-report').focus();
}

/**
 * A complete erasure, shown in place of everything else (the person is signed out by then:
 * app.js): what was done where, and what is kept without the person's name.
 */
export function showErased(report) {
  show(
    $('erased'),
    h('h2', { id: 'erased-title', tabindex: '-1' }, 'Your data has been erased'),
    h('p', {}, 'Everything that was to be deleted is gone, at the app and at every bank:'),
    h('div', { id: 'erase-report' }, stepList(sortedSteps(report))),
    h('p', {}, 'What stays is kept without your name: the history of your consents and the records of who asked for your data carry a code instead of your user id, and your accounts stay with your bank.'),
    h('p', {}, h('strong', {}, 'You are signed out.'), ' Nothing is held under your name any more, so this page has nothing left to show you, and it has forgotten your sign-in. You can close it.'),
  );
  $('erased').hidden = false;
  $('erased-title').focus();
}

async function erase(handlers) {
  show($('erase-result'), h('p', {}, 'Erasing your data at the app and at every bank…'));
  let response;
  try {
    response = await graphql(ERASE);
  } catch (error) {
    show($('erase-result'));
    if (unanswered(error).length) {
      // The erasure may have run, in part or in full; every step can be asked again.
      return show($('erase-result'), problem('No answer came back, so it is not known how much of your data was erased.', [
        error instanceof NoAnswer ? error.message : noAnswerInWords(unanswered(error)),
        'Erase it again to be sure: what is already done stays done.',
      ]));
    }
    if (error instanceof GraphQLErrors) return show($('erase-result'), problem('Nothing was erased.', error.lines));
    return handlers.onFailure(error, 'Nothing was erased');
  }
  const report = response.data.eraseMyData;
  if (!report) return show($('erase-result'), problem('Nothing was erased.', response.errors.map(describeError)));
  if (report.complete) return handlers.onErased(report);
  showPartial(report, handlers);
  await handlers.onPartial(report);
}

/**
 * `onErased(report)`: a complete erasure (app.js forgets the sign-in, then calls showErased: no
 * request is sent under the erased person's name any more); `onPartial(report)`: the page reloads
 * what is left; `onFailure(error, notDone)`: a lost sign-in.
 */
export function setUpErasure(handlers) {
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
      quiet();
      await erase(handlers);
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
