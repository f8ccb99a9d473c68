// The privacy centre: signs the person in (session.js), loads everything in one query, and wires
// the actions (grant, one-click revoke and grant again, message settings, export, erasure) to the
// public GraphQL API of this gateway.
import { ACCESS_LOG_FIELDS, ACCESS_LOG_MAX, ACCESS_LOG_PAGE, renderAccessLog } from './access-log.js';
import { CONSENT_FIELDS, renderConsents, sameTerms, showCardProblem, showConsentProblem } from './consents.js';
import { $, announce, h, problem, quiet, show } from './dom.js';
import { resetErasure, setUpErasure, showErased } from './erase.js';
import { exportMyData } from './export.js';
import { describeError, graphql, GraphQLErrors, SignInNeeded, unanswered } from './graphql.js';
import { fillGrantForm, resetGrantForm, setBanks, setUpGrantForm, showGrantOutcome, showGrantRefusal } from './grant.js';
import { OPT_IN_FIELDS, renderMessaging } from './messages.js';
import { grantOutcome, optInOutcome, revokeOutcome } from './outcome.js';
import { adoptFragmentToken, currentToken, forgetToken, readToken, saveToken, signInMode, tokenIn } from './session.js';
import { noAnswerInWords, serverProblemInWords, setBankNames } from './words.js';

const OVERVIEW = `query PrivacyCentre($logSize: Int!) {
  me {
    id
    displayName
    consents { ${CONSENT_FIELDS} }
    accessLog(first: $logSize) { ${ACCESS_LOG_FIELDS} }
    messagingOptIns { ${OPT_IN_FIELDS} }
  }
  banks { id name }
}`;
const GRANT = `mutation GrantConsent($input: GrantConsentInput!) { grantConsent(input: $input) { id bank { name } } }`;
const REVOKE = `mutation RevokeConsent($id: ID!) { revokeConsent(id: $id) { id status } }`;
const OPT_IN = `mutation OptIn($bankId: ID!) { optInToBankMessages(bankId: $bankId) { optedIn } }`;
const OPT_OUT = `mutation OptOut($bankId: ID!) { optOutOfBankMessages(bankId: $bankId) { optedIn } }`;

/** What the page remembers between reloads of the data: how much of the log, the last result in a consent, the last overview. */
const view = { logSize: ACCESS_LOG_PAGE, note: null, response: null };

/** The sign-in form (or, in production, how to sign in), with why the person is there if `lines` say. */
function showSignIn(lines = []) {
  $('signed-in').hidden = true;
  $('who').hidden = true;
  $('sign-in').hidden = false;
  const dev = signInMode() === 'dev-token';
  $('sign-in-dev').hidden = !dev;
  $('sign-in-platform').hidden = dev;
  $('token-error').textContent = '';
  show($('sign-in-problem'), lines.length ? h('div', { class: 'problem', role: 'alert' }, h('strong', {}, lines[0]), lines.slice(1).map((line) => h('p', {}, line))) : null);
}

/** A pasted text that cannot be signed in with: said next to the field, alone. */
function tokenProblem(text) {
  show($('sign-in-problem'));
  $('token-error').textContent = text;
}

/**
 * A failure no section can show by itself: a lost sign-in, or the gateway out of reach.
 * `notDone` says what the person asked for and did not happen ("Access for X was not revoked").
 */
function pageProblem(error, notDone) {
  if (error instanceof SignInNeeded) {
    forgetToken();
    // The gateway turns a request away before any service is asked: nothing was done.
    return showSignIn([error.message, notDone ? `${notDone}. Sign in again, then try again.` : 'Sign in again.']);
  }
  const lines = error instanceof GraphQLErrors ? error.lines : [error.message];
  show($('page-error'), problem(notDone ? `${notDone}.` : 'That did not work.', lines));
}

/** Only the sections about the person's profile need one; export and erasure work without. */
function showProfileSections(visible) {
  for (const section of document.querySelectorAll('.needs-profile')) section.hidden = !visible;
  $('sections-nav').hidden = !visible;
}

/** Reads everything again and shows it; the answer, or undefined when it failed (and the page says why). */
async function refresh() {
  let response;
  try {
    response = await graphql(OVERVIEW, { logSize: view.logSize });
  } catch (error) {
    pageProblem(error);
    return undefined;
  }
  view.response = response;
  const me = response.data.me;
  $('erased').hidden = true;
  $('sign-in').hidden = true;
  $('signed-in').hidden = false;
  $('who').hidden = false;
  const meErrors = response.errors.filter((e) => e.path?.length === 1 && e.path[0] === 'me');
  const sub = readToken(currentToken() ?? '')?.sub;
  $('who-text').textContent = me ? `Signed in as ${me.displayName} (${me.id})` : sub ? `Signed in as ${sub}` : 'Signed in';
  setBankNames(response.data.banks ?? []);
  if (!me && meErrors.length === 0) {
    // The API says there is no such profile (not that it failed): erased, or never created.
    showProfileSections(false);
    show(
      $('page-error'),
      h(
        'div',
        { class: 'notice', id: 'no-profile' },
        h('p', {}, h('strong', {}, `No profile was found for this sign-in${sub ? ` (${sub})` : ''}.`)),
        h('p', {}, 'So there are no consents, no record of who saw your data and no message settings to show here. If you erased your data, this is why: nothing is kept under your name any more.'),
        h('p', {}, 'If you did not, sign out and open the privacy centre from the app again; if it stays like this, contact the app’s support.'),
      ),
    );
    return response;
  }
  showProfileSections(true);
  show($('page-error'), me ? null : problem('Your profile cannot be shown right now.', meErrors.map(describeError)));
  setBanks(response.data.banks ?? []);
  renderConsents(response, consentActions, view.note);
  if (view.note) view.note = { ...view.note, focus: false };
  renderAccessLog(response, view.logSize, showMoreLog);
  renderMessaging(response, changeMessaging);
  return response;
}

/**
 * Runs a mutation: its data, or it throws (GraphQLErrors, NoAnswer, SignInNeeded). A new action
 * starts: what the page said about the previous one no longer applies.
 */
async function mutate(query, variables) {
  show($('page-error'));
  show($('messages-result'));
  quiet();
  const { data, errors } = await graphql(query, variables);
  if (errors.length) throw new GraphQLErrors(errors);
  return data;
}

// ---- A change that got no answer ------------------------------------------------------------
// The service may have made it all the same (it can finish after the gateway stopped waiting), so
// the page never says "not saved" then: it reads everything again (outcome.js) and says what the
// bank or the chat service holds now, or, while it still does not answer, that this is not known
// yet, with "Check again".

const shownConsentIds = () => new Set((view.response?.data?.me?.consents ?? []).map((c) => c.id));

/** Signed out while reading the data again (the sign-in ended): the sign-in box also says what is not known. */
function unknownAfterSignOut(late, what) {
  $('sign-in-problem').firstChild?.append(h('p', {}, `${late} Sign in again to see whether ${what}.`));
}

function checkAgainButton(check) {
  return h('button', { type: 'button', class: 'secondary', onclick: (event) => ((event.currentTarget.disabled = true), check()) }, 'Check again');
}

/** At the top of the page: what is not known yet, and "Check again". */
function showUnsure(title, text, check) {
  show($('page-error'), h('div', { class: 'problem', role: 'alert', tabindex: '-1', id: 'unsure' }, h('strong', {}, title), h('p', {}, text), h('div', {}, checkAgainButton(check))));
  $('unsure').focus();
}

/** Shows a consent's result note (view.note) at once, in the list as it was just read. */
function showNote(response, note) {
  view.note = note;
  renderConsents(response, consentActions, note);
  view.note = { ...note, focus: false };
}

/**
 * A grant (`input`) that got no answer (`lost`): from the form, or `again` with an ended
 * consent's terms. `known`/`sentAt`: the consents shown before, and when it was sent. True when
 * the consent is there after all.
 */
async function settleGrant(attempt) {
  const { input, bankName, again } = attempt;
  const late = noAnswerInWords(attempt.lost, bankName);
  const response = await refresh();
  if (!currentToken()) {
    unknownAfterSignOut(late, `${bankName} saved your consent`);
    return false;
  }
  const outcome = grantOutcome(response, input, attempt.known, attempt.sentAt);
  if (outcome.state === 'saved') {
    showNote(response, {
      id: outcome.consent.id,
      kind: 'granted',
      title: again ? `Given again: ${bankName} may show the same data as before, for the same purposes.` : 'Given just now.',
      text: `${late} ${bankName} saved your consent all the same: this is it, with its own receipt.`,
      focus: true,
    });
    announce(`Done: ${bankName} did not answer at once, but your consent was saved. ${bankName} may now show what you chose, for the purposes you chose.`);
    return true;
  }
  if (outcome.state === 'absent') {
    const lines = again
      ? [`Your consents show what ${bankName} holds now: no new consent with these terms. You can press “Grant again with the same terms” again.`]
      : [`Your consents above show what ${bankName} holds now: this access is not among them. You can press “Give access” again.`];
    if (!again) showGrantOutcome(late, lines);
    else if (!showConsentProblem(again.id, late, lines)) show($('page-error'), problem(late, lines));
    return false;
  }
  const text = `So it is not known yet whether ${bankName} saved your consent: your consents at ${bankName} cannot be read right now. Check again in a moment, before you give access again.`;
  const check = async () => {
    if ((await settleGrant(attempt)) && !again) resetGrantForm();
  };
  if (again) showUnsure(late, text, check);
  else showGrantOutcome(late, [text], h('div', {}, checkAgainButton(check)));
  return false;
}

const revokedNote = (consent, bankName, late) => ({
  id: consent.id,
  kind: 'revoked',
  title: consent.status === 'EXPIRED' ? `This consent has ended. ${bankName} can no longer show any of this data.` : `Access revoked. ${bankName} can no longer show any of this data, from now on.`,
  text: `${late ? `${late} ${bankName} revoked your consent all the same. ` : ''}Changed your mind? A revoked consent cannot be switched back on, but you can give a new one with the same terms.`,
  focus: true,
});

/** A revoke that got no answer (`lost`). */
async function settleRevoke(consent, bankName, lost) {
  const late = noAnswerInWords(lost, bankName);
  const response = await refresh();
  if (!currentToken()) return unknownAfterSignOut(late, 'your consent was revoked');
  const outcome = revokeOutcome(response, consent.id, consent.bank?.id);
  if (outcome.state === 'revoked') {
    showNote(response, revokedNote(outcome.consent, bankName, late));
    return announce(`Revoked: ${bankName} can no longer show the data of this consent, from now on.`);
  }
  if (outcome.state === 'active') {
    const lines = [`Your consents show what ${bankName} holds now: this one is still active. Press “Revoke access for ${bankName}” again.`];
    if (!showConsentProblem(consent.id, `Still active. ${late}`, lines)) show($('page-error'), problem(`Still active. ${late}`, lines));
    return;
  }
  if (outcome.state === 'gone') return show($('page-error'), problem(late, [`${bankName} no longer lists this consent: it can no longer show any of its data.`]));
  showUnsure(late, `So it is not known yet whether your consent was revoked: your consents at ${bankName} cannot be read right now. Check again in a moment.`, () => settleRevoke(consent, bankName, lost));
}

/** An opt-in (`on`) or opt-out of messages from `bank` that got no answer (`lost`). */
async function settleMessaging(bank, on, lost) {
  const late = noAnswerInWords(lost, 'The chat service');
  const response = await refresh();
  if (!currentToken()) return unknownAfterSignOut(late, `your setting for ${bank.name} was saved`);
  const outcome = optInOutcome(response, bank.id, on);
  const state = (allowed) => (allowed ? `${bank.name} may start chats with you` : `${bank.name} may not start chats with you`);
  if (outcome.state === 'changed') return announce(`${late} Your setting was saved all the same: ${state(on)}.`);
  if (outcome.state === 'unchanged') {
    return show($('messages-result'), problem(late, [`The switch below shows what it holds now: ${state(outcome.on)}, as before. Try again in a moment.`]));
  }
  show(
    $('messages-result'),
    h('div', { class: 'problem', role: 'alert' }, h('strong', {}, late), h('p', {}, `So it is not known yet whether your setting for ${bank.name} was saved: your message settings cannot be read right now. Check again in a moment.`), h('div', {}, checkAgainButton(() => settleMessaging(bank, on, lost)))),
  );
}

// ---- Actions --------------------------------------------------------------------------------

/**
 * Sends a grant (`again`: the ended consent it repeats, or null). `{ data }` when it was answered;
 * `{ settled }` when no answer came and settleGrant said what the bank holds now; a refusal throws.
 */
async function sendGrant(input, bankName, again) {
  const known = shownConsentIds();
  const sentAt = Date.now();
  try {
    return { data: await mutate(GRANT, { input }) };
  } catch (error) {
    const lost = unanswered(error);
    if (lost.length) return { settled: await settleGrant({ input, bankName, known, sentAt, lost, again }) };
    throw error;
  }
}

async function grant(input) {
  const bankName = $('grant-bank').selectedOptions[0]?.textContent ?? 'The bank';
  let sent;
  try {
    sent = await sendGrant(input, bankName, null);
  } catch (error) {
    if (!(error instanceof GraphQLErrors)) return void pageProblem(error, `${bankName} was not given access`);
    const problems = error.problems;
    showGrantRefusal(bankName, problems, problems.length ? [] : error.lines);
    return false;
  }
  if ('settled' in sent) return sent.settled;
  view.note = { id: sent.data.grantConsent.id, kind: 'granted', title: 'Given just now.', focus: false };
  announce(`Done: ${bankName} may now show what you chose, for the purposes you chose.`);
  await refresh();
  return true;
}

const consentActions = {
  /** One click: revoked at once, the result shown in the consent, with the remedy next to it. */
  async revoke(consent, bankName, button) {
    button.disabled = true;
    button.textContent = 'Revoking…';
    try {
      await mutate(REVOKE, { id: consent.id });
    } catch (error) {
      const lost = unanswered(error);
      if (lost.length) return settleRevoke(consent, bankName, lost);
      button.disabled = false;
      button.textContent = `Revoke access for ${bankName}`;
      if (error instanceof GraphQLErrors) return showCardProblem(button, 'Not revoked.', error.lines);
      return pageProblem(error, `Access for ${bankName} was not revoked`);
    }
    view.note = revokedNote(consent, bankName);
    announce(`Revoked: ${bankName} can no longer show the data of this consent, from now on.`);
    await refresh();
  },

  /** A new consent with the terms of an ended one (its end date is still ahead, or it had none). */
  async grantAgain(consent, bankName, button) {
    button.disabled = true;
    let sent;
    try {
      sent = await sendGrant(sameTerms(consent), bankName, consent);
    } catch (error) {
      button.disabled = false;
      if (error instanceof GraphQLErrors) {
        return showCardProblem(button, 'Not given again.', error.problems.length ? error.problems.map((p) => serverProblemInWords(p).text) : error.lines);
      }
      return pageProblem(error, `${bankName} was not given access again`);
    }
    if ('settled' in sent) return;
    view.note = { id: sent.data.grantConsent.id, kind: 'granted', title: `Given again: ${bankName} may show the same data as before, for the same purposes.`, text: 'This is a new consent, with its own receipt.', focus: true };
    announce(`Done: ${bankName} may again show the same data, for the same purposes.`);
    await refresh();
  },

  fillForm(consent) {
    fillGrantForm(consent);
    announce('The form has the same terms. Choose a new “Valid until” day if you want one, then press Give access.');
  },
};

async function showMoreLog() {
  view.logSize = Math.min(view.logSize + ACCESS_LOG_PAGE, ACCESS_LOG_MAX);
  if (!(await refresh())) return;
  ($('log-more') ?? $('access-log').querySelector('table'))?.focus();
  announce('More of who saw your data is shown.');
}

async function changeMessaging(bank, input) {
  const on = input.checked;
  // Busy rather than disabled: a disabled control loses the keyboard focus.
  if (input.getAttribute('aria-busy') === 'true') return void (input.checked = !on);
  input.setAttribute('aria-busy', 'true');
  show($('messages-result'));
  try {
    await mutate(on ? OPT_IN : OPT_OUT, { bankId: bank.id });
  } catch (error) {
    const lost = unanswered(error);
    if (lost.length) return settleMessaging(bank, on, lost);
    if (!(error instanceof GraphQLErrors)) return pageProblem(error, `Your message setting for ${bank.name} was not changed`);
    show($('messages-result'), problem(`Your setting for ${bank.name} was not changed.`, error.lines));
    return void (await refresh());
  }
  announce(on ? `${bank.name} may now start chats with you.` : `${bank.name} can no longer start chats with you.`);
  await refresh();
}

function signInWithPastedToken(event) {
  event.preventDefault();
  const token = tokenIn($('token').value);
  const claims = token ? readToken(token) : undefined;
  if (!claims) return tokenProblem('That is not a token: paste the whole line that `npm run token` printed (three parts separated by dots).');
  if (typeof claims.exp === 'number' && claims.exp * 1000 <= Date.now()) return tokenProblem('That token has expired: make a new one with `npm run token`.');
  saveToken(token);
  $('token').value = '';
  $('token-error').textContent = '';
  quiet();
  refresh();
}

/** Forgets the sign-in and everything the page showed under it. */
function forgetEverything() {
  forgetToken();
  for (const id of ['consents', 'access-log', 'messages', 'messages-result', 'export-result', 'page-error', 'erased']) show($(id));
  $('erased').hidden = true;
  resetErasure();
  resetGrantForm();
  Object.assign(view, { logSize: ACCESS_LOG_PAGE, note: null, response: null });
}

function signOut() {
  forgetEverything();
  showSignIn();
  announce('Signed out.');
}

/**
 * After a complete erasure nothing is held under the person's name: the page forgets the sign-in
 * at once and asks nothing more (a request now would leave a new record naming them), and says
 * what was done, signed out.
 */
function erased(report) {
  forgetEverything();
  quiet();
  $('signed-in').hidden = true;
  $('who').hidden = true;
  $('sign-in').hidden = true;
  showErased(report);
}

adoptFragmentToken();
setUpGrantForm(grant);
setUpErasure({
  onErased: erased,
  onPartial: () => {
    view.note = null;
    return refresh();
  },
  onFailure: pageProblem,
});
$('token-form').addEventListener('submit', signInWithPastedToken);
$('sign-out').addEventListener('click', signOut);
$('export').addEventListener('click', () => exportMyData(pageProblem));
$('log-refresh').addEventListener('click', async () => {
  if (await refresh()) announce('The list of who saw your data is up to date.');
});
if (currentToken()) refresh();
else showSignIn();
