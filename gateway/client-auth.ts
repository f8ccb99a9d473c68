// Client authentication at the edge: `Authorization: Bearer <JWT>` from the platform's identity
// provider, verified with jose (algorithm allow-list, issuer, audience, expiry, not-before, skew).
// No header means an anonymous request; a header that does not verify is refused outright.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from 'jose';
import { loadConfigFile } from '@consent-gateway/kit/config';
import { ANONYMOUS, PURPOSES, isPurpose, isRole, type Identity } from '@consent-gateway/kit/identity';
import { HttpError } from '@consent-gateway/kit/http';
import type { ClientRegistry } from './clients.ts';
import type { GatewayConfig } from './config.ts';

const refuse = (message: string) => new HttpError(401, message, 'UNAUTHENTICATED');

function explain(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'token expired';
  if (error instanceof errors.JWTClaimValidationFailed) return `token claim "${error.claim}" is not accepted (${error.reason})`;
  if (error instanceof errors.JOSEAlgNotAllowed) return 'token algorithm is not allowed';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'token signature does not verify';
  if (error instanceof errors.JWKSNoMatchingKey) return 'token is signed with an unknown key';
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) return 'token is malformed';
  return `token is not valid (${(error as Error).message})`;
}

export function identityFromClaims(payload: JWTPayload, clients: ClientRegistry): Identity {
  if (typeof payload.sub !== 'string' || !payload.sub) throw refuse('token has no subject');
  const client = payload.client;
  if (typeof client !== 'string') throw refuse('token has no "client" claim');
  const registered = clients.get(client);
  if (!registered) throw refuse(`unknown client app "${client}"`);
  const rawRoles = payload.roles === undefined ? ['user'] : payload.roles;
  if (!Array.isArray(rawRoles) || rawRoles.length === 0 || !rawRoles.every(isRole)) {
    throw refuse('token "roles" must list user, bank_agent and/or security_reviewer');
  }
  const purpose = payload.purpose;
  if (purpose !== undefined && !isPurpose(purpose)) {
    throw refuse(`token purpose "${String(purpose)}" is not allowed: a request declares one of ${PURPOSES.join(', ')}`);
  }
  const bank = payload.bank;
  if (rawRoles.includes('bank_agent') && (typeof bank !== 'string' || !bank)) throw refuse('a bank_agent token needs a "bank" claim');
  return {
    sub: payload.sub,
    client,
    clientType: registered.type,
    roles: rawRoles,
    bank: typeof bank === 'string' ? bank : undefined,
    purpose,
  };
}

export function createClientAuthenticator(auth: GatewayConfig['auth'], clients: ClientRegistry) {
  const key: KeyObject | ReturnType<typeof createRemoteJWKSet> = auth.jwksUrl
    ? createRemoteJWKSet(new URL(auth.jwksUrl))
    : loadConfigFile(auth.publicKeyFile!, "the identity provider's public key", createPublicKey);
  return async function authenticate(header: string | undefined): Promise<Identity> {
    if (header === undefined || header === '') return ANONYMOUS;
    const match = header.match(/^Bearer\s+(\S+)$/i);
    if (!match) throw refuse('Authorization header must be "Bearer <token>"');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(match[1]!, key as Parameters<typeof jwtVerify>[1], {
        issuer: auth.issuer,
        audience: auth.audience,
        algorithms: auth.algorithms,
        clockTolerance: auth.clockSkewSeconds,
        requiredClaims: ['exp', 'sub'],
      }));
    } catch (error) {
      throw refuse(explain(error));
    }
    return identityFromClaims(payload, clients);
  };
}
