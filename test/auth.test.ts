// Identity from the outside: bad client tokens are refused at the gateway with a clear error,
// and subgraphs answer nobody but the gateway.
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bankAudience, mintInternalToken } from '@consent-gateway/kit/internal-token';
import { DEV_AUDIENCE, DEV_ISSUER } from '../scripts/dev-keys.ts';
import { forbiddenAt, postGraphQL, startTestStack, type TestStack } from './support/stack.ts';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack?.close());

const ME = '{ me { displayName } }';
const idpKey = () => createPrivateKey(readFileSync(stack.keys.idpPrivate, 'utf8'));

function claims(overrides: Record<string, unknown> = {}) {
  return { client: 'messenger-web', roles: ['user'], purpose: 'customer_service', ...overrides };
}

async function sign(options: { claims?: Record<string, unknown>; issuer?: string; audience?: string; exp?: number | string; nbf?: number; key?: ReturnType<typeof createPrivateKey>; alg?: string } = {}) {
  const jwt = new SignJWT(options.claims ?? claims())
    .setProtectedHeader({ alg: options.alg ?? 'ES256' })
    .setSubject('alice')
    .setIssuer(options.issuer ?? DEV_ISSUER)
    .setAudience(options.audience ?? DEV_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(options.exp ?? '10m');
  if (options.nbf) jwt.setNotBefore(options.nbf);
  return jwt.sign(options.key ?? idpKey());
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

async function refused(token: string, message: RegExp) {
  const res = await stack.query(ME, {}, { token });
  expect(res.status).toBe(401);
  expect(res.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  expect(res.body.errors?.[0]?.message).toMatch(message);
  expect(res.body.data).toBeUndefined();
}

describe('client tokens at the gateway', () => {
  it('accepts a valid token', async () => {
    const res = await stack.query(ME, {}, { token: await sign() });
    expect(res.body.data.me.displayName).toBe('Alice Martin');
  });

  it('treats a request without a token as anonymous: nothing private resolves', async () => {
    const res = await stack.query(ME);
    expect(res.body.data.me).toBeNull();
    expect(forbiddenAt(res, 'me')).toBe('NOT_AUTHENTICATED');
    const banks = await stack.query('{ banks { id name } }');
    expect(banks.body.data.banks.map((b: any) => b.id)).toEqual(['contoso', 'northwind']);
  });

  it('refuses a malformed token', () => refused('not-a-jwt', /malformed/));
  it('refuses a non-Bearer header', async () => {
    const res = await postGraphQL(stack.gatewayUrl, { query: ME }, { authorization: 'Basic YWxpY2U6cGFzcw==' });
    expect(res.status).toBe(401);
    expect(res.body.errors?.[0]?.message).toMatch(/Bearer/);
  });
  it('refuses an expired token', async () => refused(await sign({ exp: Math.floor(Date.now() / 1000) - 3600 }), /expired/));
  it('refuses a token not valid yet', async () => refused(await sign({ nbf: Math.floor(Date.now() / 1000) + 3600 }), /nbf/));
  it('refuses a wrong issuer', async () => refused(await sign({ issuer: 'https://evil.example/' }), /"iss"/));
  it('refuses a wrong audience', async () => refused(await sign({ audience: 'another-api' }), /"aud"/));
  it('refuses a token signed with an unknown key', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    await refused(await sign({ key: privateKey }), /signature/);
  });
  it('refuses alg: none', async () => {
    const now = Math.floor(Date.now() / 1000);
    const unsigned = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'alice', iss: DEV_ISSUER, aud: DEV_AUDIENCE, exp: now + 600, ...claims() })}.`;
    await refused(unsigned, /algorithm|malformed|not valid/);
  });
  it('refuses an algorithm outside the allow-list', async () => {
    const header = b64({ alg: 'HS256', typ: 'JWT' });
    await refused(`${header}.${b64({ sub: 'alice' })}.c2ln`, /algorithm/);
  });
  it('refuses an unknown purpose such as advertising', async () => refused(await sign({ claims: claims({ purpose: 'advertising' }) }), /purpose "advertising" is not allowed/));
  it('refuses an unregistered client app', async () => refused(await sign({ claims: claims({ client: 'scraper' }) }), /unknown client app "scraper"/));
  it('refuses a bank agent token without a bank', async () => refused(await sign({ claims: claims({ roles: ['bank_agent'] }) }), /needs a "bank" claim/));
  it('refuses an unknown role', async () => refused(await sign({ claims: claims({ roles: ['admin'] }) }), /roles/));

  it('ignores forged identity headers: the identity comes from the token alone', async () => {
    const bob = await stack.token({ sub: 'bob' });
    const res = await stack.query('{ me { id email } }', {}, { token: bob, headers: { 'x-user-id': 'alice', 'x-roles': 'security_reviewer' } });
    expect(res.body.data.me).toEqual({ id: 'bob', email: 'bob@example.org' });
  });
});

describe('subgraphs answer the gateway only, and each bank only tokens minted for it', () => {
  const ENTITY = { query: 'query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id accounts { id } } } }', variables: { r: [{ __typename: 'User', id: 'alice' }] } };
  const url = () => `${stack.banks.northwind!.url}/graphql`;
  const identity = { sub: 'alice', client: 'messenger-web', clientType: 'first-party' as const, roles: ['user' as const], purpose: 'customer_service' as const };
  const gatewayKey = () => createPrivateKey(readFileSync(stack.keys.gatewayPrivate, 'utf8'));

  it('returns 401 without a gateway token', async () => {
    const res = await postGraphQL(url(), ENTITY);
    expect(res.status).toBe(401);
    expect(res.body.errors?.[0]?.message).toMatch(/missing gateway token/);
  });

  it('returns 401 for forged identity headers', async () => {
    const res = await postGraphQL(url(), ENTITY, { 'x-user-id': 'alice', 'x-purpose': 'customer_service', 'x-client-type': 'first-party' });
    expect(res.status).toBe(401);
  });

  it('returns 401 for a client token replayed against a subgraph', async () => {
    const res = await postGraphQL(url(), ENTITY, { authorization: `Bearer ${await stack.token({ sub: 'alice' })}` });
    expect(res.status).toBe(401);
  });

  it.each([
    ['another subgraph', 'messaging'],
    ['another bank', bankAudience('contoso')],
    ['the bank subgraph of no bank in particular', 'bank-account'],
  ])('returns 401 for a gateway token minted for %s', async (_name, audience) => {
    const token = await mintInternalToken({ identity, requestId: 'r1' }, audience, gatewayKey());
    const res = await postGraphQL(url(), ENTITY, { authorization: `Bearer ${token}` });
    expect(res.status).toBe(401);
    expect(res.body.errors?.[0]?.message).toMatch(/aud/);
    // The same identity with this bank's audience is accepted: the refusal above was the audience.
    const right = await mintInternalToken({ identity, requestId: 'r2' }, bankAudience('northwind'), gatewayKey());
    const ok = await postGraphQL(url(), ENTITY, { authorization: `Bearer ${right}` });
    expect(ok.status).toBe(200);
    expect(ok.body.data._entities[0].accounts.length).toBe(2);
  });

  it("a northwind token is refused by contoso, which accepts its own", async () => {
    const contoso = `${stack.banks.contoso!.url}/graphql`;
    const northwindToken = await mintInternalToken({ identity, requestId: 'r4' }, bankAudience('northwind'), gatewayKey());
    expect((await postGraphQL(contoso, ENTITY, { authorization: `Bearer ${northwindToken}` })).status).toBe(401);
    const own = await mintInternalToken({ identity, requestId: 'r5' }, bankAudience('contoso'), gatewayKey());
    expect((await postGraphQL(contoso, ENTITY, { authorization: `Bearer ${own}` })).status).toBe(200);
  });

  it('returns 401 for a token signed by someone else claiming to be the gateway', async () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const token = await mintInternalToken({ identity: { sub: 'alice', roles: ['user'] }, requestId: 'r3' }, bankAudience('northwind'), privateKey);
    const res = await postGraphQL(url(), ENTITY, { authorization: `Bearer ${token}` });
    expect(res.status).toBe(401);
  });
});
