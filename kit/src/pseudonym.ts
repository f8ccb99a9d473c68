// Ids that identify a person (user ids) never reach logs or traces in clear: they appear as a keyed
// hash (HMAC-SHA-256, first 16 hex digits). Keyed, not merely salted: user ids are few and
// guessable, so anyone could hash every candidate with a known salt; without the key nobody can.
// The key is OBSERVABILITY_ID_KEY (32 characters at least), shared by every service so that one
// person has the same pseudonym everywhere; unset, each process draws a random key at start (lines
// of one process still correlate, nothing across processes or restarts does).
import { createHmac, randomBytes } from 'node:crypto';

export const PSEUDONYM_KEY_ENV = 'OBSERVABILITY_ID_KEY';

let key: string | Buffer = process.env[PSEUDONYM_KEY_ENV]?.trim() || randomBytes(32);

/** A person's id as logs and traces show it. */
export function pseudonym(id: string, withKey: string | Buffer = key): string {
  return createHmac('sha256', withKey).update(id).digest('hex').slice(0, 16);
}

/** For a process whose key comes from somewhere other than its environment (a test). */
export function setPseudonymKey(value: string | Buffer): void {
  key = value;
}
