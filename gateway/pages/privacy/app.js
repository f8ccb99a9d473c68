// The privacy centre: signs the person in (session.js), loads everything in one query, and wires
// the actions (grant, one-click revoke and grant again, message settings, export, erasure) to the
// public GraphQL API of this gateway.
import { ACCESS_LOG_FIELDS, ACCESS_LOG_MAX, ACCESS_LOG_PAGE, renderAccessLog } from './access-log.js';
import { CONSENT_FIELDS, renderConsents, sameTerms, showCardProblem } from './consents.js';
import { $, announce, h, problem, show } from './dom.js';
import { resetErasure, setUpErasure } from './erase.js';
import { exportMyData } from './export.js';
import { describeError, graphql, GraphQLErrors, SignInNeeded } from './graphql.js';
import { fillGrantForm, resetGrantForm, setBanks, setUpGrantForm, showGrantRefusal } from './grant.js';
import { OPT_IN_FIELDS, renderMessaging } from './messages.js';
import { adoptFragmentToken, currentToken, forgetToken, readToken, saveToken, signInMode, tokenIn } from './session.js';
import { serverProblemInWords, setBankNames } from './words.js';

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

/** What the page remembers between reloads of the data: how much of the log, and the last result in a consent. */
const view = { logSize: ACCESS_LOG_PAGE, note: null };

function showSignIn(message = '') {
  $('signed-in').hidden = true;
  $('who').hidden = true;
  $('sign-in').hidden = false;
  const dev = signInMode() === 'dev-token';
  $('sign-in-dev').hidden = !dev;
  $('sign-in-platform').hidden = dev;
  $('token-error').textContent = dev ? message : '';
  if (message) announce(message);
}

/** A failure no section can show by itself: a lost sign-in, or the gateway out of reach. */
function pageProblem(error) {
  if (error instanceof SignInNeeded) {
    forgetToken();
    return showSignIn(error.message);
  }
  const lines = error instanceof GraphQLErrors ? error.lines : [error.message];
  show($('page-error'), problem('That did not work.', lines));
  announce(`That did not work: ${lines.map((l) => l.text ?? l).join(' ')}`);
}

/** Only the sections about the person's profile need one; export and erasure work without. */
function showProfileSections(visible) {
  for (const section of document.querySelectorAll('.needs-profile')) section.hidden = !visible;
  $('sections-nav').hidden = !visible;
}

async function refresh() {
  let response;
  try {
    response = await graphql(OVERVIEW, { logSize: view.logSize });
  } catch (error) {
    return pageProblem(error);
  }
  const me = response.data.me;
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
    return show(
      $('page-error'),
      h(
        'div',
        { class: 'notice', id: 'no-profile' },
        h('p', {}, h('strong', {}, `No profile was found for this sign-in${sub ? ` (${sub})` : ''}.`)),
        h('p', {}, 'So there are no consents, no record of who saw your data and no message settings to show here. If you erased your data, this is why: nothing is kept under your name any more.'),
        h('p', {}, 'If you did not, sign out and open the privacy centre from the app again; if it stays like this, contact the app’s support.'),
      ),
    );
  }
  showProfileSections(true);
  show($('page-error'), me ? null : problem('Your profile cannot be shown right now.', meErrors.map(describeError)));
  setBanks(response.data.banks ?? []);
  renderConsents(response, consentActions, view.note);
  if (view.note) view.note = { ...view.note, focus: false };
  renderAccessLog(response, view.logSize, showMoreLog);
  renderMessaging(response, changeMessaging);
}

/** Runs a mutation; its data when it went through. Failures are shown where the page says. */
async function mutate(query, variables, onFailure = pageProblem) {
  show($('page-error'));
  try {
    const { data, errors } = await graphql(query, variables);
    if (errors.length) throw new GraphQLErrors(errors);
    return data;
  } catch (error) {
    onFailure(error);
    return undefined;
  }
}

async function grant(input) {
  const bankName = $('grant-bank').selectedOptions[0]?.textContent ?? 'The bank';
  const data = await mutate(GRANT, { input }, (error) => {
    if (!(error instanceof GraphQLErrors)) return pageProblem(error);
    const problems = error.problems;
    const shown = showGrantRefusal(bankName, problems, problems.length ? [] : error.lines);
    announce(`Not saved. ${shown.map((p) => p.text).join(' ')}`);
  });
  if (!data) return false;
  view.note = { id: data.grantConsent.id, kind: 'granted', title: 'Given just now.', focus: false };
  announce(`Done: ${bankName} may now show what you chose, for the purposes you chose.`);
  await refresh();
  return true;
}

const consentActions = {
  /** One click: revoked at once, the result shown in the consent, with the remedy next to it. */
  async revoke(consent, bankName, button) {
    button.disabled = true;
    button.textContent = 'Revoking…';
    const data = await mutate(REVOKE, { id: consent.id }, (error) => {
      if (!(error instanceof GraphQLErrors)) return pageProblem(error);
      showCardProblem(button, 'Not revoked.', error.lines);
      announce(`Not revoked: ${error.lines.map((l) => l.text).join(' ')}`);
    });
    if (!data) {
      button.disabled = false;
      button.textContent = `Revoke access for ${bankName}`;
      return;
    }
    view.note = {
      id: consent.id,
      kind: 'revoked',
      title: `Access revoked. ${bankName} can no longer show any of this data, from now on.`,
      text: 'Changed your mind? A revoked consent cannot be switched back on, but you can give a new one with the same terms.',
      focus: true,
    };
    announce(`Revoked: ${bankName} can no longer show the data of this consent, from now on.`);
    await refresh();
  },

  /** A new consent with the terms of an ended one (its end date is still ahead, or it had none). */
  async grantAgain(consent, bankName, button) {
    button.disabled = true;
    const data = await mutate(GRANT, { input: sameTerms(consent) }, (error) => {
      if (!(error instanceof GraphQLErrors)) return pageProblem(error);
      showCardProblem(button, 'Not given again.', error.problems.length ? error.problems.map((p) => serverProblemInWords(p).text) : error.lines);
      announce('Not given again.');
    });
    if (!data) return void (button.disabled = false);
    view.note = { id: data.grantConsent.id, kind: 'granted', title: `Given again: ${bankName} may show the same data as before, for the same purposes.`, text: 'This is a new consent, with its own receipt.', focus: true };
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
  await refresh();
  ($('log-more') ?? $('access-log').querySelector('table'))?.focus();
  announce('More of who saw your data is shown.');
}

async function changeMessaging(bank, input) {
  const on = input.checked;
  // Busy rather than disabled: a disabled control loses the keyboard focus.
  if (input.getAttribute('aria-busy') === 'true') return void (input.checked = !on);
  input.setAttribute('aria-busy', 'true');
  const done = await mutate(on ? OPT_IN : OPT_OUT, { bankId: bank.id });
  if (done) announce(on ? `${bank.name} may now start chats with you.` : `${bank.name} can no longer start chats with you.`);
  await refresh();
}

function signInWithPastedToken(event) {
  event.preventDefault();
  const token = tokenIn($('token').value);
  const claims = token ? readToken(token) : undefined;
  if (!claims) return showSignIn('That is not a token: paste the whole line that `npm run token` printed (three parts separated by dots).');
  if (typeof claims.exp === 'number' && claims.exp * 1000 <= Date.now()) return showSignIn('That token has expired: make a new one with `npm run token`.');
  saveToken(token);
  $('token').value = '';
  $('token-error').textContent = '';
  refresh();
}

function signOut() {
  forgetToken();
  for (const id of ['consents', 'access-log', 'messages', 'export-result', 'page-error']) show($(id));
  resetErasure();
  resetGrantForm();
  Object.assign(view, { logSize: ACCESS_LOG_PAGE, note: null });
  showSignIn();
  announce('Signed out.');
}

adoptFragmentToken();
setUpGrantForm(grant);
setUpErasure(() => {
  view.note = null;
  return refresh();
}, pageProblem);
$('token-form').addEventListener('submit', signInWithPastedToken);
$('sign-out').addEventListener('click', signOut);
$('export').addEventListener('click', () => exportMyData(pageProblem));
$('log-refresh').addEventListener('click', async () => {
  await refresh();
  announce('The list of who saw your data is up to date.');
});
if (currentToken()) refresh();
else showSignIn();
