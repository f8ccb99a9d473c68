// The conformance kit: checks a running bank subgraph the way a security reviewer would, from the
// outside, with only what a partner gives the platform (the URL, the bank id, a gateway key pair
// the bank trusts, and test customers). `npm run check:bank` is its command line.
//
// Its test customers' consents are the kit's to change: existing ones are revoked at the start,
// and the search grants and revokes its own. Use dedicated test customers, never real ones.
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';
import type { CryptoKey } from 'jose';
import { bankContractSdl } from '../bank/contract.ts';
import { CONSENT_LIMITS, sameTerms } from '../consent-policy.ts';
import { KIT_VERSION } from '../create-subgraph.ts';
import { PURPOSES, type Purpose } from '../identity.ts';
import { INTERNAL_ISSUER, bankAudience } from '../internal-token.ts';
import { besideGraphql } from '../http.ts';
import { createCaller, viewers, type Answer, type Caller, type Viewer } from './caller.ts';
import { contractDifferences } from './contract.ts';
import { CLOCK_TOLERANCE_MS, ConsentBook, Judge, OWN_LISTINGS, type Truth } from './oracle.ts';
import { exportLeaks, recordsChecks } from './records.ts';
import { RECORDS_ROUTES } from '../records-routes.ts';
import { purposeOf, randomGrant, seeded, type GrantRequest, type Random } from './random.ts';

export interface ConformanceOptions {
  /** The bank subgraph's GraphQL endpoint. */
  url: string;
  bankId: string;
  /** The private half of the key pair whose public half the bank loads as the gateway's key. */
  gatewayKey: KeyObject | CryptoKey;
  /** Customers with accounts at the bank, for the checks to act as (at least one). */
  testUsers: string[];
  /** Seed of the randomized search (the same seed, the same run). */
  seed?: number;
  /** Steps of the randomized search. */
  runs?: number;
  log?: (line: string) => void;
}

export interface CheckResult {
  name: string;
  ok: boolean;
  summary: string;
  details: string[];
}

export interface ConformanceReport {
  url: string;
  bankId: string;
  seed: number;
  ok: boolean;
  checks: CheckResult[];
}

const ACCOUNT_SELECTIONS = ['maskedNumber', 'currency', 'bank { id }', 'accountNumber', 'balance { minorUnits currency }'];
// A denied non-null field nulls its whole object, which would hide a leak next to it: lookups also
// select only the nullable fields.
const NULLABLE_ACCOUNT_SELECTIONS = ['accountNumber', 'balance { minorUnits currency }'];
const NULLABLE_TRANSACTION_SELECTIONS = ['description', 'merchant { name category }', 'merchant { location { city country } }', 'merchant { location { latitude longitude } }'];
const TRANSACTION_SELECTIONS = ['amount { minorUnits currency }', 'postedAt', 'direction', 'description', 'merchant { name category }', 'merchant { location { city country } }', 'merchant { location { latitude longitude } }'];
const ALL_PERMISSIONS = ['ACCOUNTS_DETAIL', 'BALANCES', 'TRANSACTIONS_DETAIL', 'TRANSACTIONS_CREDITS', 'TRANSACTIONS_DEBITS', 'MERCHANT_LOCATION_COARSE', 'MERCHANT_LOCATION_PRECISE'];
const OTHER_BANK = 'conformance-other-bank';
const MAX_PAGES_PER_ACCOUNT = 50;
/** How long the search's short-lived consents last. */
const SHORT_LIVED_MS = 1_500;

const ENTITIES = (selection: string) => `query($r: [_Any!]!) { _entities(representations: $r) { ${selection} } }`;
const userRep = (id: string) => ({ __typename: 'User', id });
/** An account's selection; list items always carry their id, which the judge needs to find the row. */
const accountSelection = (fields: string[], transactions?: { first: number; fields: string[] }, withId = true) =>
  `${withId ? 'id ' : ''}${fields.join(' ')} ${transactions ? `transactions(first: ${transactions.first}) { edges { node { id ${transactions.fields.join(' ')} } } }` : ''}`.trim() || '__typename';
const GRANT = 'mutation($input: GrantConsentInput!) { grantConsent(input: $input) { id grantedAt } }';
const REVOKE = 'mutation($id: ID!) { revokeConsent(id: $id) { id status revokedAt } }';

class CheckFailed extends Error {}

function describe(answer: Answer): string {
  return `HTTP ${answer.status}${answer.body?.errors?.length ? `, ${answer.body.errors.map((e) => `${e.extensions?.code ?? ''} ${e.message}`.trim()).join('; ')}` : ''}`;
}

export async function checkBank(options: ConformanceOptions): Promise<ConformanceReport> {
  const log = options.log ?? (() => undefined);
  const seed = options.seed ?? 1;
  const random = seeded(seed);
  const caller = createCaller(options.url, options.bankId, options.gatewayKey);
  const users = [...new Set(options.testUsers)];
  const checks: CheckResult[] = [];
  const run = async (name: string, fn: () => Promise<{ summary: string; details?: string[]; ok?: boolean }>) => {
    log(`checking: ${name}`);
    try {
      const { summary, details = [], ok = details.length === 0 } = await fn();
      checks.push({ name, ok, summary, details });
    } catch (error) {
      checks.push({ name, ok: false, summary: (error as Error).message, details: [] });
    }
  };
  const report = (): ConformanceReport => ({ url: options.url, bankId: options.bankId, seed, ok: checks.every((c) => c.ok), checks });

  if (users.length === 0) {
    checks.push({ name: 'set-up', ok: false, summary: 'at least one test customer (--user) with accounts at the bank is needed', details: [] });
    return report();
  }

  await run('runs a kit at least as new as this checker', () => kitCheck(options.url));
  await run('refuses every call without a valid gateway token for this bank, and runs nothing past the gateway\'s deadline', () => tokenChecks(caller, options, users[0]!));
  if (!checks.at(-1)!.ok && checks.at(-1)!.summary.startsWith('refuses a valid')) return report();
  await run('serves the bank subgraph contract', () => contractCheck(caller));
  await run('answers for itself only', () => ownBankChecks(caller, options.bankId, users[0]!));
  await run('serves the records routes to the gateway alone: decision records to reviewers, export and erasure to the customer', () => recordsChecks(caller, options.bankId, users));

  const book = new ConsentBook();
  let truth: Truth;
  try {
    truth = await readTruth(caller, options.bankId, users, book);
  } catch (error) {
    checks.push({ name: 'set-up', ok: false, summary: (error as Error).message, details: [] });
    return report();
  }
  await run('validates grants; only the customer grants and revokes', () => lifecycleChecks(caller, options.bankId, users, book));
  await run("denies by default: nobody but the customer and the bank's agents gets anything", () => strangerChecks(caller, options.bankId, users, truth, book));
  await run('no field resolves without a matching consent (randomized search)', () => search(caller, options, users, truth, book, random, options.runs ?? 60));
  return report();
}

// ---- 0. the kit it runs -------------------------------------------------------------------------

/** `1.2.3` → [1, 2, 3]; anything else → undefined. */
const versionParts = (v: unknown) => (typeof v === 'string' && /^\d+\.\d+\.\d+/.test(v) ? v.split(/[.-]/).slice(0, 3).map(Number) : undefined);

async function kitCheck(url: string) {
  let kit: unknown;
  try {
    const res = await fetch(besideGraphql(url, '/health'), { signal: AbortSignal.timeout(10_000) });
    kit = ((await res.json()) as { kit?: unknown }).kit;
  } catch {
    kit = undefined;
  }
  const theirs = versionParts(kit);
  if (!theirs) return { summary: `its /health names no kit version: built without this kit, or with one older than 0.1 (this checker: kit ${KIT_VERSION})` };
  const ours = versionParts(KIT_VERSION)!;
  const order = theirs.map((n, i) => n - ours[i]!).find((d) => d !== 0) ?? 0;
  if (order < 0) {
    return { summary: `runs kit ${String(kit)}, older than this checker's ${KIT_VERSION}`, details: [`upgrade the kit: a newer kit may check what kit ${String(kit)} does not make your bank enforce (docs/partner-banks.md, "Upgrading the kit")`] };
  }
  return { summary: `runs kit ${String(kit)} (this checker: kit ${KIT_VERSION})` };
}

// ---- 1. gateway tokens ----------------------------------------------------------------------------

async function tokenChecks(caller: Caller, options: ConformanceOptions, user: string) {
  const probe = { query: ENTITIES('... on User { consents { id } accounts { id } }'), variables: { r: [userRep(user)] } };
  const self = viewers.self(user, 'customer_service');
  const valid = await caller.post(probe, { authorization: `Bearer ${await caller.tokenFor(self)}` });
  if (valid.status !== 200) {
    throw new CheckFailed(
      `refuses a valid gateway token (${describe(valid)}): does the bank load the matching public key (GATEWAY_PUBLIC_KEY_FILE) and expect the audience ${bankAudience(options.bankId)}?`,
    );
  }
  const now = Math.floor(Date.now() / 1000);
  const otherGateway = generateKeyPairSync('ed25519').privateKey;
  const idp = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const claims = { client: 'conformance-first-party', client_type: 'first-party', roles: ['user'], purpose: 'customer_service', request_id: 'conformance' };
  const signed = (key: KeyObject, alg: string, iss: string, aud: string, exp = now + 60) =>
    new SignJWT(claims).setProtectedHeader({ alg, typ: 'JWT' }).setSubject(user).setIssuer(iss).setAudience(aud).setIssuedAt(now - 5).setExpirationTime(exp).sign(key);
  const gatewayKey = options.gatewayKey as KeyObject;
  const attempts: Array<[string, Record<string, string>]> = [
    ['no Authorization header', {}],
    ['forged identity headers and no token', { 'x-user-id': user, 'x-roles': 'user', 'x-purpose': 'customer_service', 'x-client-type': 'first-party', 'x-bank': options.bankId }],
    ['a token that is not a JWT', { authorization: 'Bearer not-a-token' }],
    ['Basic credentials', { authorization: 'Basic YWxpY2U6cGFzc3dvcmQ=' }],
    ['a client (identity provider) token replayed', { authorization: `Bearer ${await signed(idp, 'ES256', 'https://id.example/', 'consent-gateway')}` }],
    ["a gateway token for another bank", { authorization: `Bearer ${await caller.tokenFor(self, bankAudience(OTHER_BANK))}` }],
    ['a gateway token for the bank subgraph of no bank in particular', { authorization: `Bearer ${await caller.tokenFor(self, 'bank-account')}` }],
    ['a gateway token for another subgraph', { authorization: `Bearer ${await caller.tokenFor(self, 'user-profile')}` }],
    ['a token of another issuer, signed with the gateway key', { authorization: `Bearer ${await signed(gatewayKey, 'EdDSA', 'https://someone-else.example/', bankAudience(options.bankId))}` }],
    ['an expired gateway token', { authorization: `Bearer ${await signed(gatewayKey, 'EdDSA', INTERNAL_ISSUER, bankAudience(options.bankId), now - 600)}` }],
    ['a token signed by another key, claiming to be the gateway', { authorization: `Bearer ${await signed(otherGateway, 'EdDSA', INTERNAL_ISSUER, bankAudience(options.bankId))}` }],
    ['an unsigned token (alg none)', { authorization: `Bearer ${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...claims, sub: user, iss: INTERNAL_ISSUER, aud: bankAudience(options.bankId), exp: now + 60 })}.` }],
  ];
  const details: string[] = [];
  for (const [what, headers] of attempts) {
    const answer = await caller.post(probe, headers);
    if (answer.status !== 401) details.push(`${what}: ${describe(answer)} (expected 401)`);
  }
  // A call the gateway stopped waiting for (its deadline, `dl`, passed) runs nothing: a grant
  // written after the person was told it failed would be a consent they believe they never gave.
  const consentCount = async () => (await caller.as(self, ENTITIES('... on User { consents { id } }'), { r: [userRep(user)] })).body?.data?._entities?.[0]?.consents?.length;
  const before = await consentCount();
  const lateToken = await caller.tokenFor(self, undefined, { deadline: Date.now() - 30_000 });
  const late = await caller.post({ query: GRANT, variables: { input: { bankId: options.bankId, permissions: ['ACCOUNTS_BASIC'], purposes: ['CUSTOMER_SERVICE'] } } }, { authorization: `Bearer ${lateToken}` });
  if (late.status !== 504 || late.body?.errors?.[0]?.extensions?.code !== 'DEADLINE_EXCEEDED') details.push(`a grant whose gateway deadline passed 30 s ago: ${describe(late)} (expected 504 DEADLINE_EXCEEDED)`);
  const after = await consentCount();
  if (after !== before) details.push(`a grant whose gateway deadline had passed was written (${before} consents before, ${after} after)`);
  // With a valid anonymous token, identity headers must change nothing.
  const anonymous = await caller.post(probe, { authorization: `Bearer ${await caller.tokenFor(viewers.anonymous())}`, 'x-user-id': user, 'x-roles': 'user', 'x-client-type': 'first-party' });
  if (anonymous.body?.data?._entities?.[0]?.consents != null) details.push("forged identity headers on an anonymous token opened the user's consents");
  return {
    summary: `${attempts.length} kinds of call without a valid token for ${bankAudience(options.bankId)}, and a grant past its gateway deadline: ${details.length ? `${details.length} problem(s)` : 'all refused (401; the late grant 504, nothing written)'}`,
    details,
  };
}

// ---- 2. the contract ------------------------------------------------------------------------------

async function contractCheck(caller: Caller) {
  const answer = await caller.as(viewers.anonymous(), '{ _service { sdl } }');
  const sdl = answer.body?.data?._service?.sdl;
  if (typeof sdl !== 'string') throw new CheckFailed(`no _service { sdl } (${describe(answer)})`);
  const details = contractDifferences(sdl, bankContractSdl());
  return { summary: details.length ? `its SDL differs from the contract in ${details.length} type(s)` : 'its SDL is the contract', details };
}

// ---- 3. this bank only ----------------------------------------------------------------------------

async function ownBankChecks(caller: Caller, bankId: string, user: string) {
  const self = viewers.self(user, 'customer_service');
  const details: string[] = [];
  const answer = await caller.as(self, `query($own: ID!, $other: ID!, $a: ID!, $t: ID!) { banks { id } own: bank(id: $own) { id } other: bank(id: $other) { id } account: bankAccount(id: $a) { id } transaction: cardTransaction(id: $t) { id } }`, {
    own: bankId,
    other: OTHER_BANK,
    a: `${OTHER_BANK}:acc_AAAAAAAAAAAAAAAAAAAAAA`,
    t: `${OTHER_BANK}:txn_AAAAAAAAAAAAAAAAAAAAAA`,
  });
  const data = answer.body?.data;
  if (JSON.stringify(data?.banks) !== JSON.stringify([{ id: bankId }])) details.push(`banks is ${JSON.stringify(data?.banks)}, expected itself only`);
  if (data?.own?.id !== bankId) details.push(`bank(id: "${bankId}") is ${JSON.stringify(data?.own)}`);
  for (const key of ['other', 'account', 'transaction']) if (data?.[key] !== null) details.push(`${key} of another bank is ${JSON.stringify(data?.[key])}, expected null`);
  const grant = await caller.as(self, GRANT, { input: { bankId: OTHER_BANK, permissions: ['ACCOUNTS_BASIC'], purposes: ['CUSTOMER_SERVICE'] } });
  if (grant.body?.errors?.[0]?.extensions?.code !== 'BAD_USER_INPUT') details.push(`a grant for another bank answered ${describe(grant)}, expected BAD_USER_INPUT`);
  return { summary: details.length ? 'answers for other banks' : 'banks, bank(id) and lookups answer for this bank alone; grants for other banks are refused', details };
}

// ---- set-up: what the test customers own ----------------------------------------------------------

async function grantAs(caller: Caller, user: string, input: GrantRequest, book: ConsentBook): Promise<string> {
  const answer = await caller.as(viewers.self(user, 'customer_service'), GRANT, { input });
  const granted = answer.body?.data?.grantConsent;
  if (!granted?.id) throw new CheckFailed(`cannot grant a valid consent as ${user} (${describe(answer)}): ${JSON.stringify(input)}`);
  book.add({
    _id: granted.id,
    userId: user,
    bankId: input.bankId,
    permissions: input.permissions as never,
    purposes: input.purposes.map(purposeOf),
    grantedAt: granted.grantedAt ?? new Date().toISOString(),
    expiresAt: input.expiresAt ?? null,
    revokedAt: null,
    transactionsFrom: input.transactionsFrom ?? null,
    transactionsTo: input.transactionsTo ?? null,
  });
  return granted.id;
}

/**
 * A grant of the search, as a bank takes it: none when the user holds a live consent with exactly
 * these terms (the bank refuses the duplicate), and room made under CONSENT_LIMITS.live first by
 * revoking the search's own oldest open consents. Undefined when skipped.
 */
async function grantWithinLimits(caller: Caller, user: string, input: GrantRequest, book: ConsentBook): Promise<string | undefined> {
  if (book.active(user).some((c) => sameTerms(c, { ...input, purposes: input.purposes.map(purposeOf) }))) return undefined;
  const open = () => book.active(user).filter((c) => !c.expiresAt || Date.parse(c.expiresAt) > Date.now() + CLOCK_TOLERANCE_MS);
  while (book.active(user).length >= CONSENT_LIMITS.live - 2 && open().length) await revokeAs(caller, user, open()[0]!._id, book);
  return grantAs(caller, user, input, book);
}

async function revokeAs(caller: Caller, user: string, id: string, book: ConsentBook): Promise<void> {
  const answer = await caller.as(viewers.self(user, 'customer_service'), REVOKE, { id });
  const revoked = answer.body?.data?.revokeConsent;
  if (revoked?.status !== 'REVOKED') throw new CheckFailed(`cannot revoke consent ${id} as ${user} (${describe(answer)})`);
  book.revoke(id, revoked.revokedAt ?? new Date().toISOString());
}

async function readTruth(caller: Caller, bankId: string, users: string[], book: ConsentBook): Promise<Truth> {
  const truth: Truth = { accounts: new Map(), transactions: new Map() };
  for (const user of users) {
    const self = viewers.self(user, 'customer_service');
    // A clean slate: the only live consents are the ones the checks grant (and know exactly).
    // (Only the customer's own: a consent of someone else listed here is the leak the checks
    // report later, and no customer can revoke it.)
    const existing = await caller.as(self, ENTITIES('... on User { consents { id status receipt { userId } } }'), { r: [userRep(user)] }, {}, user);
    for (const c of existing.body?.data?._entities?.[0]?.consents ?? []) if (c.status === 'ACTIVE' && (c.receipt?.userId ?? user) === user) await revokeAs(caller, user, c.id, book);
    const probe = await grantAs(caller, user, { bankId, permissions: ['ACCOUNTS_BASIC', ...ALL_PERMISSIONS], purposes: PURPOSES.map((p) => p.toUpperCase()) }, book);
    const accounts = await caller.as(self, ENTITIES('... on User { accounts { id } }'), { r: [userRep(user)] }, {}, user);
    const ids: string[] = (accounts.body?.data?._entities?.[0]?.accounts ?? []).map((a: { id: string }) => a.id);
    if (ids.length === 0) throw new CheckFailed(`test customer ${user} has no account at the bank (or the bank does not list it under a consent that allows everything)`);
    for (const accountId of ids) {
      truth.accounts.set(accountId, user);
      let after: string | null = null;
      for (let page = 0; page < MAX_PAGES_PER_ACCOUNT; page++) {
        const res = await caller.as(self, 'query($a: ID!, $after: String) { bankAccount(id: $a) { transactions(first: 100, after: $after) { edges { node { id postedAt direction } } pageInfo { hasNextPage endCursor } } } }', { a: accountId, after }, {}, user);
        const connection = res.body?.data?.bankAccount?.transactions;
        if (!connection) throw new CheckFailed(`cannot read the transactions of ${accountId} under a consent that allows everything (${describe(res)})`);
        for (const { node } of connection.edges) truth.transactions.set(node.id, { owner: user, accountId, postedAt: node.postedAt, direction: node.direction });
        if (!connection.pageInfo.hasNextPage) break;
        after = connection.pageInfo.endCursor;
      }
    }
    await revokeAs(caller, user, probe, book);
  }
  return truth;
}

// ---- 4. the consent lifecycle ---------------------------------------------------------------------

async function lifecycleChecks(caller: Caller, bankId: string, users: string[], book: ConsentBook) {
  const user = users[0]!;
  const self = viewers.self(user, 'customer_service');
  const details: string[] = [];
  const count = async () => (await caller.as(self, ENTITIES('... on User { consents { id } }'), { r: [userRep(user)] }, {}, user)).body?.data?._entities?.[0]?.consents?.length;
  const before = await count();
  const invalid: Array<[string, Record<string, unknown>]> = [
    ['no accounts permission', { permissions: ['BALANCES'], purposes: ['CUSTOMER_SERVICE'] }],
    ['precise location without coarse', { permissions: ['ACCOUNTS_BASIC', 'TRANSACTIONS_DETAIL', 'TRANSACTIONS_DEBITS', 'MERCHANT_LOCATION_PRECISE'], purposes: ['CUSTOMER_SERVICE'] }],
    ['no purpose', { permissions: ['ACCOUNTS_BASIC'], purposes: [] }],
    ['an expiry in the past', { permissions: ['ACCOUNTS_BASIC'], purposes: ['CUSTOMER_SERVICE'], expiresAt: '2020-01-01T00:00:00Z' }],
  ];
  for (const [what, input] of invalid) {
    const answer = await caller.as(self, GRANT, { input: { bankId, ...input } });
    if (answer.body?.errors?.[0]?.extensions?.code !== 'BAD_USER_INPUT') details.push(`a grant with ${what}: ${describe(answer)}, expected BAD_USER_INPUT`);
  }
  for (const viewer of [viewers.agent(bankId, 'customer_service', true), viewers.self(user, 'customer_service', 'third-party'), viewers.anonymous()]) {
    const answer = await caller.as(viewer, GRANT, { input: { bankId, permissions: ['ACCOUNTS_BASIC'], purposes: ['CUSTOMER_SERVICE'] } });
    if (answer.body?.data?.grantConsent) details.push(`${viewer.label} could grant a consent`);
  }
  if ((await count()) !== before) details.push('refused grants changed the stored consents');
  const id = await grantAs(caller, user, { bankId, permissions: ['ACCOUNTS_BASIC'], purposes: ['CUSTOMER_SERVICE'] }, book);
  for (const viewer of [viewers.otherUser(users[1] ?? 'conformance-stranger', 'customer_service'), viewers.agent(bankId, 'customer_service', true)]) {
    const answer = await caller.as(viewer, REVOKE, { id });
    if (answer.body?.data?.revokeConsent) details.push(`${viewer.label} could revoke ${user}'s consent`);
  }
  await revokeAs(caller, user, id, book);
  return { summary: details.length ? 'grants or revokes that must be refused were accepted' : 'invalid grants refused (BAD_USER_INPUT, nothing stored); agents, third-party apps, anonymous callers and other customers can neither grant nor revoke', details };
}

// ---- 5. strangers get nothing --------------------------------------------------------------------

async function strangerChecks(caller: Caller, bankId: string, users: string[], truth: Truth, book: ConsentBook) {
  // Something to leak: each customer consents to everything, for every purpose.
  const granted = await Promise.all(users.map(async (u) => [u, await grantAs(caller, u, { bankId, permissions: ['ACCOUNTS_BASIC', ...ALL_PERMISSIONS], purposes: PURPOSES.map((p) => p.toUpperCase()) }, book)] as const));
  const judge = new Judge(bankId, truth, book, caller.subjectOf);
  const everything = accountSelection(ACCOUNT_SELECTIONS, { first: 20, fields: TRANSACTION_SELECTIONS });
  const nullableOnly = accountSelection(NULLABLE_ACCOUNT_SELECTIONS, { first: 20, fields: TRANSACTION_SELECTIONS }, false);
  let requests = 0;
  for (const user of users) {
    const strangers: Viewer[] = [
      viewers.anonymous(),
      viewers.self(user, 'customer_service', 'third-party'),
      viewers.otherUser('conformance-stranger', 'customer_service'),
      viewers.agent(OTHER_BANK, 'customer_service', false),
      viewers.reviewer('customer_service'),
    ];
    const accounts = [...truth.accounts].filter(([, owner]) => owner === user).map(([id]) => id);
    const transactions = [...truth.transactions].filter(([, row]) => row.owner === user).slice(0, 5).map(([id]) => id);
    for (const viewer of strangers) {
      const entities = await caller.as(viewer, ENTITIES(`... on User { accounts { ${everything} } ${OWN_LISTINGS} } ... on BankAccount { ${everything} } ... on CardTransaction { id ${TRANSACTION_SELECTIONS.join(' ')} }`), {
        r: [userRep(user), ...accounts.map((id) => ({ __typename: 'BankAccount', id })), ...transactions.map((id) => ({ __typename: 'CardTransaction', id }))],
      }, {}, user);
      const list = entities.body?.data?._entities ?? [];
      judge.user(list[0], viewer, user);
      accounts.forEach((id, i) => judge.account(list[1 + i], viewer, id, user));
      transactions.forEach((id, i) => judge.transaction(list[1 + accounts.length + i], viewer, id));
      const nullable = await caller.as(viewer, ENTITIES(`... on BankAccount { ${nullableOnly} } ... on CardTransaction { ${NULLABLE_TRANSACTION_SELECTIONS.join(' ')} }`), {
        r: [...accounts.map((id) => ({ __typename: 'BankAccount', id })), ...transactions.map((id) => ({ __typename: 'CardTransaction', id }))],
      }, {}, user);
      const found = nullable.body?.data?._entities ?? [];
      accounts.forEach((id, i) => judge.account(found[i], viewer, id, user));
      transactions.forEach((id, i) => judge.transaction(found[accounts.length + i], viewer, id));
      for (const id of accounts) {
        for (const selection of [everything, nullableOnly]) {
          const res = await caller.as(viewer, `query($a: ID!) { bankAccount(id: $a) { ${selection} } }`, { a: id }, {}, user);
          judge.reference(res.body?.data?.bankAccount, viewer, user, `bankAccount(id: "${id}")`);
          judge.account(res.body?.data?.bankAccount, viewer, id, user);
        }
      }
      for (const id of transactions) {
        for (const selection of [`id ${TRANSACTION_SELECTIONS.join(' ')}`, NULLABLE_TRANSACTION_SELECTIONS.join(' ')]) {
          const res = await caller.as(viewer, `query($t: ID!) { cardTransaction(id: $t) { ${selection} } }`, { t: id }, {}, user);
          judge.reference(res.body?.data?.cardTransaction, viewer, user, `cardTransaction(id: "${id}")`);
          judge.transaction(res.body?.data?.cardTransaction, viewer, id);
        }
      }
      if (!viewer.roles.includes('security_reviewer')) {
        const audit = await caller.route(RECORDS_ROUTES.auditEvents, viewer, { limit: 5 });
        if (audit.status !== 403) judge.findings.push(`the decision records answered ${viewer.label} with HTTP ${audit.status} (security reviewers only)`);
      }
      requests += 3 + 2 * (accounts.length + transactions.length);
    }
    // The gateway's check of a reference a message will carry names the conversation's user: then
    // even the customer and this bank's agents get no reference to anyone else's object.
    for (const viewer of [viewers.self(user, 'customer_service'), viewers.agent(bankId, 'customer_service', true)]) {
      for (const id of transactions.slice(0, 2)) {
        const res = await caller.as(viewer, 'query($t: ID!) { cardTransaction(id: $t) { __typename } }', { t: id }, { referenceFor: 'conformance-stranger' }, user);
        if (res.body?.data?.cardTransaction !== null) judge.findings.push(`a reference check for another customer handed ${viewer.label} cardTransaction(id: "${id}"): ${describe(res)}`);
        requests += 1;
      }
    }
  }
  // Each customer's own listings and export, now that every test customer has consents (and reads)
  // at the bank: their own entries only, none of another customer's.
  for (const user of users) {
    const self = viewers.self(user, 'customer_service');
    const own = await caller.as(self, ENTITIES(`... on User { ${OWN_LISTINGS} }`), { r: [userRep(user)] }, {}, user);
    const listed = own.body?.data?._entities?.[0];
    if (!listed?.consents?.length) judge.findings.push(`User.consents of ${user} lists none of their consents, although they just granted one (${describe(own)})`);
    judge.user(listed, self, user);
    judge.findings.push(...(await exportLeaks(caller, user, (id) => book.ownerOf(id))));
    requests += 2;
  }
  for (const [user, id] of granted) await revokeAs(caller, user, id, book);
  return {
    summary: `${requests} requests by strangers under consents that allow everything, and each customer's own consents, access log and export: ${judge.findings.length ? `${judge.findings.length} leak(s)` : 'nothing resolved, no one else\'s entries listed'}`,
    details: judge.findings,
  };
}

// ---- 6. the randomized search ---------------------------------------------------------------------

async function search(caller: Caller, options: ConformanceOptions, users: string[], truth: Truth, book: ConsentBook, random: Random, runs: number) {
  const bankId = options.bankId;
  const judge = new Judge(bankId, truth, book, caller.subjectOf);
  let grants = 0;
  let revokes = 0;
  // Consents that expire within seconds: one at the start, a few more at random; halfway the search
  // waits until those granted so far have expired (beyond the clock tolerance), so that the second
  // half asks under expired consents too.
  const shortLived: number[] = [];
  const grantShortLived = async (user: string) => {
    const expiresAt = Date.now() + SHORT_LIVED_MS;
    // A bank whose clock runs ahead may (rightly) call so near an expiry past: that grant is skipped.
    const granted = await grantWithinLimits(caller, user, { ...randomGrant(random, bankId, new Date()), expiresAt: new Date(expiresAt).toISOString() }, book).catch(() => undefined);
    if (granted) (shortLived.push(expiresAt), grants++);
  };
  for (let step = 0; step < runs; step++) {
    const user = random.pick(users);
    if (step === 0) await grantShortLived(user);
    if (step === Math.floor(runs / 2) && shortLived.length) {
      const wait = Math.max(...shortLived) + CLOCK_TOLERANCE_MS + 250 - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
    // Change the consents now and then: a grant, or a revoke of a consent the search granted.
    const action = random.weighted({ grant: 3, revoke: 1, none: 4 });
    if (action === 'grant' && random.chance(0.1)) await grantShortLived(user);
    else if (action === 'grant' || book.active(user).length === 0) {
      if (await grantWithinLimits(caller, user, randomGrant(random, bankId, new Date()), book)) grants++;
    } else if (action === 'revoke') {
      await revokeAs(caller, user, random.pick(book.active(user))._id, book);
      revokes++;
    }
    const purpose: Purpose = random.pick(PURPOSES);
    const other = users.find((u) => u !== user) ?? 'conformance-stranger';
    const viewer = {
      self: () => viewers.self(user, purpose),
      agent: () => viewers.agent(bankId, purpose, true),
      thirdParty: () => viewers.self(user, purpose, 'third-party'),
      otherUser: () => viewers.otherUser(other, purpose),
      otherAgent: () => viewers.agent(OTHER_BANK, purpose, false),
      anonymous: () => viewers.anonymous(),
      reviewer: () => viewers.reviewer(purpose),
    }[random.weighted({ self: 7, agent: 4, thirdParty: 2, otherUser: 2, otherAgent: 2, anonymous: 1, reviewer: 1 })]();
    const nullableOnly = random.chance(0.3);
    const accountFields = random.subset(nullableOnly ? NULLABLE_ACCOUNT_SELECTIONS : ACCOUNT_SELECTIONS);
    const transactionFields = () => (nullableOnly ? random.subset(NULLABLE_TRANSACTION_SELECTIONS).join(' ') || '__typename' : `id ${random.subset(TRANSACTION_SELECTIONS).join(' ')}`);
    const transactions = random.chance(0.6) ? { first: random.int(1, 25), fields: random.subset(TRANSACTION_SELECTIONS) } : undefined;
    const accounts = [...truth.accounts].filter(([, owner]) => owner === user).map(([id]) => id);
    const rows = [...truth.transactions].filter(([, row]) => row.owner === user).map(([id]) => id);
    // Judged as of the moment the request left (an expiry may pass while it is on its way).
    judge.sentAt = new Date();
    switch (random.weighted({ user: 4, account: 2, transaction: 2, entities: 2 })) {
      case 'user': {
        const res = await caller.as(viewer, ENTITIES(`... on User { accounts { ${accountSelection(accountFields, transactions)} } ${random.chance(0.3) ? OWN_LISTINGS : ''} }`), { r: [userRep(user)] }, {}, user);
        judge.user(res.body?.data?._entities?.[0], viewer, user);
        break;
      }
      case 'account': {
        const id = random.pick(accounts);
        const res = await caller.as(viewer, `query($a: ID!) { bankAccount(id: $a) { ${accountSelection(accountFields, transactions, !nullableOnly)} } }`, { a: id }, {}, user);
        judge.reference(res.body?.data?.bankAccount, viewer, user, `bankAccount(id: "${id}")`);
        judge.account(res.body?.data?.bankAccount, viewer, id, user);
        break;
      }
      case 'transaction': {
        const id = random.pick(rows);
        const res = await caller.as(viewer, `query($t: ID!) { cardTransaction(id: $t) { ${transactionFields()} } }`, { t: id }, {}, user);
        judge.reference(res.body?.data?.cardTransaction, viewer, user, `cardTransaction(id: "${id}")`);
        judge.transaction(res.body?.data?.cardTransaction, viewer, id);
        break;
      }
      default: {
        const account = random.pick(accounts);
        const txn = random.pick(rows);
        const res = await caller.as(viewer, ENTITIES(`... on BankAccount { ${accountSelection(accountFields, transactions, !nullableOnly)} } ... on CardTransaction { ${transactionFields()} }`), {
          r: [{ __typename: 'BankAccount', id: account }, { __typename: 'CardTransaction', id: txn }],
        }, {}, user);
        const [a, t] = res.body?.data?._entities ?? [];
        judge.account(a, viewer, account, user);
        judge.transaction(t, viewer, txn);
      }
    }
  }
  for (const user of users) for (const c of book.active(user)) await revokeAs(caller, user, c._id, book);
  const vacuous = judge.revealed === 0;
  return {
    ok: !vacuous && judge.findings.length === 0,
    summary: `${runs} random requests (seed ${options.seed ?? 1}; ${grants} grants, ${shortLived.length} of them expiring within seconds, ${revokes} revokes), ${judge.revealed} protected values rightly revealed: ${
      vacuous ? 'nothing was ever revealed, so nothing was proven (do the test customers have accounts and transactions?)' : judge.findings.length ? `${judge.findings.length} leak(s)` : 'no leak'
    }`,
    details: judge.findings,
  };
}

// ---- the report ------------------------------------------------------------------------------------

export function formatReport(report: ConformanceReport): string {
  const lines = [`check:bank ${report.url} (bank ${report.bankId}, seed ${report.seed})`];
  for (const check of report.checks) {
    lines.push(`  ${check.ok ? '✓' : '✗'} ${check.name}: ${check.summary}`);
    for (const detail of check.details.slice(0, 12)) lines.push(`      - ${detail}`);
    if (check.details.length > 12) lines.push(`      … and ${check.details.length - 12} more`);
  }
  const failed = report.checks.filter((c) => !c.ok).length;
  lines.push(failed ? `FAILED: ${failed} of ${report.checks.length} checks` : `PASSED: all ${report.checks.length} checks`);
  return lines.join('\n');
}
