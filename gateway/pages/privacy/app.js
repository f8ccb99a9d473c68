// The privacy centre: signs the person in (session.js), loads everything in one query, and wires
// the actions (grant, revoke, message settings) to the public GraphQL API of this gateway.
import { ACCESS_LOG_FIELDS, renderAccessLog } from './access-log.js';
import { CONSENT_FIELDS, confirmRevoke, renderConsents } from './consents.js';
import { $, announce, problem, show } from './dom.js';
import { exportMyData } from './export.js';
import { describeError, graphql, GraphQLErrors, SignInNeeded } from './graphql.js';
import { setBanks, setUpGrantForm, showGrantError } from './grant.js';
import { OPT_IN_FIELDS, renderMessaging } from './messages.js';
import { adoptFragmentToken, currentToken, forgetToken, readToken, saveToken, signInMode, tokenIn } from './session.js';

const OVERVIEW = `query PrivacyCentre {
  me {
    id
    displayName
    consents { ${CONSENT_FIELDS} }
    accessLog(first: 50) { ${ACCESS_LOG_FIELDS} }
    messagingOptIns { ${OPT_IN_FIELDS} }
  }
  banks { id name }
}`;
const GRANT = `mutation GrantConsent($input: GrantConsentInput!) { grantConsent(input: $input) { id bank { name } } }`;
const REVOKE = `mutation RevokeConsent($id: ID!) { revokeConsent(id: $id) { id status } }`;
const OPT_IN = `mutation OptIn($bankId: ID!) { optInToBankMessages(bankId: $bankId) { optedIn } }`;
const OPT_OUT = `mutation OptOut($bankId: ID!) { optOutOfBankMessages(bankId: $bankId) { optedIn } }`;

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
  announce(`That did not work: ${lines.join(' ')}`);
}

async function refresh() {
  let response;
  try {
    response = await graphql(OVERVIEW);
  } catch (error) {
    return pageProblem(error);
  }
  const me = response.data.me;
  $('sign-in').hidden = true;
  $('signed-in').hidden = false;
  $('who').hidden = false;
  $('who-text').textContent = me ? `Signed in as ${me.displayName} (${me.id})` : 'Signed in';
  const meErrors = response.errors.filter((e) => e.path?.length === 1 && e.path[0] === 'me');
  show($('page-error'), me ? null : problem('Your profile cannot be shown right now.', meErrors.map(describeError)));
  setBanks(response.data.banks ?? []);
  renderConsents(response, revoke);
  renderAccessLog(response);
  renderMessaging(response, changeMessaging);
}

/** Runs a mutation; true when it went through. Failures are shown where the page says. */
async function mutate(query, variables, onFailure = pageProblem) {
  show($('page-error'));
  try {
    const { errors } = await graphql(query, variables);
    if (errors.length) throw new GraphQLErrors(errors);
    return true;
  } catch (error) {
    onFailure(error);
    return false;
  }
}

async function grant(input) {
  const bankName = $('grant-bank').selectedOptions[0]?.textContent ?? input.bankId;
  const granted = await mutate(GRANT, { input }, (error) => {
    if (!(error instanceof GraphQLErrors)) return pageProblem(error);
    showGrantError(`${bankName || 'The bank'} was not given access:`, error.lines);
    announce(`Not saved: ${error.lines.join(' ')}`);
  });
  if (!granted) return false;
  announce(`Done: ${bankName} may now show what you chose, for the purposes you chose.`);
  await refresh();
  return true;
}

async function revoke(consent, bankName) {
  if (!(await confirmRevoke(bankName))) return announce('Nothing changed.');
  if (await mutate(REVOKE, { id: consent.id })) announce(`Revoked: ${bankName} can no longer show the data of this consent, from now on.`);
  await refresh();
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
  showSignIn();
  announce('Signed out.');
}

adoptFragmentToken();
setUpGrantForm(grant);
$('token-form').addEventListener('submit', signInWithPastedToken);
$('sign-out').addEventListener('click', signOut);
$('export').addEventListener('click', () => exportMyData(pageProblem));
$('log-refresh').addEventListener('click', async () => {
  await refresh();
  announce('Access log refreshed.');
});
if (currentToken()) refresh();
else showSignIn();
