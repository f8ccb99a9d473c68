// What each rule of the permission maps means, in one line, keyed by rule name: what
// schema/authorization.md prints next to every field. The rules themselves are code (rules.ts,
// bank/permissions.ts, each subgraph's permissions.ts); the policy they apply is stated in words
// in docs/consent-policy.md, which every meaning links to. A test fails when a rule used in a
// permission map has no meaning here (or in its subgraph's own map, for rules a subgraph defines).
import { effectivePermissions, PERMISSIONS, type Permission } from './consent-policy.ts';

/** Where docs/consent-policy.md states a rule (a heading's anchor). */
export const POLICY_SECTIONS = {
  viewers: '1-who-is-asking',
  permissions: 'permissions-and-the-fields-they-open',
  rows: 'row-filters-credits-debits-and-the-window',
  ids: '5-where-consents-live-and-which-bank-is-asked',
  messaging: '6-messaging',
  records: '8-records',
  rights: '9-data-subject-rights',
} as const;

export interface RuleMeaning {
  /** When the rule opens the field, in one line. */
  definition: string;
  /** The permission the rule checks when its name does not say it (`canListAccounts`). */
  permission?: Permission;
  /** What the rule, or the field it guards, does to rows of a list (given the rule's permission). */
  rows?: (permission: Permission | undefined) => string | undefined;
  /** The section of docs/consent-policy.md that states it. */
  policy: (typeof POLICY_SECTIONS)[keyof typeof POLICY_SECTIONS];
}

export type RuleMeanings = Record<string, RuleMeaning>;

/** What each permission opens (docs/consent-policy.md, "Permissions and the fields they open"). */
export const PERMISSION_MEANINGS: Record<Permission, string> = {
  ACCOUNTS_BASIC: "listing the user's accounts at that bank and each account's id, bank, currency and masked number",
  ACCOUNTS_DETAIL: 'the full account identifier',
  BALANCES: "an account's balance",
  TRANSACTIONS_BASIC: "an account's card transactions and each one's id, amount, date and direction",
  TRANSACTIONS_DETAIL: "a card transaction's description and merchant (name, category)",
  TRANSACTIONS_CREDITS: 'rows of money in',
  TRANSACTIONS_DEBITS: 'rows of money out',
  MERCHANT_LOCATION_COARSE: "a merchant's city and country",
  MERCHANT_LOCATION_PRECISE: "a merchant's coordinates (a separate opt-in)",
};

/** The permissions whose grant implies `permission` (TRANSACTIONS_DETAIL implies TRANSACTIONS_BASIC). */
export function impliedBy(permission: Permission): Permission[] {
  return PERMISSIONS.filter((other) => other !== permission && effectivePermissions([other]).has(permission));
}

const CONSENTED =
  "the data's owner (first-party app) or an agent of this bank (purpose customer_service), under a live consent of the owner at this bank that allows the request's purpose and grants the permission";
const ROW_JUDGED = "judged with the card transaction's own date and direction: outside the consent's window it is denied (OUT_OF_WINDOW), and money in needs TRANSACTIONS_CREDITS, money out TRANSACTIONS_DEBITS";

/** The kit's rules: rules.ts and the bank subgraph's (bank/permissions.ts). */
export const KIT_RULE_MEANINGS: RuleMeanings = {
  allow: { definition: 'Open wherever it is reached: public data, or a type reached only through a field that already passed its rule.', policy: POLICY_SECTIONS.viewers },
  deny: { definition: "Nobody: never served (it exists for the gateway's routing only).", policy: POLICY_SECTIONS.ids },
  isAuthenticated: { definition: 'Any signed-in viewer, in any client app.', policy: POLICY_SECTIONS.viewers },
  isFirstPartyViewer: {
    definition:
      "Any signed-in viewer in a first-party app; the lookup then hands out a reference only to the owner and this bank's agents (null for anyone else, as for a missing id), and every field of it keeps its own rule.",
    policy: POLICY_SECTIONS.ids,
  },
  isSelf: { definition: 'The user themself (the User the field is on), signed in, in a first-party app.', policy: POLICY_SECTIONS.viewers },
  isFirstPartyUser: {
    definition: 'A signed-in user acting for themself in a first-party app (who grants and revokes consents, sets opt-ins, exports and erases their data).',
    policy: POLICY_SECTIONS.viewers,
  },
  gatewayOnly: {
    definition:
      "Not in the API (@inaccessible): reached by the gateway's own calls only, never by a client's operation. It records, for the request's viewer, the decisions the gateway made itself when the directory listed no bank to ask, each made again by the policy's own function.",
    policy: POLICY_SECTIONS.records,
  },
  withoutBankRelationship: {
    definition:
      "The gateway's own answer for a bank field of `User` when the directory lists no bank to ask for that user and viewer (no relationship with any bank, or an agent whose bank is not registered), as a bank holding no consent of the user would answer: `accounts` is denied (CONSENT_REQUIRED, or why this viewer could not be allowed at all), `consents` and `accessLog` are an empty list for the user themself and denied to anyone else. No bank is asked; user-profile decides it again with the same function, for the request's viewer, and records it (no bank id).",
    policy: POLICY_SECTIONS.records,
  },
  isSecurityReviewer: { definition: 'Security reviewers only (role security_reviewer), in a first-party app: they see decision records, never data.', policy: POLICY_SECTIONS.records },
  canListAccounts: {
    definition: `Listing the user's accounts at this bank: ${CONSENTED}.`,
    permission: 'ACCOUNTS_BASIC',
    policy: POLICY_SECTIONS.permissions,
  },
  accountConsent: {
    definition: `An account's field: ${CONSENTED}.`,
    rows: (permission) =>
      permission === 'TRANSACTIONS_BASIC'
        ? "a page reads only rows inside that consent's window (`clamped` says when it narrowed the range) and in the directions it grants (TRANSACTIONS_CREDITS: money in; TRANSACTIONS_DEBITS: money out)"
        : undefined,
    policy: POLICY_SECTIONS.permissions,
  },
  transactionConsent: { definition: `A card transaction's field: ${CONSENTED}.`, rows: () => ROW_JUDGED, policy: POLICY_SECTIONS.rows },
  merchantConsent: { definition: `A merchant's field, reached through a card transaction: ${CONSENTED}.`, rows: () => ROW_JUDGED, policy: POLICY_SECTIONS.rows },
};

/** A rule name as the maps print it, `accountConsent(BALANCES)`: its base name and its permission. */
export function parseRuleName(name: string): { base: string; permission?: Permission } {
  const match = /^(\w+)\((\w+)\)$/.exec(name);
  if (!match) return { base: name };
  return { base: match[1]!, permission: (PERMISSIONS as readonly string[]).includes(match[2]!) ? (match[2] as Permission) : undefined };
}

/** The rule's meaning in one line, for the authorization map; undefined when no map knows the rule. */
export function describeRule(name: string, meanings: RuleMeanings, policyLink: (section: string) => string): string | undefined {
  const { base, permission: named } = parseRuleName(name);
  const meaning = meanings[base];
  if (!meaning) return undefined;
  const permission = named ?? meaning.permission;
  const parts = [meaning.definition];
  if (permission) {
    const implied = impliedBy(permission);
    parts.push(`Permission \`${permission}\`: ${PERMISSION_MEANINGS[permission]}${implied.length ? `; also granted by ${implied.map((p) => `\`${p}\``).join(', ')}` : ''}.`);
  }
  const rows = meaning.rows?.(permission);
  if (rows) parts.push(`Rows: ${rows}.`);
  parts.push(`[policy](${policyLink(meaning.policy)})`);
  return parts.join(' ');
}
