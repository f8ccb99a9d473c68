// Everything the page says, in plain words: the consent policy (docs/consent-policy.md states it
// in full) as people choose it (each permission, each purpose), the access log's fields, why
// something was refused, the grant rules checked before anything is sent, the gateway's refusals
// mapped onto those same sentences, and the outcome of an erasure. No text made here shows a
// code (CONSENT_REQUIRED, BAD_USER_INPUT...) or a server message as it is: codes go in tooltips.

/** Permissions as a person chooses them, in the order they build on each other. */
export const PERMISSIONS = [
  { id: 'ACCOUNTS_BASIC', title: 'Your accounts', says: 'Which accounts you have at this bank: currency and the last digits of the number.' },
  { id: 'ACCOUNTS_DETAIL', title: 'Full account numbers', says: 'Your complete account numbers (such as the IBAN). Includes your accounts.' },
  { id: 'BALANCES', title: 'Balances', says: 'How much money is in each account right now.' },
  { id: 'TRANSACTIONS_BASIC', title: 'Card transactions', says: 'The amount and date of each card transaction.' },
  { id: 'TRANSACTIONS_DETAIL', title: 'Where you paid', says: 'The shop’s name and kind and the payment’s description. Includes card transactions.' },
  { id: 'TRANSACTIONS_DEBITS', title: 'Money going out', says: 'Transactions include payments you made.' },
  { id: 'TRANSACTIONS_CREDITS', title: 'Money coming in', says: 'Transactions include money you received.' },
  { id: 'MERCHANT_LOCATION_COARSE', title: 'City and country of shops', says: 'The city and country of the shops where you paid.' },
];

/** Never part of a bundle: offered on its own, clearly marked. */
export const PRECISE_LOCATION = {
  id: 'MERCHANT_LOCATION_PRECISE',
  title: 'Exact shop locations',
  says: 'The map position (coordinates) of each shop where you paid: enough to trace where you go.',
};

const ALL_PERMISSIONS = [...PERMISSIONS, PRECISE_LOCATION];
export const permissionInWords = (id) => ALL_PERMISSIONS.find((p) => p.id === id) ?? { id, title: 'Other data', says: 'A kind of data this page does not describe yet.' };

export const PURPOSES = [
  { id: 'CUSTOMER_SERVICE', title: 'Customer service', says: 'Helping you when you ask the bank something in a chat; the bank’s agents may look too.' },
  { id: 'ACCOUNT_OVERVIEW', title: 'Account overview', says: 'Showing your accounts and balances in the app.' },
  { id: 'SPENDING_INSIGHTS', title: 'Spending insights', says: 'Summaries of where your money goes, for you.' },
  { id: 'FRAUD_PREVENTION', title: 'Fraud prevention', says: 'Spotting payments you did not make.' },
];

export const purposeInWords = (id) => (id ? (PURPOSES.find((p) => p.id === id)?.title ?? 'Another purpose') : 'No purpose given');

export const STATUS_WORDS = {
  ACTIVE: 'Active',
  EXPIRED: 'Expired',
  REVOKED: 'Revoked',
};

/** The access log names schema coordinates; people read what was seen. */
const FIELD_WORDS = {
  'User.accounts': 'your list of accounts',
  'BankAccount.id': 'your list of accounts',
  'BankAccount.bank': 'your list of accounts',
  'BankAccount.currency': 'your list of accounts',
  'BankAccount.maskedNumber': 'your list of accounts',
  'BankAccount.accountNumber': 'full account numbers',
  'BankAccount.balance': 'balances',
  'BankAccount.transactions': 'card transactions',
  'CardTransaction.id': 'card transactions',
  'CardTransaction.amount': 'card transactions',
  'CardTransaction.postedAt': 'card transactions',
  'CardTransaction.direction': 'card transactions',
  'CardTransaction.description': 'payment descriptions',
  'CardTransaction.merchant': 'where you paid',
  'Merchant.name': 'where you paid',
  'Merchant.category': 'where you paid',
  'Merchant.location': 'city and country of shops',
  'MerchantLocation.city': 'city and country of shops',
  'MerchantLocation.country': 'city and country of shops',
  'MerchantLocation.latitude': 'exact shop locations',
  'MerchantLocation.longitude': 'exact shop locations',
};

/** Distinct phrases for a list of field coordinates. */
export const fieldsInWords = (fields) => [...new Set(fields.map((f) => FIELD_WORDS[f] ?? 'other bank data'))];

export function viewerInWords(entry, me) {
  switch (entry.viewerKind) {
    case 'USER':
      return entry.viewerId === me ? 'You' : `User ${entry.viewerId ?? ''}`.trim();
    case 'BANK_AGENT':
      return `An agent of ${entry.bank?.name ?? 'the bank'}${entry.viewerId ? ` (${entry.viewerId})` : ''}`;
    case 'SECURITY_REVIEWER':
      return 'A security reviewer';
    default:
      return 'Someone who was not signed in';
  }
}


/** Why something was refused, for people. The code stays out of the text (it goes in a tooltip). */
const REASONS = {
  NOT_AUTHENTICATED: 'You are not signed in.',
  NOT_OWNER: 'This belongs to someone else.',
  CONSENT_REQUIRED: 'You have not given any bank access to this.',
  CONSENT_EXPIRED: 'The consent that allowed this has ended.',
  PURPOSE_NOT_ALLOWED: 'You have not allowed this for the reason it was asked for.',
  THIRD_PARTY_CLIENT: 'Apps of other companies never see this. Open this page from the platform’s own app.',
  OUT_OF_WINDOW: 'This is outside the dates your consent covers.',
  OPT_IN_REQUIRED: 'You have not allowed messages from this bank.',
};

export const reasonInWords = (reason) => REASONS[reason] ?? 'You have not allowed this.';

/** Bank names by id, for the services an export or an erasure names (`bank:<id>`). */
const bankNames = new Map();
export function setBankNames(banks) {
  for (const bank of banks) bankNames.set(bank.id, bank.name);
}
export const bankName = (id) => bankNames.get(id) ?? `the bank “${id}”`;

/** A service of the graph as people know it: "user-profile" → "Your profile". */
export function serviceInWords(service) {
  if (service === 'user-profile') return 'Profile';
  if (service === 'messaging') return 'Chats';
  if (typeof service === 'string' && service.startsWith('bank:')) return bankName(service.slice(5));
  return 'One of our services';
}

/**
 * A store or service of the graph as the subject of a sentence: `user-profile`, `messaging`, a
 * bank's id, or `bank:<id>` (the export's names for its stores); `fallback` for anyone else.
 */
export function storeInWords(name, fallback = 'One of our services') {
  if (name === 'messaging') return 'The chat service';
  if (name === 'user-profile') return 'The profile service';
  if (typeof name === 'string' && name.startsWith('bank:')) return bankName(name.slice(5));
  return fallback;
}

/** Who a gateway error names (`extensions.bank`, `extensions.service`), as people know it; `fallback` for anyone else. */
function whoInWords(extensions, fallback = 'One of our services') {
  const { bank, service, serviceName } = extensions ?? {};
  return bank ? bankName(bank) : storeInWords(service ?? serviceName, fallback);
}

/**
 * Why a change got no result (graphql.js `unanswered`), as a sentence: who did not answer, and
 * how. `fallback` names who was asked when the error does not ("Northwind Bank").
 */
export function noAnswerInWords(errors, fallback) {
  const error = errors.find((e) => e.extensions?.code !== 'NO_ANSWER');
  if (!error) return 'No answer came back: the connection to the service may have failed.';
  const who = whoInWords(error.extensions, fallback);
  return error.extensions.code === 'SUBGRAPH_TIMEOUT' ? `${who} did not answer in time.` : `${who} could not be reached.`;
}

/**
 * One GraphQL error in plain words: `{ text, code }`. The text never holds a code or a server
 * message as it is; the code is kept for a tooltip, for support.
 */
export function errorInWords(error) {
  const { code, reason, problems } = error?.extensions ?? {};
  const support = [code, reason].filter(Boolean).join(' / ') || undefined;
  if (code === 'FORBIDDEN' && reason) return { text: reasonInWords(reason), code: support };
  if (code === 'FORBIDDEN') return { text: 'You are not allowed to see or change this.', code: support };
  if (code === 'SUBGRAPH_UNAVAILABLE' || code === 'SUBGRAPH_TIMEOUT') {
    return { text: `${whoInWords(error.extensions)} did not answer, so its part is missing. Try again in a moment.`, code: support };
  }
  if (code === 'BANK_NOT_REGISTERED') {
    const who = whoInWords(error.extensions);
    return { text: `${who.charAt(0).toUpperCase()}${who.slice(1)} is no longer connected to this service, so what it holds is not shown here. A consent you gave it still stands at that bank: ask the bank to end it.`, code: support };
  }
  if (code === 'BAD_USER_INPUT' && Array.isArray(problems)) return { text: problems.map((p) => serverProblemInWords(p).text).join(' '), code: support };
  if (code === 'NOT_FOUND') return { text: 'This was not found among yours: it may have changed in another window. Reload the page.', code: support };
  if (code === 'DATA_SUBJECT_REQUEST_IN_PROGRESS') return { text: 'An export or an erasure of your data is already under way (perhaps in another window). Wait until it has finished, then try again.', code: support };
  // The gateway says how long to wait (extensions.retryAfterSeconds): a second when too many of
  // the person's requests were running at once, longer when too many came in a short time.
  if (code === 'RATE_LIMITED' && String(error.extensions?.limit ?? '').startsWith('in-flight')) {
    return { text: 'Too many of your requests are running at once (perhaps in other windows). Try again in a moment.', code: support };
  }
  if (code === 'RATE_LIMITED') return { text: 'Too many requests in a short time. Wait a minute, then try again.', code: support };
  if (code === 'UNAUTHENTICATED') return { text: 'Your sign-in has ended. Sign in again.', code: support };
  return { text: 'Something went wrong on our side. Try again in a moment.', code: support };
}

// ---- Giving a bank access: the rules, checked in the page before anything is sent ------------

/**
 * Every problem of a grant, each with the part of the form it belongs to (`bank`, `permissions`,
 * `precise`, `purposes`, `expires`, `window`) and a sentence for people. `missing` marks what is
 * simply not chosen yet (said only once the person tries to send the form).
 * The gateway checks the same rules again (docs/consent-policy.md); this only spares a refusal.
 */
export function grantProblems({ bankId, permissions, purposes, expiresAt, transactionsFrom, transactionsTo }, now = new Date()) {
  const has = (p) => permissions.includes(p);
  const problems = [];
  const add = (field, text, missing = false) => problems.push({ field, text, missing });
  if (!bankId) add('bank', 'Choose a bank.', true);
  if (permissions.length === 0) add('permissions', 'Choose what the bank may show: at least “Your accounts”.', true);
  else if (!has('ACCOUNTS_BASIC') && !has('ACCOUNTS_DETAIL')) add('permissions', 'Also choose “Your accounts” (or “Full account numbers”): every consent starts with your accounts.');
  const transactions = has('TRANSACTIONS_BASIC') || has('TRANSACTIONS_DETAIL');
  const directions = has('TRANSACTIONS_CREDITS') || has('TRANSACTIONS_DEBITS');
  if (transactions && !directions) add('permissions', 'Card transactions need “Money going out”, “Money coming in” or both.');
  if (directions && !transactions) add('permissions', '“Money going out” and “Money coming in” need “Card transactions” or “Where you paid”.');
  if (has('MERCHANT_LOCATION_COARSE') && !has('TRANSACTIONS_DETAIL')) add('permissions', '“City and country of shops” needs “Where you paid”.');
  if (has('MERCHANT_LOCATION_PRECISE') && !has('MERCHANT_LOCATION_COARSE')) add('precise', '“Exact shop locations” needs “City and country of shops”.');
  if (purposes.length === 0) add('purposes', 'Choose at least one purpose under “What for”.', true);
  if (expiresAt && Date.parse(expiresAt) <= now.getTime()) add('expires', '“Valid until” is in the past: choose today or a later day, or leave it empty.');
  if (transactionsFrom && transactionsTo && Date.parse(transactionsTo) < Date.parse(transactionsFrom)) add('window', 'The transaction dates end before they start: “To” must be the same day as “From” or later.');
  return problems;
}

/** What the gateway says when it refuses a grant (extensions.problems), in the page's words. */
const SERVER_PROBLEMS = [
  [/^unknown bank/, 'bank', 'This bank is not available. Choose one from the list.'],
  [/^permissions must not be empty/, 'permissions', 'Choose what the bank may show: at least “Your accounts”.'],
  [/^unknown permission/, 'permissions', 'One of the choices under “What the bank may show” is not known any more. Reload the page and choose again.'],
  [/needs ACCOUNTS_BASIC or ACCOUNTS_DETAIL/, 'permissions', 'Also choose “Your accounts” (or “Full account numbers”): every consent starts with your accounts.'],
  [/^transaction permissions need/, 'permissions', 'Card transactions need “Money going out”, “Money coming in” or both.'],
  [/^TRANSACTIONS_CREDITS \/ TRANSACTIONS_DEBITS need/, 'permissions', '“Money going out” and “Money coming in” need “Card transactions” or “Where you paid”.'],
  [/^MERCHANT_LOCATION_COARSE needs/, 'permissions', '“City and country of shops” needs “Where you paid”.'],
  [/^MERCHANT_LOCATION_PRECISE needs/, 'precise', '“Exact shop locations” needs “City and country of shops”.'],
  [/^purposes must not be empty/, 'purposes', 'Choose at least one purpose under “What for”.'],
  [/^unknown purpose/, 'purposes', 'One of the purposes is not known any more. Reload the page and choose again.'],
  [/^expiresAt is in the past/, 'expires', '“Valid until” is in the past: choose today or a later day, or leave it empty.'],
  [/^expiresAt is not/, 'expires', '“Valid until” is not a date. Choose a day in the calendar.'],
  [/^transactionsFrom is not|^transactionsTo is not/, 'window', 'A transaction date is not a date. Choose days in the calendar.'],
  [/^transactionsTo is before/, 'window', 'The transaction dates end before they start: “To” must be the same day as “From” or later.'],
  [/exactly these terms/, 'bank', 'You already gave this bank exactly this access, and it is still active (see your consents above): nothing new was needed.'],
  [/the most one person may hold there at once/, 'bank', 'You have as many active consents at this bank as one person may hold. Revoke one you no longer use, then try again.'],
  [/the most one person may hold there \(/, 'bank', 'You have given this bank as many consents as one person may, old ones included. No more can be given here: ask the bank to remove old ones.'],
];

export function serverProblemInWords(problem) {
  const match = SERVER_PROBLEMS.find(([pattern]) => pattern.test(String(problem)));
  if (match) return { field: match[1], text: match[2] };
  return { field: null, text: 'The bank could not accept these choices. Check them and try again.' };
}

// ---- Revoking -------------------------------------------------------------------------------

/** The receipt's "how to revoke", for this page (the API's own text is for API users). */
export const howToRevokeHere = (bank) =>
  `Press “Revoke access for ${bank}” below: one click, and from that moment ${bank} can no longer show any of this data.`;

// ---- Erasure --------------------------------------------------------------------------------

const count = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** One step of an erasure report (ErasureStep) as a sentence. */
export function erasureStepInWords(step) {
  const who = serviceInWords(step.service);
  if (step.status !== 'DONE') return `${who}: not reached, so this part is not erased yet. Press “Try again” to finish it.`;
  const c = step.counts ?? {};
  const parts = [];
  if (step.service === 'user-profile') {
    parts.push(c.profilesDeleted ? 'your profile and contact details deleted' : 'no profile was held');
    if (c.directoryEntriesDeleted) parts.push('the list of your banks deleted');
  } else if (step.service === 'messaging') {
    parts.push(c.conversationsDeleted || c.messagesDeleted ? `${count(c.conversationsDeleted ?? 0, 'chat')} with ${count(c.messagesDeleted ?? 0, 'message')} deleted` : 'no chats were held');
    if (c.optInsDeleted) parts.push(`${count(c.optInsDeleted, 'message setting')} deleted`);
  } else {
    if (c.consentsRevoked) parts.push(`${count(c.consentsRevoked, 'consent')} ended`);
    if (c.consentsPseudonymized) parts.push(`the history of ${count(c.consentsPseudonymized, 'consent')} kept under a code instead of your user id`);
    if (c.accountsUnlinked || c.transactionsUnlinked) parts.push(`${count(c.accountsUnlinked ?? 0, 'account')} and ${count(c.transactionsUnlinked ?? 0, 'transaction')} stay with the bank, no longer linked to you`);
    if (!parts.length) parts.push('nothing about you was held');
  }
  if (c.decisionRecordsPseudonymized) parts.push(`${count(c.decisionRecordsPseudonymized, 'access record')} kept without your user id`);
  return `${who}: ${parts.join('; ')}.`;
}
