// The gateway → subgraph token. The gateway mints one per subgraph call with its own key
// (audience = the subgraph's name, or `bank:<id>` for a bank); a subgraph accepts no request without a valid one, so
// identity headers forged by a caller who reaches a subgraph directly get nowhere. It also names
// the operation as the client sent it (name and document hash), which decision records keep, and
// the call's deadline (`dl`, when the gateway stops waiting), past which a subgraph runs nothing.
import { createPublicKey, KeyObject as NodeKeyObject } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { SignJWT, calculateJwkThumbprint, decodeProtectedHeader, exportJWK, jwtVerify, type CryptoKey, type KeyObject } from 'jose';
import { HttpError } from './http.ts';
import type { OperationRef } from './audit.ts';
import { isPurpose, isRole, type Identity } from './identity.ts';

type Key = CryptoKey | KeyObject;
/**
 * What a subgraph verifies gateway tokens with: the gateway's public key, or several during a key
 * rotation (the new one added everywhere first, then the gateway switched, then the old removed).
 */
export type GatewayKeys = Key | readonly Key[];
export const INTERNAL_ISSUER = 'consent-gateway';
export const INTERNAL_ALG = 'EdDSA';
const TTL_SECONDS = 60;

/**
 * How late, by this subgraph's clock, a request may still start past its deadline (`dl`): none.
 * Unlike `exp` (5 s of tolerance), a tolerance here would be a window in which a bank still
 * commits what the client was told failed. The gateway's and the subgraphs' clocks are expected
 * to be synced (NTP), as for `exp`: a subgraph whose clock runs ahead refuses a call that much
 * before the gateway stops waiting (the client gets an error, as it would at the timeout); one
 * whose clock runs behind may still start a call up to its lag after the gateway stopped waiting.
 */
export const DEADLINE_TOLERANCE_MS = 0;

/** The audience of a token for one bank's subgraph: a token minted for northwind is refused by contoso. */
export const bankAudience = (bankId: string) => `bank:${bankId}`;

export interface InternalClaims {
  identity: Identity;
  requestId: string;
  /** The client's operation (absent for the gateway's own calls, e.g. linking a user to a bank). */
  operation?: OperationRef;
  /**
   * Set on the gateway's check of a reference a message is about to carry: the user of that
   * conversation. A lookup by id then hands out only that user's objects (bank/access.ts), so a
   * bank's agent cannot attach one customer's transaction to another customer's conversation.
   */
  referenceFor?: string;
  /** The gateway's metrics label of the client's operation (a registered name, `other`, `unnamed`). */
  operationLabel?: string;
  /**
   * The moment the gateway stops waiting for this call (its timeout from when the token was
   * minted), in epoch milliseconds: the `dl` claim. Past it (by the subgraph's clock) the kit
   * refuses the operation without running it (DEADLINE_EXCEEDED), so a call the client was told
   * failed (SUBGRAPH_TIMEOUT) is not carried out after all by a subgraph that was paused. Absent
   * on tokens of older gateways and of calls without a deadline: no check.
   */
  deadline?: number;
}

/** Whether a call with this deadline (epoch ms, `dl`) is too late to start at `now` (epoch ms). */
export function pastDeadline(deadline: number | undefined, now: number = Date.now()): boolean {
  return deadline !== undefined && now > deadline + DEADLINE_TOLERANCE_MS;
}

export async function mintInternalToken(claims: InternalClaims, audience: string, key: Key): Promise<string> {
  const { identity, requestId, operation, referenceFor, operationLabel, deadline } = claims;
  const jwt = new SignJWT({
    client: identity.client,
    client_type: identity.clientType,
    roles: identity.roles,
    bank: identity.bank,
    purpose: identity.purpose,
    request_id: requestId,
    op_name: operation?.name ?? undefined,
    op_hash: operation?.hash ?? undefined,
    ref_for: referenceFor,
    op_label: operationLabel,
    dl: deadline === undefined ? undefined : Math.floor(deadline),
  })
    .setIssuer(INTERNAL_ISSUER)
    .setAudience(audience)
    .setIssuedAt()
    .setExpirationTime(`${TTL_SECONDS}s`);
  if (identity.sub) jwt.setSubject(identity.sub);
  const kid = await keyId(key);
  return jwt.setProtectedHeader({ alg: INTERNAL_ALG, typ: 'JWT', ...(kid && { kid }) }).sign(key);
}

const keyIds = new WeakMap<object, Promise<string | undefined>>();

/**
 * A key's id: the RFC 7638 thumbprint of its public key, the same whether computed from the
 * gateway's private key (in the token's `kid`) or a subgraph's copy of the public key. A key that
 * cannot be exported (a non-extractable CryptoKey) has none; tokens then carry no `kid`.
 */
export function keyId(key: Key): Promise<string | undefined> {
  let id = keyIds.get(key);
  if (!id) {
    const publicKey = key instanceof NodeKeyObject && key.type === 'private' ? createPublicKey(key) : key;
    id = exportJWK(publicKey).then((jwk) => calculateJwkThumbprint(jwk), () => undefined);
    keyIds.set(key, id);
  }
  return id;
}

/**
 * The gateway's public key(s) from a PEM file (GATEWAY_PUBLIC_KEY_FILE): one key, or several one
 * after the other during a rotation.
 */
export function parseGatewayKeys(pem: string): NodeKeyObject[] {
  const blocks = pem.match(/-----BEGIN PUBLIC KEY-----[\s\S]+?-----END PUBLIC KEY-----/g) ?? [];
  if (blocks.length === 0) throw new Error('no PEM public key (-----BEGIN PUBLIC KEY-----) in it');
  return blocks.map((block) => createPublicKey(block));
}

/** The keys to try for a token: the one its `kid` names; without a `kid`, every key. */
async function keysFor(token: string, keys: GatewayKeys): Promise<Key[]> {
  const all = Array.isArray(keys) ? [...keys] : [keys as Key];
  let kid: unknown;
  try {
    kid = decodeProtectedHeader(token).kid;
  } catch {
    return all.slice(0, 1); // not a JWT: the verification below says why
  }
  if (typeof kid !== 'string') return all;
  for (const key of all) if ((await keyId(key)) === kid) return [key];
  throw new InternalTokenError('invalid gateway token: signed with a key this subgraph does not hold (kid)');
}

export class InternalTokenError extends Error {}

export async function verifyInternalToken(token: string, audience: string, keys: GatewayKeys): Promise<InternalClaims> {
  let payload;
  let failure: unknown;
  for (const key of await keysFor(token, keys)) {
    try {
      ({ payload } = await jwtVerify(token, key, {
        issuer: INTERNAL_ISSUER,
        audience,
        algorithms: [INTERNAL_ALG],
        clockTolerance: 5,
      }));
      break;
    } catch (error) {
      failure ??= error;
    }
  }
  if (!payload) throw new InternalTokenError(`invalid gateway token: ${(failure as Error | undefined)?.message ?? 'no key to verify it with'}`);
  const roles = Array.isArray(payload.roles) ? payload.roles.filter(isRole) : [];
  const requestId = payload.request_id;
  if (typeof requestId !== 'string') throw new InternalTokenError('invalid gateway token: no request id');
  const identity: Identity = {
    sub: typeof payload.sub === 'string' ? payload.sub : undefined,
    client: typeof payload.client === 'string' ? payload.client : undefined,
    clientType: payload.client_type === 'first-party' || payload.client_type === 'third-party' ? payload.client_type : undefined,
    roles,
    bank: typeof payload.bank === 'string' ? payload.bank : undefined,
    purpose: isPurpose(payload.purpose) ? payload.purpose : undefined,
  };
  const text = (value: unknown) => (typeof value === 'string' ? value : null);
  const referenceFor = text(payload.ref_for) ?? undefined;
  const operationLabel = text(payload.op_label) ?? undefined;
  // A deadline that is there but not a time is the gateway's bug or a forgery: refused, not ignored
  // (ignoring it would lift the deadline).
  const deadline = payload.dl;
  if (deadline !== undefined && (typeof deadline !== 'number' || !Number.isSafeInteger(deadline) || deadline < 0)) {
    throw new InternalTokenError('invalid gateway token: its deadline (dl) is not a time in epoch milliseconds');
  }
  // A deadline long before the token was issued is in the wrong unit (seconds), not a late call:
  // said so, rather than refusing every call as past its deadline.
  if (typeof deadline === 'number' && typeof payload.iat === 'number' && deadline < payload.iat * 1000 - 60_000) {
    throw new InternalTokenError('invalid gateway token: its deadline (dl) is before it was issued (iat): dl is in epoch milliseconds, not seconds');
  }
  return {
    identity,
    requestId,
    operation: { name: text(payload.op_name), hash: text(payload.op_hash) },
    ...(referenceFor !== undefined && { referenceFor }),
    ...(operationLabel !== undefined && { operationLabel }),
    ...(deadline !== undefined && { deadline }),
  };
}

/** The claims of a request to a subgraph: its gateway token for `audience`, verified; 401 otherwise. */
export async function gatewayClaims(req: IncomingMessage, audience: string, key: GatewayKeys): Promise<InternalClaims> {
  const token = req.headers.authorization?.match(/^Bearer\s+(\S+)$/i)?.[1];
  if (!token) throw new HttpError(401, 'this subgraph only answers the gateway: missing gateway token', 'UNAUTHENTICATED');
  try {
    return await verifyInternalToken(token, audience, key);
  } catch (error) {
    if (error instanceof InternalTokenError) throw new HttpError(401, error.message, 'UNAUTHENTICATED');
    throw error;
  }
}
