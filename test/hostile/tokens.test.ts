// Hostile tokens at the gateway and at a subgraph: every forged, altered, replayed, expired or
// confused token is refused with 401 UNAUTHENTICATED, no data, nothing internal.
import { createHmac, createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { SignJWT, exportJWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { mintInternalToken } from '@consent-gateway/kit/internal-token';
import { DEV_AUDIENCE, DEV_ISSUER } from '../../scripts/dev-keys.ts';
import { postGraphQL } from '../support/stack.ts';
import { afterTheSuite, expectNoInternals, expectRefusal, hostileStack } from './support.ts';

const hostile = hostileStack();
const ME = '{ me { displayName email } }';
const ALICE_EMAIL = 'alice@example.org';

const idpKey = () => createPrivateKey(readFileSync(hostile.stack.keys.idpPrivate, 'utf8'));
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const claims = (extra: Record<string, unknown> = {}) => ({ client: 'messenger-web', roles: ['user'], purpose: 'customer_service', ...extra });

async function sign(options: { claims?: Record<string, unknown>; sub?: string; exp?: number | string; header?: Record<string, unknown>; key?: Parameters<SignJWT['sign']>[0] } = {}) {
  const jwt = new SignJWT(options.claims ?? claims())
    .setProtectedHeader({ alg: 'ES256', ...options.header })
    .setIssuer(DEV_ISSUER)
    .setAudience(DEV_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(options.exp ?? '10m');
  if (options.sub !== '') jwt.setSubject(options.sub ?? 'alice');
  return jwt.sign(options.key ?? idpKey());
}

async function refusedAtGateway(token: string) {
  const res = await hostile.stack.query(ME, {}, { headers: { authorization: `Bearer ${token}` } });
  expectRefusal(res, 401, 'UNAUTHENTICATED', [ALICE_EMAIL]);
  return res;
}

describe('tokens at the gateway', () => {
  it('a valid token is accepted (control)', async () => {
    const res = await hostile.stack.query(ME, {}, { token: await sign() });
    expect(res.body.data.me.email).toBe(ALICE_EMAIL);
  });

  it('an expired token', async () => refusedAtGateway(await sign({ exp: Math.floor(Date.now() / 1000) - 600 })));

  it('a token without an expiry', async () => {
    const unsigned = new SignJWT(claims()).setProtectedHeader({ alg: 'ES256' }).setIssuer(DEV_ISSUER).setAudience(DEV_AUDIENCE).setSubject('alice');
    await refusedAtGateway(await unsigned.sign(idpKey()));
  });

  it('alg "none"', async () => {
    const now = Math.floor(Date.now() / 1000);
    await refusedAtGateway(`${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'alice', iss: DEV_ISSUER, aud: DEV_AUDIENCE, exp: now + 600, ...claims() })}.`);
  });

  it('HS256 signed with the public key as the HMAC secret (key confusion)', async () => {
    const publicPem = readFileSync(hostile.stack.keys.idpPublic, 'utf8');
    const now = Math.floor(Date.now() / 1000);
    const input = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub: 'alice', iss: DEV_ISSUER, aud: DEV_AUDIENCE, exp: now + 600, ...claims() })}`;
    await refusedAtGateway(`${input}.${createHmac('sha256', publicPem).update(input).digest('base64url')}`);
  });

  it('a valid signature under an altered payload (sub changed to bob)', async () => {
    const [header, payload, signature] = (await sign()).split('.') as [string, string, string];
    const altered = { ...JSON.parse(Buffer.from(payload, 'base64url').toString()), sub: 'bob' };
    await refusedAtGateway(`${header}.${b64(altered)}.${signature}`);
  });

  it('the signature stripped off', async () => {
    const [header, payload] = (await sign()).split('.') as [string, string];
    await refusedAtGateway(`${header}.${payload}.`);
  });

  it('signed by an attacker who embeds their own key in the header (jwk)', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    await refusedAtGateway(await sign({ key: privateKey, header: { jwk: await exportJWK(publicKey) } }));
  });

  it('signed by an attacker pointing at their own key set (jku, x5u): nothing is fetched', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    await refusedAtGateway(await sign({ key: privateKey, header: { jku: 'https://attacker.example/jwks.json', x5u: 'https://attacker.example/cert.pem', kid: 'attacker' } }));
  });

  it('a token for another audience', async () => {
    const token = await new SignJWT(claims()).setProtectedHeader({ alg: 'ES256' }).setIssuer(DEV_ISSUER).setAudience('another-api').setSubject('alice').setExpirationTime('10m').sign(idpKey());
    await refusedAtGateway(token);
  });

  it("the gateway's own internal token replayed to the gateway", async () => {
    const key = createPrivateKey(readFileSync(hostile.stack.keys.gatewayPrivate, 'utf8'));
    const identity = { sub: 'alice', client: 'messenger-web', clientType: 'first-party' as const, roles: ['user' as const] };
    await refusedAtGateway(await mintInternalToken({ identity, requestId: 'replay' }, 'user-profile', key));
  });

  it('an empty subject', async () => refusedAtGateway(await sign({ sub: '' })));
  it('no client claim', async () => refusedAtGateway(await sign({ claims: { roles: ['user'] } })));
  it('an unregistered client app', async () => refusedAtGateway(await sign({ claims: claims({ client: 'scraper' }) })));
  it('roles that are not a list', async () => refusedAtGateway(await sign({ claims: claims({ roles: 'security_reviewer' }) })));
  it('an invented role', async () => refusedAtGateway(await sign({ claims: claims({ roles: ['admin'] }) })));
  it('a bank agent without a bank', async () => refusedAtGateway(await sign({ claims: claims({ roles: ['bank_agent'] }) })));
  it('the purpose "advertising"', async () => refusedAtGateway(await sign({ claims: claims({ purpose: 'advertising' }) })));

  it.each([
    ['Basic credentials', 'Basic YWxpY2U6c2VjcmV0'],
    ['"Bearer" without a token', 'Bearer'],
    ['two tokens', 'Bearer a.b.c d.e.f'],
    ['random bytes', `Bearer ${Buffer.from('\u0000\u00ff garbage').toString('base64')}`],
  ])('an Authorization header with %s', async (_what, header) => {
    const res = await hostile.stack.query(ME, {}, { headers: { authorization: header } });
    expectRefusal(res, 401, 'UNAUTHENTICATED', [ALICE_EMAIL]);
  });

  it('a refused token says why without echoing it', async () => {
    const token = await sign({ exp: Math.floor(Date.now() / 1000) - 600 });
    const res = await refusedAtGateway(token);
    expect(res.body.errors![0]!.message).toMatch(/expired/);
    expect(JSON.stringify(res.body)).not.toContain(token.split('.')[1]!);
  });
});

describe('tokens at a subgraph (reachable from outside, answers the gateway only)', () => {
  const ENTITY = { query: 'query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id email } } }', variables: { r: [{ __typename: 'User', id: 'alice' }] } };
  const url = () => `${hostile.stack.serviceUrls()['user-profile']}/graphql`;
  const gatewayKey = () => createPrivateKey(readFileSync(hostile.stack.keys.gatewayPrivate, 'utf8'));
  const identity = { sub: 'alice', client: 'messenger-web', clientType: 'first-party' as const, roles: ['user' as const], purpose: 'customer_service' as const };

  it("a client's token replayed to the subgraph", async () => {
    const res = await postGraphQL(url(), ENTITY, { authorization: `Bearer ${await sign()}` });
    expectRefusal(res, 401, 'UNAUTHENTICATED', [ALICE_EMAIL]);
  });

  it('an internal token that has expired', async () => {
    const now = Math.floor(Date.now() / 1000);
    const expired = await new SignJWT({ client: 'messenger-web', client_type: 'first-party', roles: ['user'], request_id: 'old' })
      .setProtectedHeader({ alg: 'EdDSA' })
      .setIssuer('consent-gateway')
      .setAudience('user-profile')
      .setSubject('alice')
      .setIssuedAt(now - 600)
      .setExpirationTime(now - 300)
      .sign(gatewayKey());
    const res = await postGraphQL(url(), ENTITY, { authorization: `Bearer ${expired}` });
    expectRefusal(res, 401, 'UNAUTHENTICATED', [ALICE_EMAIL]);
  });

  it('an internal token for another subgraph', async () => {
    const res = await postGraphQL(url(), ENTITY, { authorization: `Bearer ${await mintInternalToken({ identity, requestId: 'r' }, 'messaging', gatewayKey())}` });
    expectRefusal(res, 401, 'UNAUTHENTICATED', [ALICE_EMAIL]);
  });

  it('forged identity headers without a token', async () => {
    const res = await postGraphQL(url(), ENTITY, { 'x-user-id': 'alice', 'x-roles': 'user', 'x-client-type': 'first-party' });
    expectRefusal(res, 401, 'UNAUTHENTICATED', [ALICE_EMAIL]);
  });

  it('the right internal token is accepted (control)', async () => {
    const res = await postGraphQL(url(), ENTITY, { authorization: `Bearer ${await mintInternalToken({ identity, requestId: 'ok' }, 'user-profile', gatewayKey())}` });
    expect(res.body.data._entities[0].email).toBe(ALICE_EMAIL);
    expectNoInternals(res);
  });
});

afterTheSuite(hostile);
