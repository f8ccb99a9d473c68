// Ids that clients see. A bank object's id names its bank, so the gateway can route a lookup to
// the one bank that holds the object without asking anybody: `<bankId>:<kind>_<random>`, e.g.
// `northwind:txn_3kq9Zp0c1vW8mXb2aQeR7g`. The random part is 128 bits (base64url), so an id can
// be neither guessed nor counted; another user's id and a missing id look alike.
import { randomBytes } from 'node:crypto';

/** A bank's id: lower-case letters, digits and dashes, starting with a letter, 2–40 characters. */
export const BANK_ID_PATTERN = /^[a-z][a-z0-9-]{1,39}$/;
const RANDOM_BYTES = 16;
const BANK_SCOPED_ID = /^([a-z][a-z0-9-]{1,39}):([a-z]{2,8})_([A-Za-z0-9_-]{22})$/;
const KIND = /^[a-z]{2,8}$/;

export function isBankId(value: unknown): value is string {
  return typeof value === 'string' && BANK_ID_PATTERN.test(value);
}

function randomPart(bytes: Uint8Array): string {
  if (bytes.length !== RANDOM_BYTES) throw new Error(`an id's random part is ${RANDOM_BYTES} bytes (got ${bytes.length})`);
  return Buffer.from(bytes).toString('base64url');
}

/** `<bankId>:<kind>_<random>` from given random bytes (demo data passes a seeded generator's). */
export function bankScopedId(bankId: string, kind: string, bytes: Uint8Array): string {
  if (!isBankId(bankId)) throw new Error(`not a bank id: ${JSON.stringify(bankId)}`);
  if (!KIND.test(kind)) throw new Error(`not an id kind: ${JSON.stringify(kind)}`);
  return `${bankId}:${kind}_${randomPart(bytes)}`;
}

/** A fresh id of a bank object: `newBankScopedId('northwind', 'cns')`. */
export function newBankScopedId(bankId: string, kind: string): string {
  return bankScopedId(bankId, kind, randomBytes(RANDOM_BYTES));
}

/** The bank an id belongs to, or undefined when it is not a well-formed bank-scoped id. */
export function bankOfId(id: unknown): string | undefined {
  if (typeof id !== 'string') return undefined;
  return BANK_SCOPED_ID.exec(id)?.[1];
}

/** A fresh platform id (conversations, messages): `<kind>_<random>`, as unguessable as a bank's. */
export function newId(kind: string): string {
  if (!KIND.test(kind)) throw new Error(`not an id kind: ${JSON.stringify(kind)}`);
  return `${kind}_${randomPart(randomBytes(RANDOM_BYTES))}`;
}

/** Random bytes from a seeded generator (`() => number in [0, 1)`), for deterministic demo ids. */
export function seededBytes(random: () => number, length = RANDOM_BYTES): Uint8Array {
  return Uint8Array.from({ length }, () => Math.floor(random() * 256));
}
