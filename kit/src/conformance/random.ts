// Seeded randomness for the conformance search: the same seed, the same run, so that a finding
// can be reproduced (`--seed`).
import { grantProblems } from '../consent-policy.ts';
import { isPurpose, PURPOSES, type Purpose } from '../identity.ts';

const DAY = 86_400_000;

export function seeded(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const random = {
    next,
    chance: (p: number) => next() < p,
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!,
    subset: <T>(items: readonly T[], p = 0.5): T[] => items.filter(() => next() < p),
    /** One of `weighted`'s keys, with probability proportional to its weight. */
    weighted: <K extends string>(weighted: Record<K, number>): K => {
      const entries = Object.entries(weighted) as Array<[K, number]>;
      let r = next() * entries.reduce((n, [, w]) => n + w, 0);
      for (const [k, w] of entries) if ((r -= w) < 0) return k;
      return entries.at(-1)![0];
    },
  };
  return random;
}
export type Random = ReturnType<typeof seeded>;

export interface GrantRequest {
  bankId: string;
  /** GraphQL enum names. */
  permissions: string[];
  purposes: string[];
  expiresAt?: string;
  transactionsFrom?: string;
  transactionsTo?: string;
}

export const purposeEnum = (p: Purpose) => p.toUpperCase();
export const purposeOf = (value: string): Purpose => value.toLowerCase() as Purpose;

/** A grant the consent policy accepts, drawn at random (never a precise location without coarse, and so on). */
export function randomGrant(random: Random, bankId: string, now: Date): GrantRequest {
  for (;;) {
    const permissions = new Set<string>([random.pick(['ACCOUNTS_BASIC', 'ACCOUNTS_DETAIL'])]);
    if (random.chance(0.2)) permissions.add('ACCOUNTS_BASIC');
    if (random.chance(0.6)) permissions.add('BALANCES');
    if (random.chance(0.7)) {
      const detail = random.chance(0.6);
      permissions.add(detail ? 'TRANSACTIONS_DETAIL' : 'TRANSACTIONS_BASIC');
      const directions = random.subset(['TRANSACTIONS_CREDITS', 'TRANSACTIONS_DEBITS'], 0.7);
      for (const d of directions.length ? directions : [random.pick(['TRANSACTIONS_CREDITS', 'TRANSACTIONS_DEBITS'])]) permissions.add(d);
      if (detail && random.chance(0.5)) {
        permissions.add('MERCHANT_LOCATION_COARSE');
        if (random.chance(0.4)) permissions.add('MERCHANT_LOCATION_PRECISE');
      }
    }
    const purposes = random.subset(PURPOSES, 0.4);
    const grant: GrantRequest = { bankId, permissions: [...permissions], purposes: (purposes.length ? purposes : [random.pick(PURPOSES)]).map(purposeEnum) };
    if (random.chance(0.3)) grant.expiresAt = new Date(now.getTime() + random.int(30, 400) * DAY).toISOString();
    if (random.chance(0.35)) grant.transactionsFrom = new Date(now.getTime() - random.int(30, 400) * DAY).toISOString();
    if (random.chance(0.35)) grant.transactionsTo = new Date(now.getTime() - random.int(0, 200) * DAY).toISOString();
    const problems = grantProblems({ ...grant, purposes: grant.purposes.map(purposeOf) }, now, isPurpose);
    if (problems.length === 0) return grant;
  }
}
