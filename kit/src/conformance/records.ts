// The records routes every bank built with the kit serves for the gateway (records-routes.ts):
// only the gateway's token for this bank opens them; the decision records are for security
// reviewers only, and each with its place in a hash chain; a customer's export holds their own
// consents only; export and erasure are for the customer themself. No erasure is ever run here:
// it would cut the test customer from their accounts.
import type { KeyObject } from 'node:crypto';
import { generateKeyPairSync } from 'node:crypto';
import { bankAudience, mintInternalToken } from '../internal-token.ts';
import { RECORDS_ROUTES } from '../records-routes.ts';
import { viewers, type Answer, type Caller, type Viewer } from './caller.ts';

const HASH = /^[0-9a-f]{64}$/;
const status = (answer: Answer) => `HTTP ${answer.status}${answer.body?.errors?.[0] ? ` (${answer.body.errors[0].extensions?.code ?? answer.body.errors[0].message})` : ''}`;

export async function recordsChecks(caller: Caller, bankId: string, users: string[]) {
  const details: string[] = [];
  const customer = viewers.self(users[0]!, 'customer_service');
  const strangers: Viewer[] = [
    viewers.anonymous(),
    viewers.self(users[0]!, 'customer_service', 'third-party'),
    viewers.agent(bankId, 'customer_service', true),
    viewers.agent(bankId, 'customer_service', false),
  ];
  const otherKey = generateKeyPairSync('ed25519').privateKey as KeyObject;
  const badTokens: Array<[string, Record<string, string>]> = [
    ['no token', {}],
    ['forged identity headers', { 'x-user-id': users[0]!, 'x-roles': 'security_reviewer' }],
    ['a gateway token for another bank', { authorization: `Bearer ${await caller.tokenFor(viewers.reviewer('customer_service'), bankAudience('conformance-other-bank'))}` }],
    ['a token signed by another key', { authorization: `Bearer ${await mintInternalToken({ identity: viewers.reviewer('customer_service'), requestId: 'conformance' }, bankAudience(bankId), otherKey)}` }],
  ];
  for (const path of Object.values(RECORDS_ROUTES)) {
    for (const [what, headers] of badTokens) {
      const answer = await caller.route(path, headers, { limit: 5 });
      if (answer.status !== 401) details.push(`${path} with ${what}: ${status(answer)}, expected 401`);
    }
  }

  const reviewer = await caller.route(RECORDS_ROUTES.auditEvents, viewers.reviewer('customer_service'), { limit: 20 });
  const records = (reviewer.body as { records?: Array<Record<string, unknown>> } | undefined)?.records;
  if (reviewer.status !== 200 || !Array.isArray(records)) details.push(`a security reviewer cannot read the decision records: ${status(reviewer)}`);
  else if (records.length === 0) details.push('a security reviewer reads no decision record, not even the record of that read');
  for (const record of records ?? []) {
    if (typeof record.chain !== 'string' || !Number.isInteger(record.seq) || !HASH.test(String(record.hash)) || !HASH.test(String(record.prev))) {
      details.push(`decision record ${String(record._id)} has no place in a hash chain (chain, seq, prev, hash)`);
      break;
    }
  }
  for (const viewer of [customer, ...strangers]) {
    const answer = await caller.route(RECORDS_ROUTES.auditEvents, viewer, { limit: 5 });
    if (answer.status !== 403) details.push(`${viewer.label} asked for the decision records: ${status(answer)}, expected 403`);
  }

  details.push(...(await exportLeaks(caller, users[0]!)));
  for (const viewer of [...strangers, viewers.reviewer('customer_service')]) {
    for (const path of [RECORDS_ROUTES.export, RECORDS_ROUTES.erase]) {
      const answer = await caller.route(path, viewer);
      if (answer.status !== 403) details.push(`${viewer.label} asked ${path}: ${status(answer)}, expected 403`);
    }
  }
  return {
    summary: details.length
      ? `${details.length} problem(s) with the records routes`
      : 'records routes: gateway token only; decision records for reviewers only, each in a hash chain; export and erasure for the customer themself only',
    details,
  };
}

/**
 * Whose consents a customer's export holds: their own only, by the export's own fields and, once
 * the checks have granted consents, by their record of who granted which (`ownerOf`). Run before
 * any grant and again after (a store that forgets its user filter shows only when others have
 * consents).
 */
export async function exportLeaks(caller: Caller, user: string, ownerOf: (consentId: string) => string | undefined = () => undefined): Promise<string[]> {
  const customer = viewers.self(user, 'customer_service');
  const exported = await caller.route(RECORDS_ROUTES.export, customer);
  type Exported = { id?: string; _id?: string; userId?: string; bankId?: string; receipt?: { userId?: string } };
  const consents = (exported.body as { consents?: Exported[] } | undefined)?.consents;
  if (exported.status !== 200 || !Array.isArray(consents)) return [`${customer.label} cannot export their data: ${status(exported)}`];
  const foreign = consents.flatMap((c) => {
    const id = c.id ?? c._id;
    const granter = id ? ownerOf(id) : undefined;
    const theirs = c.userId === user && c.receipt?.userId === user && (granter === undefined || granter === user);
    return theirs ? [] : [`${id ?? 'no id'}${granter && granter !== user ? ` granted by ${granter}` : c.userId && c.userId !== user ? ` of ${c.userId}` : ''}`];
  });
  const leaks = foreign.length ? [`the export of ${user} holds ${foreign.length} consent(s) of someone else: ${foreign.slice(0, 3).join(', ')}${foreign.length > 3 ? ', …' : ''}`] : [];
  // Its access log: reads of this customer's data only (a request the checks made about someone else is another customer's).
  const accessLog = (exported.body as { accessLog?: Array<{ requestId?: string }> } | undefined)?.accessLog ?? [];
  const others = accessLog.flatMap((e) => {
    const about = e.requestId ? caller.subjectOf(e.requestId) : undefined;
    return about !== undefined && about !== user ? [`${e.requestId} (about ${about})`] : [];
  });
  if (others.length) leaks.push(`the export of ${user} lists ${others.length} read(s) of someone else's data in its access log: ${others.slice(0, 3).join(', ')}${others.length > 3 ? ', …' : ''}`);
  return leaks;
}
