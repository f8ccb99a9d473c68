// How the conformance checks reach a bank: as the gateway would (a token signed with the gateway's
// key, audience `bank:<id>`, carrying an identity), or as anyone else might try.
import { randomUUID } from 'node:crypto';
import type { CryptoKey, KeyObject } from 'jose';
import { besideGraphql } from '../http.ts';
import type { ClientType, Identity, Purpose } from '../identity.ts';
import { bankAudience, mintInternalToken, type InternalClaims } from '../internal-token.ts';

export interface Answer {
  status: number;
  body: { data?: any; errors?: Array<{ message: string; path?: Array<string | number>; extensions?: Record<string, any> }> } | undefined;
}

export type Viewer = Identity & { label: string };

/** The viewers the checks act as: the customer, the bank's agents, and everybody who must get nothing. */
export const viewers = {
  anonymous: (): Viewer => ({ label: 'an anonymous request', roles: [] }),
  self: (user: string, purpose: Purpose, clientType: ClientType = 'first-party'): Viewer => ({
    label: `${user} ${clientType === 'first-party' ? 'themself' : 'in a third-party app'} (purpose ${purpose})`,
    sub: user,
    client: clientType === 'first-party' ? 'conformance-first-party' : 'conformance-third-party',
    clientType,
    roles: ['user'],
    purpose,
  }),
  otherUser: (user: string, purpose: Purpose): Viewer => ({ ...viewers.self(user, purpose), label: `another customer, ${user} (purpose ${purpose})` }),
  agent: (bankId: string, purpose: Purpose, own: boolean): Viewer => ({
    label: `${own ? 'an agent of this bank' : 'an agent of another bank'} (purpose ${purpose})`,
    sub: own ? 'conformance-agent' : 'conformance-other-agent',
    client: 'conformance-console',
    clientType: 'first-party',
    roles: ['bank_agent'],
    bank: bankId,
    purpose,
  }),
  reviewer: (purpose: Purpose): Viewer => ({ label: 'a security reviewer', sub: 'conformance-reviewer', client: 'conformance-console', clientType: 'first-party', roles: ['security_reviewer'], purpose }),
};

export function createCaller(url: string, bankId: string, gatewayKey: CryptoKey | KeyObject) {
  const post = async (body: unknown, headers: Record<string, string> = {}): Promise<Answer> => {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body), signal: AbortSignal.timeout(30_000) });
    return { status: res.status, body: (await res.json().catch(() => undefined)) as Answer['body'] };
  };
  const tokenFor = (identity: Identity, audience = bankAudience(bankId), claims: Pick<InternalClaims, 'referenceFor' | 'deadline'> = {}, requestId = `conformance-${randomUUID()}`) =>
    mintInternalToken({ identity, requestId, ...claims }, audience, gatewayKey);
  // Whose data each request of the checks was about (when the check said): a customer's access
  // log that lists a request about someone else shows another customer's reads.
  const subjects = new Map<string, string>();
  /** A POST to one of the kit's records routes (beside the GraphQL endpoint), as `identity` or with the headers given. */
  const route = async (path: string, who: Identity | Record<string, string>, body: unknown = {}): Promise<Answer> => {
    const headers = 'roles' in who ? { authorization: `Bearer ${await tokenFor(who as Identity)}` } : (who as Record<string, string>);
    const res = await fetch(besideGraphql(url, path), { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body), signal: AbortSignal.timeout(30_000) });
    return { status: res.status, body: (await res.json().catch(() => undefined)) as Answer['body'] };
  };
  return {
    post,
    route,
    tokenFor,
    /**
     * A GraphQL request as the gateway would send it, for `identity` (and, on a reference check,
     * `referenceFor`); `about`: the customer whose data it reads, remembered by its request id.
     */
    as: async (identity: Identity, query: string, variables: Record<string, unknown> = {}, claims: Pick<InternalClaims, 'referenceFor'> = {}, about?: string) => {
      const requestId = `conformance-${randomUUID()}`;
      if (about !== undefined) subjects.set(requestId, about);
      return post({ query, variables }, { authorization: `Bearer ${await tokenFor(identity, bankAudience(bankId), claims, requestId)}` });
    },
    /** The customer a request of the checks was about, if it said. */
    subjectOf: (requestId: string): string | undefined => subjects.get(requestId),
  };
}
export type Caller = ReturnType<typeof createCaller>;
