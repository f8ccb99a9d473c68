// `npm run token -- --sub alice [--purpose customer_service] [--client messenger-web]
//                   [--role bank_agent --bank northwind] [--ttl 3600]`
// Prints a JWT signed by the local development identity provider, which the stack started by
// `npm start` accepts. It is an ordinary signed token: there is no bypass.
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { SignJWT } from 'jose';
import { PURPOSES, ROLES, isPurpose, isRole } from '@consent-gateway/kit/identity';
import { DEV_AUDIENCE, DEV_ISSUER, ensureDevKeys } from './dev-keys.ts';

export interface DevTokenOptions {
  sub: string;
  purpose?: string;
  client?: string;
  roles?: string[];
  bank?: string;
  ttlSeconds?: number;
}

export async function devToken(options: DevTokenOptions, keyFile = ensureDevKeys().idpPrivate): Promise<string> {
  const key = createPrivateKey(readFileSync(keyFile, 'utf8'));
  return new SignJWT({
    client: options.client ?? 'messenger-web',
    roles: options.roles ?? ['user'],
    purpose: options.purpose ?? 'customer_service',
    ...(options.bank ? { bank: options.bank } : {}),
  })
    .setProtectedHeader({ alg: 'ES256', typ: 'JWT' })
    .setIssuer(DEV_ISSUER)
    .setAudience(DEV_AUDIENCE)
    .setSubject(options.sub)
    .setIssuedAt()
    .setExpirationTime(`${options.ttlSeconds ?? 3600}s`)
    .sign(key);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      sub: { type: 'string' },
      purpose: { type: 'string' },
      client: { type: 'string' },
      role: { type: 'string', multiple: true },
      bank: { type: 'string' },
      ttl: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  const usage = `usage: npm run token -- --sub <user id> [--purpose ${PURPOSES.join('|')}] [--client messenger-web|partner-app] [--role ${ROLES.join('|')}]... [--bank <bank id>] [--ttl seconds]`;
  const problems: string[] = [];
  if (values.help) (console.log(usage), process.exit(0));
  if (!values.sub) problems.push('--sub is required');
  if (values.purpose && !isPurpose(values.purpose)) problems.push(`--purpose must be one of ${PURPOSES.join(', ')}`);
  for (const role of values.role ?? []) if (!isRole(role)) problems.push(`--role must be one of ${ROLES.join(', ')} (got ${role})`);
  if (values.role?.includes('bank_agent') && !values.bank) problems.push('--role bank_agent needs --bank <bank id>');
  const ttl = values.ttl ? Number(values.ttl) : undefined;
  if (ttl !== undefined && !(Number.isInteger(ttl) && ttl > 0)) problems.push('--ttl must be a positive number of seconds');
  if (problems.length) {
    console.error(`${problems.join('\n')}\n${usage}`);
    process.exit(2);
  }
  console.log(await devToken({ sub: values.sub!, purpose: values.purpose, client: values.client, roles: values.role, bank: values.bank, ttlSeconds: ttl }));
}
