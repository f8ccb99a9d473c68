// Floods: per signed-in user, per client app (all its users together, with a registry override),
// per address for anonymous callers and for failed tokens. A refusal is 429 RATE_LIMITED with an
// honest Retry-After; spoofed forwarding headers do not buy a new allowance. (The limits here are
// tiny so that a handful of requests shows them; the defaults are in the README.)
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CLIENT_REGISTRY_FILE } from '../../gateway/clients.ts';
import { postGraphQL, type GraphQLResponse } from '../support/stack.ts';
import { afterTheSuite, expectRefusal, hostileStack } from './support.ts';

const registry = join(mkdtempSync(join(tmpdir(), 'clients-')), 'clients.json');
writeFileSync(
  registry,
  JSON.stringify({
    ...JSON.parse(readFileSync(DEFAULT_CLIENT_REGISTRY_FILE, 'utf8')),
    'tiny-app': { type: 'first-party', name: 'An app with a small limit of its own', rateLimit: { perSecond: 1, burst: 3 } },
  }),
);

const hostile = hostileStack({
  env: {
    CLIENT_REGISTRY_FILE: registry,
    RATE_LIMIT_USER_BURST: '5',
    RATE_LIMIT_USER_PER_SECOND: '1',
    RATE_LIMIT_CLIENT_BURST: '12',
    RATE_LIMIT_CLIENT_PER_SECOND: '1',
    RATE_LIMIT_ANONYMOUS_BURST: '3',
    RATE_LIMIT_ANONYMOUS_PER_SECOND: '1',
  },
});

const ME = '{ me { displayName } }';

/** Sends until the first 429 (at most `max` requests); returns every response. */
async function flood(send: (i: number) => Promise<GraphQLResponse & { retryAfter?: string | null }>, max = 30) {
  const responses: Array<GraphQLResponse & { retryAfter?: string | null }> = [];
  for (let i = 0; i < max; i++) {
    const res = await send(i);
    responses.push(res);
    if (res.status === 429) break;
  }
  return responses;
}

async function post(body: unknown, headers: Record<string, string> = {}) {
  const res = await postGraphQL(hostile.stack.gatewayUrl, body, headers);
  return { ...res, retryAfter: res.headers.get('retry-after') };
}

const bearer = async (sub: string, client = 'bank-console') => ({ authorization: `Bearer ${await hostile.stack.token({ sub, client })}` });

describe('per signed-in user', () => {
  it('a burst beyond the allowance is refused with 429 and Retry-After', async () => {
    const headers = await bearer('alice');
    const responses = await flood(() => post({ query: ME }, headers));
    const refused = responses.at(-1)!;
    expect(responses.length).toBeGreaterThanOrEqual(6);
    expect(responses.slice(0, 5).every((r) => r.status === 200)).toBe(true);
    expectRefusal(refused, 429, 'RATE_LIMITED');
    expect(refused.body.errors![0]!.extensions).toMatchObject({ limit: 'user', retryAfterSeconds: 1 });
    expect(refused.retryAfter).toBe('1');
  });

  it('another user of the same app is not held back by it', async () => {
    const res = await post({ query: ME }, await bearer('bob'));
    expect(res.status).toBe(200);
    expect(res.body.data.me.displayName).toBe('Bob Okafor');
  });

  it('Retry-After is honest: after waiting that long, the next request passes', async () => {
    const headers = await bearer('carol');
    const refused = (await flood(() => post({ query: ME }, headers))).at(-1)!;
    expect(refused.status).toBe(429);
    await new Promise((r) => setTimeout(r, Number(refused.retryAfter) * 1000 + 100));
    expect((await post({ query: ME }, headers)).status).toBe(200);
  });
});

describe('per client app', () => {
  it('all its users together share its allowance', async () => {
    const responses = await flood(async (i) => post({ query: ME }, await bearer(`user-${i}`, 'messenger-ios')));
    const refused = responses.at(-1)!;
    expectRefusal(refused, 429, 'RATE_LIMITED');
    expect(refused.body.errors![0]!.extensions!.limit).toBe('client app');
  });

  it('a client registered with a limit of its own gets that one', async () => {
    const responses = await flood(async (i) => post({ query: ME }, await bearer(`tiny-${i}`, 'tiny-app')));
    expect(responses.length).toBeLessThanOrEqual(5);
    expect(responses.at(-1)!.body.errors![0]!.message).toMatch(/at most 3 at once, 1 per second/);
  });
});

describe('per address', () => {
  it('failed tokens count: guessing tokens is rate limited', async () => {
    const responses = await flood(() => post({ query: ME }, { authorization: 'Bearer forged.token.value' }));
    expect(responses.slice(0, -1).map((r) => r.status)).toEqual(Array(responses.length - 1).fill(401));
    expect(responses.length).toBeGreaterThanOrEqual(4); // the burst of 3 (a slow machine may see a token refilled)
    expectRefusal(responses.at(-1)!, 429, 'RATE_LIMITED');
  });

  it('anonymous requests', async () => {
    await new Promise((r) => setTimeout(r, 3_100)); // the address's bucket refills (3 at 1 per second)
    const responses = await flood(() => post({ query: '{ banks { id } }' }));
    expect(responses.slice(0, -1).map((r) => r.status)).toEqual(Array(responses.length - 1).fill(200));
    expect(responses.length).toBeGreaterThanOrEqual(4);
    const refused = responses.at(-1)!;
    expectRefusal(refused, 429, 'RATE_LIMITED');
    expect(refused.body.errors![0]!.extensions!.limit).toBe('address');
  });

  it('a spoofed X-Forwarded-For does not buy a fresh allowance', async () => {
    const spoofed = (i: number) => ({ 'x-forwarded-for': `198.51.100.${i}`, 'x-real-ip': `198.51.100.${i}`, forwarded: `for=198.51.100.${i}` });
    const responses = await flood((i) => post({ query: '{ banks { id } }' }, spoofed(i)), 10);
    expect(responses.at(-1)!.status).toBe(429);
  });
});

afterTheSuite(hostile);
