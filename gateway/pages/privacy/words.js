// The consent policy in plain words (docs/consent-policy.md states it in full): what each
// permission lets a bank show, each purpose, each field of the access log, and the grant rules
// that the gateway enforces, repeated here as hints before the request is sent.

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
export const permissionInWords = (id) => ALL_PERMISSIONS.find((p) => p.id === id) ?? { id, title: id, says: '' };

export const PURPOSES = [
  { id: 'CUSTOMER_SERVICE', title: 'Customer service', says: 'Helping you when you ask the bank something in a chat; the bank’s agents may look too.' },
  { id: 'ACCOUNT_OVERVIEW', title: 'Account overview', says: 'Showing your accounts and balances in the app.' },
  { id: 'SPENDING_INSIGHTS', title: 'Spending insights', says: 'Summaries of where your money goes, for you.' },
  { id: 'FRAUD_PREVENTION', title: 'Fraud prevention', says: 'Spotting payments you did not make.' },
];

export const purposeInWords = (id) => PURPOSES.find((p) => p.id === id)?.title ?? id ?? 'no purpose given';

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

/** Distinct phrases for a list of field coordinates, unknown ones as they are. */
export const fieldsInWords = (fields) => [...new Set(fields.map((f) => FIELD_WORDS[f] ?? f))];

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

const REASONS = {
  NOT_AUTHENTICATED: 'You are not signed in.',
  NOT_OWNER: 'This belongs to someone else.',
  CONSENT_REQUIRED: 'No active consent covers this.',
  CONSENT_EXPIRED: 'The consent that covered this has expired.',
  PURPOSE_NOT_ALLOWED: 'Your consent does not allow this purpose.',
  THIRD_PARTY_CLIENT: 'Apps of other companies never see this; open this page from the platform’s own app.',
  OUT_OF_WINDOW: 'This is outside the consent’s dates.',
  OPT_IN_REQUIRED: 'You have not allowed messages from this bank.',
};

export const reasonInWords = (reason) => REASONS[reason] ?? 'Access was denied.';

/** The grant rules the gateway checks, as hints before sending (it stays the judge). */
export function grantHints({ bankId, permissions, purposes, expiresAt, transactionsFrom, transactionsTo }, now = new Date()) {
  const has = (p) => permissions.includes(p);
  const hints = [];
  if (!bankId) hints.push('Choose a bank.');
  if (!has('ACCOUNTS_BASIC') && !has('ACCOUNTS_DETAIL')) hints.push('Choose “Your accounts” (or “Full account numbers”): every consent starts with your accounts.');
  const transactions = has('TRANSACTIONS_BASIC') || has('TRANSACTIONS_DETAIL');
  const directions = has('TRANSACTIONS_CREDITS') || has('TRANSACTIONS_DEBITS');
  if (transactions && !directions) hints.push('Card transactions need “Money going out”, “Money coming in” or both.');
  if (directions && !transactions) hints.push('“Money going out” and “Money coming in” need “Card transactions” or “Where you paid”.');
  if (has('MERCHANT_LOCATION_COARSE') && !has('TRANSACTIONS_DETAIL')) hints.push('“City and country of shops” needs “Where you paid”.');
  if (has('MERCHANT_LOCATION_PRECISE') && !has('MERCHANT_LOCATION_COARSE')) hints.push('“Exact shop locations” needs “City and country of shops”.');
  if (purposes.length === 0) hints.push('Choose at least one purpose.');
  if (expiresAt && Date.parse(expiresAt) <= now.getTime()) hints.push('“Valid until” must be in the future.');
  if (transactionsFrom && transactionsTo && Date.parse(transactionsTo) < Date.parse(transactionsFrom)) hints.push('The transaction dates end before they start.');
  return hints;
}
