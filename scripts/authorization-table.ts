// `npm run authz`: writes schema/authorization.md, the whole authorization map of the graph: every
// field of every subgraph, the rule that opens it and what that rule means (its definition, the
// permission and what implies it, row filters, and the section of docs/consent-policy.md that
// states it), with each subgraph's coverage; the decisions the gateway makes itself (recorded by
// user-profile); and every rule name a decision record can carry, with its meaning.
import { writeFileSync } from 'node:fs';
import { authorizationTable, coverage } from '@consent-gateway/kit/authorization-table';
import { bankContractTypeDefs, bankPermissions } from '@consent-gateway/kit/bank';
import { BANK_SUBGRAPH, BANK_USER_FIELDS, WITHOUT_BANK_RULE } from '@consent-gateway/kit/bank-policy';
import { RECORDS_FIELD_RULES } from '@consent-gateway/kit/records-routes';
import { describeRule, KIT_RULE_MEANINGS, parseRuleName, type RuleMeanings } from '@consent-gateway/kit/rule-meanings';
import { permissions as recordsPermissions } from '../gateway/records/permissions.ts';
import { RECORDS_SUBGRAPH, recordsTypeDefs } from '../gateway/records/index.ts';
import { GATEWAY_DECISIONS_KEEPER } from '../gateway/records/stores.ts';
import { PLATFORM_SUBGRAPHS, schemaPath } from '../subgraphs/catalog.ts';
import { SUBGRAPHS } from '../subgraphs/registry.ts';

export const AUTHORIZATION_FILE = schemaPath('authorization.md');
const POLICY = '../docs/consent-policy.md';

/** Every subgraph's schema and permission map: the platform's, the one every bank runs, and the one the gateway answers. */
export function permissionMaps() {
  return [
    ...PLATFORM_SUBGRAPHS.map((name) => ({ name, typeDefs: SUBGRAPHS[name].typeDefs, permissions: SUBGRAPHS[name].permissions })),
    { name: BANK_SUBGRAPH, typeDefs: bankContractTypeDefs(), permissions: bankPermissions },
    { name: RECORDS_SUBGRAPH, typeDefs: recordsTypeDefs(), permissions: recordsPermissions },
  ].sort((a, b) => a.name.localeCompare(b.name));
}

/** The meaning of every rule: the kit's, and those the platform's subgraphs define themselves. */
export function ruleMeanings(): RuleMeanings {
  return Object.assign({}, KIT_RULE_MEANINGS, ...PLATFORM_SUBGRAPHS.map((name) => SUBGRAPHS[name].ruleMeanings ?? {}));
}

/** A decision the gateway makes itself, without asking the subgraph or bank whose field it is. */
export interface GatewayDecision {
  field: string;
  rule: string;
  /** When the gateway decides it. */
  when: string;
}

/**
 * The decisions the gateway makes itself: each is decided again, with the same function, by the
 * keeper of the gateway's decisions (user-profile) for the request's viewer, and recorded there.
 */
export function gatewayDecisions(): GatewayDecision[] {
  return [
    ...BANK_USER_FIELDS.map((field) => ({
      field: `User.${field}`,
      rule: WITHOUT_BANK_RULE,
      when: 'the directory lists no bank to ask for the user (none of their banks, or an agent whose bank is not registered): no bank is asked',
    })),
    // The records fields: an allowed request is judged and recorded by every store it reaches; a refusal by the keeper alone.
    ...RECORDS_FIELD_RULES.map(({ field, rule }) => ({ field, rule, when: 'the gateway refuses it to the viewer: no store is asked for anything' })),
  ].sort((a, b) => a.field.localeCompare(b.field));
}

/**
 * Every rule name a decision record can carry (the base name: `accountConsent` for
 * `accountConsent(BALANCES)`), and where it is decided. They come from the three places that
 * record decisions: a protected rule of a permission map (kit/src/rules.ts), the records routes
 * (kit/src/records-routes.ts) and user-profile's record of the gateway's own answers
 * (subgraphs/user-profile/resolvers.ts). Plain shield rules (`allow`, `deny`, `gatewayOnly`,
 * the gateway's own judging of the records fields) record nothing themselves.
 */
export function recordedRules(): Map<string, Set<string>> {
  const rules = new Map<string, Set<string>>();
  const add = (rule: string, where: string) => {
    const { base } = parseRuleName(rule);
    const places = rules.get(base) ?? new Set<string>();
    rules.set(base, places.add(where));
  };
  for (const map of permissionMaps()) for (const row of authorizationTable(map)) if (row.recorded) add(row.rule, map.name);
  for (const { rule } of RECORDS_FIELD_RULES) add(rule, 'records routes (every store)');
  for (const { rule } of gatewayDecisions()) add(rule, `the gateway (recorded by ${GATEWAY_DECISIONS_KEEPER})`);
  return new Map([...rules].sort(([a], [b]) => a.localeCompare(b)));
}

/** The rules a decision record can carry that no meaning states (a test keeps this empty). */
export function unexplainedRules(meanings: RuleMeanings = ruleMeanings()): string[] {
  return [...recordedRules().keys()].filter((rule) => !meanings[rule]);
}

const WHERE: Record<string, string> = {
  [BANK_SUBGRAPH]: "the subgraph every bank runs: the kit's `kit/src/bank/permissions.ts`",
  [RECORDS_SUBGRAPH]: "answered by the gateway itself from every subgraph's and bank's records routes: `gateway/records/permissions.ts`; each store judges the request again with the same rule and records it",
};

export function renderAuthorizationTable(): string {
  const meanings = ruleMeanings();
  const meaningOf = (rule: string) => describeRule(rule, meanings, (section) => `${POLICY}#${section}`) ?? '**no meaning stated**';
  const parts = [
    '# Authorization map',
    '',
    `Generated by \`npm run authz\` from the permission maps themselves; a test fails when it is stale, or when a subgraph has a field without a rule. The rules are stated in words in [docs/consent-policy.md](${POLICY}); each rule's meaning below links to its section.`,
    'Every field not listed as `allow` is decided by its rule on each request, and every such decision is recorded. Federation entry points (`_service`, `_entities`) hand out references only; entity fields keep their own rules.',
    'Some decisions are made by the gateway itself (see [Decisions the gateway makes itself](#decisions-the-gateway-makes-itself)); every rule name a decision record can carry is listed, with its meaning, in [Rules in decision records](#rules-in-decision-records).',
  ];
  for (const map of permissionMaps()) {
    const rows = authorizationTable(map);
    const { ruled, total, percent } = coverage(rows);
    parts.push('', `## ${map.name}`, '', `Permission map: ${WHERE[map.name] ?? `\`subgraphs/${map.name}/permissions.ts\``}.`, '');
    parts.push(`Coverage: ${ruled} of ${total} fields have a rule (${percent} %).`, '', '| type | field | rule | meaning |', '| --- | --- | --- | --- |');
    for (const row of rows) {
      const stated = meaningOf(row.rule);
      // The rule still guards it; the map says who could reach it at all.
      const meaning = row.hidden && !stated.startsWith('Not in the API') ? `**Not in the public API** (\`@inaccessible\`: no client's operation reaches it; the gateway's own calls only). ${stated}` : stated;
      parts.push(`| ${row.type} | ${row.field} | \`${row.rule}\` | ${meaning} |`);
    }
  }
  parts.push(
    '',
    '## Decisions the gateway makes itself',
    '',
    `Fields the gateway answers or refuses without asking the subgraph or bank whose field it is. ${GATEWAY_DECISIONS_KEEPER} (the keeper of the gateway's own decisions) decides each again, with the same function, for the request's viewer, and records it: a reviewer finds them in \`auditEvents\` with \`subgraph: ${GATEWAY_DECISIONS_KEEPER}\`. Generated from \`gatewayDecisions()\` in \`scripts/authorization-table.ts\`.`,
    '',
    '| field | rule | when | meaning |',
    '| --- | --- | --- | --- |',
  );
  for (const decision of gatewayDecisions()) parts.push(`| ${decision.field} | \`${decision.rule}\` | ${decision.when} | ${meaningOf(decision.rule)} |`);
  parts.push(
    '',
    '## Rules in decision records',
    '',
    "Every rule name a decision record can carry (the `rule` of `auditEvents`; a consent rule is recorded with its permission, e.g. `accountConsent(BALANCES)`), where it is decided, and what it means. Rules that record nothing (`allow`, `deny`, `gatewayOnly`) are not listed; a test fails when a rule a record can carry has no meaning here.",
    '',
    '| rule | decided by | meaning |',
    '| --- | --- | --- |',
  );
  for (const [rule, where] of recordedRules()) parts.push(`| \`${rule}\` | ${[...where].join(', ')} | ${meaningOf(rule)} |`);
  return `${parts.join('\n')}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  writeFileSync(AUTHORIZATION_FILE, renderAuthorizationTable());
  console.log(`wrote ${AUTHORIZATION_FILE}`);
}
