// Development keys, generated locally on first use into .dev-keys/ (ignored by git): the dev
// identity provider's key (signs `npm run token` JWTs), the gateway's internal-token key, and one
// audit key per service (the pseudonyms of user ids in its decision records).
// Nothing secret is committed; production supplies its own keys through configuration.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const DEV_KEYS_DIR = process.env.DEV_KEYS_DIR ?? fileURLToPath(new URL('../.dev-keys/', import.meta.url));
export const DEV_ISSUER = 'https://id.dev.consent-gateway.local/';
export const DEV_AUDIENCE = 'consent-gateway';

export interface DevKeys {
  /** The directory (with or without a trailing `/`: file names are joined to it). */
  dir: string;
  idpPrivate: string;
  idpPublic: string;
  gatewayPrivate: string;
  gatewayPublic: string;
}

function ensurePair(dir: string, name: string, make: () => { privateKey: string; publicKey: string }) {
  const priv = join(dir, `${name}-private.pem`);
  const pub = join(dir, `${name}-public.pem`);
  if (!existsSync(priv) || !existsSync(pub)) {
    const { privateKey, publicKey } = make();
    writeFileSync(priv, privateKey, { mode: 0o600 });
    writeFileSync(pub, publicKey);
  }
  return { priv, pub };
}

export function ensureDevKeys(dir = DEV_KEYS_DIR): DevKeys {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const idp = ensurePair(dir, 'idp', () => generateKeyPairSync('ec', { namedCurve: 'P-256', publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } }));
  const gateway = ensurePair(dir, 'gateway', () => generateKeyPairSync('ed25519', { publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } }));
  return { dir, idpPrivate: idp.priv, idpPublic: idp.pub, gatewayPrivate: gateway.priv, gatewayPublic: gateway.pub };
}

/** The audit key file of one service (`user-profile`, `bank-northwind`...), made on first use: 32 random bytes. */
export function ensureAuditKey(dir: string, service: string): string {
  const file = join(dir, `audit-${service}.key`);
  if (!existsSync(file)) writeFileSync(file, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600 });
  return file;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = process.argv[2] ?? DEV_KEYS_DIR;
  const keys = ensureDevKeys(dir);
  // The audit keys of the services named on the command line (docker compose names its own).
  const auditKeys = process.argv.slice(3).map((service) => ensureAuditKey(keys.dir, service));
  const { dir: _dir, ...files } = keys;
  console.log(`development keys in ${dir}:\n${[...Object.values(files), ...auditKeys].join('\n')}`);
}
