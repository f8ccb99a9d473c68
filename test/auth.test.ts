// Identity from the outside: bad client tokens are refused at the gateway with a clear error,
// and subgraphs answer nobody but the gateway.
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { decodeProtectedHeader, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bankAudience, keyId, mintInternalToken, parseGatewayKeys, verifyInternalToken } from '@consent-gateway/kit/internal-token';
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

describe('gateway key rotation: a subgraph may hold several gateway keys', () => {
  const identity = { sub: 'alice', roles: ['user' as const] };
  const pair = () => generateKeyPairSync('ed25519');
  const pem = (key: ReturnType<typeof pair>['publicKey']) => key.export({ type: 'spki', format: 'pem' }).toString();

  it('reads every public key of a PEM file (the old and the new one, one after the other), and refuses a file with none', () => {
    const [a, b] = [pair(), pair()];
    const keys = parseGatewayKeys(`${pem(a.publicKey)}\n${pem(b.publicKey)}`);
    expect(keys.map((k) => k.export({ type: 'spki', format: 'pem' }).toString())).toEqual([pem(a.publicKey), pem(b.publicKey)]);
    expect(() => parseGatewayKeys('not a key')).toThrow(/no PEM public key/);
  });

  it("names its key in the token (kid, the key's thumbprint); a subgraph picks that key, and refuses a key it does not hold", async () => {
    const [old, next, stranger] = [pair(), pair(), pair()];
    const token = await mintInternalToken({ identity, requestId: 'r' }, 'messaging', next.privateKey);
    expect(decodeProtectedHeader(token).kid).toBe(await keyId(next.publicKey));
    // During the rotation the subgraph holds both: the new gateway key is accepted...
    expect((await verifyInternalToken(token, 'messaging', [old.publicKey, next.publicKey])).identity.sub).toBe('alice');
    // ...and so is a token of the old one, until the old key is removed.
    const before = await mintInternalToken({ identity, requestId: 'r' }, 'messaging', old.privateKey);
    expect((await verifyInternalToken(before, 'messaging', [old.publicKey, next.publicKey])).identity.sub).toBe('alice');
    await expect(verifyInternalToken(before, 'messaging', [next.publicKey])).rejects.toThrow(/does not hold/);
    // A key the subgraph never held, kid or not, gets nowhere.
    await expect(verifyInternalToken(await mintInternalToken({ identity, requestId: 'r' }, 'messaging', stranger.privateKey), 'messaging', [old.publicKey, next.publicKey])).rejects.toThrow(/invalid gateway token/);
    const noKid = await new SignJWT({ request_id: 'r' }).setProtectedHeader({ alg: 'EdDSA' }).setIssuer('consent-gateway').setAudience('messaging').setExpirationTime('1m').sign(stranger.privateKey);
    await expect(verifyInternalToken(noKid, 'messaging', [old.publicKey, next.publicKey])).rejects.toThrow(/signature/);
    // A kid that names a key it holds, on a token signed by another key: the signature decides.
    const forgedKid = await new SignJWT({ request_id: 'r' }).setProtectedHeader({ alg: 'EdDSA', kid: await keyId(next.publicKey) }).setIssuer('consent-gateway').setAudience('messaging').setExpirationTime('1m').sign(stranger.privateKey);
    await expect(verifyInternalToken(forgedKid, 'messaging', [old.publicKey, next.publicKey])).rejects.toThrow(/signature/);
  });
});
