// Rate limits per identity and per client app: token buckets (a burst, refilled at a steady rate)
// kept in a store. The default store is this process's memory, which is right for one gateway;
// several replicas share a store instead (gateway/rate-limit-redis.ts) so that a client cannot
// multiply its allowance by the number of replicas.
import { isIPv6 } from 'node:net';
import { HttpError } from '@consent-gateway/kit/http';
import type { Identity } from '@consent-gateway/kit/identity';
import type { ClientRegistry } from './clients.ts';
import type { BucketLimit, RateLimitConfig } from './config.ts';

export interface TakeResult {
  allowed: boolean;
  /** When the next request would be allowed (0 when allowed). */
  retryAfterSeconds: number;
}

/** Where buckets live. `take` must be atomic per key: two replicas never spend the same token. */
export interface RateLimitStore {
  take(key: string, limit: BucketLimit): Promise<TakeResult>;
  close(): Promise<void>;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** Buckets in this process's memory; a full bucket is the same as no bucket, so idle ones are dropped. */
export class MemoryRateLimitStore implements RateLimitStore {
  private readonly buckets = new Map<string, Bucket & BucketLimit>();
  private nextSweep: number;

  constructor(
    private readonly now: () => number = () => performance.now(),
    private readonly sweepAbove = 10_000,
  ) {
    this.nextSweep = sweepAbove;
  }

  async take(key: string, limit: BucketLimit): Promise<TakeResult> {
    const now = this.now();
    if (this.buckets.size >= this.nextSweep) this.sweep(now);
    const bucket = this.buckets.get(key) ?? { tokens: limit.burst, at: now, ...limit };
    bucket.tokens = Math.min(limit.burst, bucket.tokens + ((now - bucket.at) / 1000) * limit.perSecond);
    bucket.at = now;
    bucket.burst = limit.burst;
    bucket.perSecond = limit.perSecond;
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true, retryAfterSeconds: 0 };
    }
    return { allowed: false, retryAfterSeconds: (1 - bucket.tokens) / limit.perSecond };
  }

  /** Drops full buckets; the next sweep waits until the map has doubled, so sweeping stays linear overall. */
  private sweep(now: number): void {
    for (const [key, b] of this.buckets) if (b.tokens + ((now - b.at) / 1000) * b.perSecond >= b.burst) this.buckets.delete(key);
    this.nextSweep = Math.max(this.sweepAbove, this.buckets.size * 2);
  }

  get size(): number {
    return this.buckets.size;
  }

  async close(): Promise<void> {
    this.buckets.clear();
  }
}

/**
 * The refusal of every rate limit (the buckets here, the in-flight caps of gateway/in-flight.ts):
 * 429 RATE_LIMITED, `Retry-After` in whole seconds (at least 1) and `extensions: { limit,
 * retryAfterSeconds }`; `limit` names the limit, `message` says it in words for those seconds.
 */
export function rateLimited(limit: string, retryAfterSeconds: number, message: (seconds: number) => string): HttpError {
  const seconds = Math.max(1, Math.ceil(retryAfterSeconds));
  return new HttpError(429, message(seconds), 'RATE_LIMITED', {
    extensions: { limit, retryAfterSeconds: seconds },
    headers: { 'retry-after': String(seconds) },
  });
}

export function tooManyRequests(who: string, limit: BucketLimit, retryAfterSeconds: number): HttpError {
  return rateLimited(who, retryAfterSeconds, (seconds) => `Too many requests for this ${who} (at most ${limit.burst} at once, ${limit.perSecond} per second); retry after ${seconds} s.`);
}

export interface RateLimiter {
  /** Counts a request of a verified identity against its user and client buckets; throws 429. */
  identified(identity: Identity): Promise<void>;
  /** Counts an anonymous request, or one whose token did not verify, against its address (an IPv6 one by its /64); throws 429. */
  anonymous(address: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * The bucket of a client address. An IPv6 caller is counted by its /64: one subscriber, one
 * machine even, is given a whole /64 and may send from any of its 2^64 addresses, so a bucket
 * per address would be a fresh allowance per request. An IPv4-mapped IPv6 address
 * (`::ffff:192.0.2.1`, what a dual-stack socket reports for an IPv4 peer) is that IPv4 address.
 */
export function addressBucket(address: string): string {
  const groups = ipv6Groups(address.replace(/%.*$/, '')); // without a zone (`fe80::1%eth0`)
  if (!groups) return address;
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return [groups[6]! >> 8, groups[6]! & 0xff, groups[7]! >> 8, groups[7]! & 0xff].join('.');
  }
  return `${groups.slice(0, 4).map((g) => g.toString(16)).join(':')}::/64`;
}

/** The eight 16-bit groups of an IPv6 address (`::` expanded, a dotted IPv4 tail as two groups); undefined for anything else. */
function ipv6Groups(address: string): number[] | undefined {
  if (!isIPv6(address)) return undefined;
  let text = address;
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const part = (s: string) => (s ? s.split(':') : []);
  const groups = tail === undefined ? part(head) : [...part(head), ...Array<string>(8 - part(head).length - part(tail).length).fill('0'), ...part(tail)];
  return groups.map((g) => parseInt(g, 16));
}

/** Which limit refused a request (the label of the refusals metric): a bucket, or an in-flight cap (gateway/in-flight.ts). */
export type RateLimitKind = 'user' | 'client' | 'address' | 'user-in-flight' | 'address-in-flight';

/** `onRefusal` hears of every refused request (the gateway counts them). */
export function createRateLimiter(config: RateLimitConfig, clients: ClientRegistry, store: RateLimitStore, onRefusal: (kind: RateLimitKind) => void = () => {}): RateLimiter {
  const take = async (key: string, kind: RateLimitKind, who: string, limit: BucketLimit) => {
    const result = await store.take(key, limit);
    if (result.allowed) return;
    onRefusal(kind);
    throw tooManyRequests(who, limit, result.retryAfterSeconds);
  };
  return {
    async identified(identity) {
      if (!identity.sub) return;
      await take(`user:${identity.sub}`, 'user', 'user', config.user);
      if (identity.client) await take(`client:${identity.client}`, 'client', 'client app', clients.get(identity.client)?.rateLimit ?? config.client);
    },
    anonymous: (address) => take(`address:${addressBucket(address)}`, 'address', 'address', config.anonymous),
    close: () => store.close(),
  };
}
